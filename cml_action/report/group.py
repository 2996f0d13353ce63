"""One comment for a group of jobs (a matrix): a summary table, then each job's report in a collapsible section
(docs/store.md, "One comment for a matrix"). Pure: the members come from the store, which any job with a write
token can write, so every key, metric name and value is escaped here, and each section is defused like a report
text (its own markers cannot pass for the group's, its open blocks are closed).

The comment always fits the forge's limit: the summary is kept and the sections share what is left, each cut to
its share (a short section gives its unused share to the others); a cut section says so and links its run.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cml_action.report.assemble import MARKER_PREFIX, SHORT_SHA, defuse_markers, heading, marker_for
from cml_action.report.blocks import close_open_blocks
from cml_action.report.escape import code_span, escape_cell, shorten
from cml_action.report.limits import Unit, fit_to_limit
from cml_action.report.table import MISSING, TRIPPED_MARKER, format_value, github_table
from cml_action.store.model import Scalar, StoredRun

GROUP_MARKER_PREFIX = "<!-- cml-action:group="
PASSED_MARKER = "✅ "
DIFFERS = "differs"  # the baseline cell when the jobs' baselines disagree
# A section's share below this is not worth a stub: the section is replaced by one line pointing to its run.
_MIN_SECTION_ROOM = 200


def group_marker(group: str) -> str:
    """The hidden line that identifies a group's comment: one per group and target, whatever the jobs' keys."""
    return GROUP_MARKER_PREFIX + marker_for(group).removeprefix(MARKER_PREFIX)


def defuse_group_markers(text: str) -> str:
    """Member content that imitates a group marker must not be taken for one (as `defuse_markers` for keys)."""
    return defuse_markers(text).replace("cml-action:group=", "cml-action:group&#61;")


@dataclass(frozen=True)
class GroupComment:
    group: str
    title: str
    head_sha: str
    precision: int = 5


@dataclass(frozen=True)
class Fitted:
    body: str
    cuts: tuple[str, ...]  # one line per section that was cut to fit (for the log)


def render_group(
    comment: GroupComment, members: Mapping[str, StoredRun], *, limit: int, unit: Unit = "chars"
) -> Fitted:
    """The group's comment from every member (sorted by key), within `limit`."""
    measure = _measure(unit)
    runs = [members[key] for key in sorted(members)]
    head = "\n\n".join([heading(comment.title), _intro(comment, len(runs)), summary_table(runs, comment.precision)])
    marker = group_marker(comment.group)
    wrapped = [_wrap(run) for run in runs]
    whole = _joined(head, [section.opening + section.text + section.closing for section in wrapped], marker)
    if measure(whole) <= limit:
        return Fitted(whole, ())
    # Room for the sections: the limit less the summary, the marker, the separators and the widest note.
    fixed = measure(_joined(head, [""] * len(wrapped), marker)) + measure(_left_out_note(len(wrapped))) + 2
    if limit - fixed < 0:
        summary_only = _joined(head, [_left_out_note(len(wrapped))], marker)
        if measure(summary_only) <= limit:
            return Fitted(summary_only, ("every section was left out to fit the comment",))
        # The summary alone is over the limit (thousands of metrics): cut it, keep the marker.
        cut = fit_to_limit(defuse_group_markers(head), limit - measure(marker) - 3, unit=unit,
                           full_report_hint="each job's run", subject="group summary")  # fmt: skip
        return Fitted(_joined(cut.rstrip("\n"), [], marker), ("the group summary was cut, every section left out",))
    sections, cuts = _fit_sections(wrapped, limit - fixed, measure, unit)
    dropped = sections.count("")
    kept = [section for section in sections if section]
    return Fitted(_joined(head, [*kept, _left_out_note(dropped)] if dropped else kept, marker), tuple(cuts))


def _joined(head: str, sections: Sequence[str], marker: str) -> str:
    return "\n\n".join([head, *sections, marker]) + "\n"


def _left_out_note(count: int) -> str:
    sections = f"{count} section{'' if count == 1 else 's'}"
    return f"> [!NOTE]\n> {sections} left out to fit the comment: each job's run has its full report."


def _measure(unit: Unit) -> Callable[[str], int]:
    return len if unit == "chars" else (lambda text: len(text.encode("utf-8")))


def _intro(comment: GroupComment, count: int) -> str:
    jobs = f"{count} job{'' if count == 1 else 's'}"
    return f"Group {code_span(comment.group)}: {jobs} at {code_span(comment.head_sha[:SHORT_SHA])}."


# --- the summary ---


