"""The "Files changed" report section, from `dvc diff --json --show-hash <baseline> HEAD`.

The committed states are compared: a CI job that did not `dvc pull` an output must not see it listed as deleted,
and an output changed by the commits is listed as modified from the hashes in dvc.lock. Only when the baseline is
HEAD itself (local runs) is the working tree compared, as `dvc diff` does by default.

`dvc diff --json` (and DVC 1's `--show-json`) prints `{"added": [...], "deleted": [...], "modified": [...],
"renamed": [...], "not in cache": [...]}`; entries are `{"path": p, "hash": h}`, modified hashes are
`{"old", "new"}` and renamed paths are `{"old", "new"}`. Paths come from the repository, so they are escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_action import gitrepo
from cml_action.dvc.metrics import parse_dvc_json
from cml_action.dvc.runner import run_dvc
from cml_action.errors import CmlError

MAX_ROWS = 100
HASH_CHARS = 8
# DVC's own order in `dvc diff` text output.
STATUSES = ("added", "deleted", "modified", "renamed")


@dataclass(frozen=True)
class FileChange:
    status: str
    path: str
    old_path: str = ""  # renamed only
    hash: str = ""
    old_hash: str = ""  # modified only


def _cell(text: str) -> str:
    """Safe inside a GFM table cell: HTML-escaped code, pipes as an entity (a `\\|` would show in <code>)."""
    if not text:
        return ""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _change(status: str, entry: Mapping[str, Any]) -> FileChange:
    path, hashes = entry.get("path"), entry.get("hash")
    old_path = ""
    if isinstance(path, Mapping):  # renamed: {"old": a, "new": b}
        old_path, path = _text(path.get("old")), path.get("new")
    old_hash, new_hash = "", _text(hashes)
    if isinstance(hashes, Mapping):  # modified: {"old": h1, "new": h2}
        old_hash, new_hash = _text(hashes.get("old")), _text(hashes.get("new"))
    return FileChange(status, _text(path), old_path, new_hash[:HASH_CHARS], old_hash[:HASH_CHARS])


def parse_changes(diff: Any) -> tuple[tuple[FileChange, ...], tuple[str, ...]]:
    """Changes in DVC's order, plus the paths DVC reported as missing from its cache."""
    if not isinstance(diff, Mapping):
        raise CmlError("dvc diff output is not a JSON object (expected the output of 'dvc diff --json')")
    for status in (*STATUSES, "not in cache"):
        if not isinstance(diff.get(status) or [], list):
            raise CmlError(f"dvc diff output: '{status}' is not a list (expected the output of 'dvc diff --json')")
    changes = [
        _change(status, entry) for status in STATUSES for entry in diff.get(status) or [] if isinstance(entry, Mapping)
    ]
    missing = [_text(entry.get("path")) for entry in diff.get("not in cache") or [] if isinstance(entry, Mapping)]
    return tuple(change for change in changes if change.path), tuple(path for path in missing if path)


def _row(change: FileChange, with_hash: bool) -> str:
    path = f"{_cell(change.old_path)} → {_cell(change.path)}" if change.old_path else _cell(change.path)
    if not with_hash:
        return f"| {change.status} | {path} |"
    digest = f"{_cell(change.old_hash)} → {_cell(change.hash)}" if change.old_hash else _cell(change.hash)
    return f"| {change.status} | {path} | {digest} |"


def render_changes(changes: Sequence[FileChange], not_in_cache: Sequence[str] = ()) -> str:
    """A collapsible markdown section listing the changes (at most MAX_ROWS rows)."""
    lines = [f"<details><summary>Files changed ({len(changes)})</summary>", ""]
    if changes:
        # `dvc diff --json` without --show-hash (what most workflows pipe into cml-files) has no hashes: no column.
        with_hash = any(change.hash or change.old_hash for change in changes)
        lines += ["| Status | Path | Hash |", "|---|---|---|"] if with_hash else ["| Status | Path |", "|---|---|"]
        lines += [_row(change, with_hash) for change in changes[:MAX_ROWS]]
        if len(changes) > MAX_ROWS:
            lines += ["", f"… {len(changes) - MAX_ROWS} more"]
    else:
        lines.append("No DVC-tracked file changed.")
    if not_in_cache:
        shown = ", ".join(_cell(path) for path in not_in_cache[:10])
        more = f" and {len(not_in_cache) - 10} more" if len(not_in_cache) > 10 else ""
        lines += ["", f"Not in the DVC cache (hash from dvc.lock only): {shown}{more}"]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def files_markdown_from_json(text: str) -> str:
    """Markdown for `cml-files`: the JSON that `dvc diff --json` (or `--show-json`) printed."""
    changes, missing = parse_changes(parse_dvc_json(text))
    return render_changes(changes, missing)


def files_changed(workspace: Path, baseline_rev: str) -> str:
    """The "Files changed" section for `dvc-diff: true` (raises CmlError when DVC is missing or fails)."""
    head = gitrepo.rev_parse(workspace, "HEAD")
    base = gitrepo.checked_ref(baseline_rev)  # a ref from an input is never read as an option
    revisions = [base] if head in (None, gitrepo.rev_parse(workspace, baseline_rev)) else [base, head]
    done = run_dvc(workspace, ["diff", "--json", "--show-hash", *revisions], what="dvc-diff is true")
    if done.returncode != 0:
        raise CmlError(f"dvc diff failed: {done.error_line.removeprefix('ERROR:').strip()}")
    return files_markdown_from_json(done.stdout)
