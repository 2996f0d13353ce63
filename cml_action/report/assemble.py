"""Put the report together in the report's order (docs/report.md, "Assembly") and tag it with the hidden
sticky-comment marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from cml_action.report.blocks import close_open_blocks
from cml_action.report.escape import code_span, escape_markdown

MARKER_PREFIX = "<!-- cml-action:key="
MARKER_SUFFIX = " -->"
_MARKER = re.compile(r"<!-- cml-action:key=(\S*) -->")
# Percent-encode what could end the HTML comment (`-->`, `--!>` need `>`), break the marker's one-token shape
# (whitespace) or make the encoding ambiguous (`%`). Everything else (`/`, `{}`, unicode) stays readable.
_KEY_SAFE_EXCLUDED = re.compile(r"[%<>\s\x00-\x1f\x7f]")
SHORT_SHA = 7


def marker_for(key: str) -> str:
    encoded = _KEY_SAFE_EXCLUDED.sub(lambda found: quote(found.group(), safe=""), key)
    return f"{MARKER_PREFIX}{encoded}{MARKER_SUFFIX}"


def find_marker_key(body: str) -> str | None:
    """The key of the last marker in a comment body (ours is always last), decoded; None without a marker."""
    found = None
    for found in _MARKER.finditer(body):  # noqa: B007 - we want the last one
        pass
    return unquote(found.group(1)) if found else None


def defuse_markers(text: str) -> str:
    """Report content that imitates our marker (a PR could paste another job's key) must not be taken for one;
    `&#61;` is invisible to the marker search and still renders as '='."""
    return text.replace("cml-action:key=", "cml-action:key&#61;")


@dataclass(frozen=True)
class ReportParts:
    """Rendered pieces of one report; each empty piece is skipped. `warnings` are plain text (escaped here)."""

    title: str = "CML Report"
    texts: tuple[str, ...] = ()
    images_md: str = ""
    params_md: str = ""
    metrics_md: str = ""
    verdict_md: str = ""
    plots_md: str = ""
    files_md: str = ""
    warnings: tuple[str, ...] = ()
    head_sha: str | None = None
    baseline_sha: str | None = None
    run_url: str | None = None
    key: str | None = None
    run_label: str = "Workflow run"  # what the run link is called on this forge ("Pipeline" on GitLab)


def heading(title: str) -> str:
    return "## " + escape_markdown(" ".join(title.split()) or "CML Report")


def warnings_block(warnings: tuple[str, ...]) -> str:
    if not warnings:
        return ""
    return "> [!WARNING]\n" + "\n".join(f"> - {escape_markdown(' '.join(text.split()))}" for text in warnings)


def footer(head_sha: str | None, baseline_sha: str | None, run_url: str | None, run_label: str = "Workflow run") -> str:
    pieces = []
    if head_sha and baseline_sha and head_sha.strip() == baseline_sha.strip():
        # Local runs (and reruns without a new commit) compare the working tree with its own commit.
        pieces.append(f"Comparing the working tree with baseline {_short(baseline_sha)}")
    elif head_sha and baseline_sha:
        pieces.append(f"Comparing {_short(head_sha)} with baseline {_short(baseline_sha)}")
    elif head_sha:
        pieces.append(f"Report for {_short(head_sha)}")
    if run_url:
        pieces.append(f"[{escape_markdown(run_label)}]({quote(run_url, safe=':/?#[]@!$&*+,;=%~-._')})")
    return " · ".join(pieces)


def _short(sha: str) -> str:
    return code_span(sha.strip()[:SHORT_SHA])


def assemble(parts: ReportParts) -> str:
    sections = [
        heading(parts.title),
        *(close_open_blocks(defuse_markers(text)) for text in parts.texts),
        *(
            defuse_markers(section)
            for section in (
                parts.images_md,
                parts.params_md,
                parts.metrics_md,
                parts.verdict_md,
                parts.plots_md,
                parts.files_md,
            )
        ),
        warnings_block(parts.warnings),
        footer(parts.head_sha, parts.baseline_sha, parts.run_url, parts.run_label),
    ]
    body = "\n\n".join(section.strip("\n").rstrip() for section in sections if section.strip())
    if parts.key is not None:
        body += "\n\n" + marker_for(parts.key)
    return body + "\n"