def summary_table(runs: Sequence[StoredRun], precision: int) -> str:
    """Rows: each metric any job has (file order as first seen, names sorted within a file); columns: the
    baseline, then each job. Then a row with each job's gates, and one with the links to its check and run."""
    headers = ["Metric", "baseline", *(escape_cell(shorten(run.key)) for run in runs)]
    files = list(dict.fromkeys(file for run in runs for file in run.metrics))
    one_file = len(files) <= 1
    body = []
    for file in files:
        for metric in sorted({name for run in runs for name in run.metrics.get(file, {})}):
            label = metric if one_file else f"{file}: {metric}"
            values = [_value(run.metrics, file, metric, precision) for run in runs]
            body.append([escape_cell(shorten(label)), _baseline_cell(runs, file, metric, precision), *values])
    if any(run.gates or run.blocking for run in runs):
        body.append(["**Gates**", "", *(_gates_cell(run) for run in runs)])
    body.append(["**Run**", "", *(_links_cell(run) for run in runs)])
    return github_table(headers, body).rstrip("\n")


def _value(values: Mapping[str, Mapping[str, Scalar]], file: str, metric: str, precision: int) -> str:
    in_file = values.get(file, {})
    if metric not in in_file:
        return MISSING
    return escape_cell(shorten(format_value(in_file[metric], precision)))


def _baseline_cell(runs: Sequence[StoredRun], file: str, metric: str, precision: int) -> str:
    """The baseline's value when every job that has one agrees (one baseline commit), else `differs`."""
    seen = {_value(run.baseline_metrics, file, metric, precision) for run in runs}
    seen.discard(MISSING)
    if len(seen) > 1:
        return DIFFERS
    return seen.pop() if seen else MISSING


def _gates_cell(run: StoredRun) -> str:
    if not (run.gates or run.blocking):
        return MISSING  # this job has no gates
    verdict = escape_cell(shorten(run.gates or "failed"))
    return (TRIPPED_MARKER if run.blocking else PASSED_MARKER) + verdict


def _links_cell(run: StoredRun) -> str:
    links = [f"[{label}]({_url(url)})" for label, url in (("check", run.check_url), ("run", run.run_url)) if url]
    return " · ".join(links) or MISSING


def _url(url: str) -> str:
    """A link target from the store: only http(s), and nothing that could end the link or the table cell."""
    from urllib.parse import quote

    if not url.startswith(("https://", "http://")):
        return "#"
    return quote(url, safe=":/?#[]@!$&*+,;=%~-._")


# --- the sections ---


@dataclass(frozen=True)
class _Section:
    opening: str  # "<details><summary>…</summary>\n\n"
    text: str  # the job's report, defused and with its blocks closed
    closing: str  # "\n\n</details>"
    key: str
    hint: str  # where the whole section is (its run)


def _wrap(run: StoredRun) -> _Section:
    mark = " " + TRIPPED_MARKER.strip() if run.blocking else ""
    opening = f"<details><summary>{html.escape(shorten(' '.join(run.key.split())))}{mark}</summary>\n\n"
    text = close_open_blocks(defuse_group_markers(run.section)).strip("\n") or "_(no report)_"
    hint = f"[the job's run]({_url(run.run_url)})" if run.run_url else "the job's run"
    return _Section(opening, text, "\n\n</details>", run.key, hint)


def _fit_sections(sections: list[_Section], budget: int, measure: Callable[[str], int],
                  unit: Unit) -> tuple[list[str], list[str]]:  # fmt: skip
    """Each section whole when all fit; else the smallest first take what they need up to an equal share of
    what is left, and the others are cut to their share (in key order in the comment)."""
    sizes = [measure(section.opening + section.text + section.closing) for section in sections]
    out = [""] * len(sections)
    cuts: list[str] = []
    left = budget
    order = sorted(range(len(sections)), key=lambda index: sizes[index])
    for position, index in enumerate(order):
        share = left // (len(order) - position)
        section = sections[index]
        if sizes[index] <= share:
            out[index] = section.opening + section.text + section.closing
        else:
            out[index] = _cut_section(section, share, measure, unit)
            cuts.append(f"the section of '{section.key}' was cut to {measure(out[index])} of {sizes[index]} "
                        f"{'characters' if unit == 'chars' else 'bytes'} to fit the comment")  # fmt: skip
        left -= measure(out[index])
    return out, cuts


def _cut_section(section: _Section, share: int, measure: Callable[[str], int], unit: Unit) -> str:
    room = share - measure(section.opening) - measure(section.closing)
    if room >= _MIN_SECTION_ROOM:
        text = fit_to_limit(section.text, room, unit=unit, full_report_hint=section.hint, subject="section")
        if text:
            return section.opening + text.rstrip("\n") + section.closing
    line = f"Left out to fit the comment: see {section.hint}."
    if measure(section.opening + line + section.closing) <= share:
        return section.opening + line + section.closing
    return ""
