"""Fit a report into a forge's body limit without breaking its markdown or losing the sticky marker."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from cml_action.report.assemble import MARKER_PREFIX, ReportParts, assemble, defuse_markers
from cml_action.report.blocks import BlockState, close_open_blocks, closers_for
from cml_action.report.spans import fence_opener

Unit = Literal["chars", "bytes"]
# A heading cut is preferred unless it would throw away more than this share of what a line cut keeps.
_HEADING_CUT_MIN_SHARE = 0.5

_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")


def _measure(unit: Unit) -> Callable[[str], int]:
    return len if unit == "chars" else (lambda text: len(text.encode("utf-8")))


def _split_marker(markdown: str) -> tuple[str, str]:
    stripped = markdown.rstrip()
    last_line_start = stripped.rfind("\n") + 1
    if stripped.startswith(MARKER_PREFIX, last_line_start):
        return stripped[:last_line_start], stripped[last_line_start:] + "\n"
    return markdown, ""


def _note(shown: int, total: int, unit: Unit, hint: str, subject: str = "report") -> str:
    noun = "characters" if unit == "chars" else "bytes"
    return f"\n> [!NOTE]\n> … {subject} truncated: {shown} of {total} {noun} shown. Full report: {hint}\n"


def cut_notice(what: str, full: str, fitted: str, limit: int, unit: Unit) -> str | None:
    """The log line saying that `what` was cut to fit (None when it was not): the reader of the log learns it
    without opening the comment."""
    measure = _measure(unit)
    if fitted == full:
        return None
    noun = "characters" if unit == "chars" else "bytes"
    return (f"the {what} is {measure(full)} {noun}, over the forge's limit of {limit}: it was cut at a heading or "
            "line, with a note pointing to the full report")  # fmt: skip


@dataclass(frozen=True)
class _Candidates:
    """Every line start of the body with the prefix size there and the closers that prefix would need, so
    choosing a cut is O(lines) even for a hostile report (thousands of open `<details>`)."""

    offsets: list[int]
    sizes: list[int]
    closer_sizes: list[int]
    headings: list[int]  # indexes into the lists above


def _candidates(body: str, measure: Callable[[str], int], budget: int) -> _Candidates:
    found = _Candidates([], [], [], [])
    state = BlockState()
    offset = size = 0
    closer_size = 0
    for line in body.splitlines(keepends=True):
        if size > budget:
            break  # no later line start can be a cut: scanning stays O(limit), not O(report)
        found.offsets.append(offset)
        found.sizes.append(size)
        found.closer_sizes.append(closer_size)
        text = line.rstrip("\r\n")
        if state.fence is None and not state.in_comment and _HEADING.match(text) and fence_opener(text) is None:
            found.headings.append(len(found.offsets) - 1)
        next_state = state.after(text)
        if next_state is not state:
            state = next_state
            closer_size = state.closers_size(measure)
        offset += len(line)
        size += measure(line)
    return found


def _best_cut(found: _Candidates, indexes: Sequence[int], budget: int) -> int | None:
    """The longest prefix ending at one of `indexes` that fits in `budget` with its closers."""
    for index in reversed(indexes):
        if found.sizes[index] + found.closer_sizes[index] <= budget:
            return found.offsets[index]
    return None


def _mid_line_cut(body: str, budget: int, measure: Callable[[str], int]) -> int:
    """One giant line: the longest character prefix that fits with its closers (binary search)."""
    low, high = 0, len(body)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(body[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    while low > 0 and measure(body[:low]) + measure(closers_for(body[:low])) > budget:
        low -= max(1, low // 50)
    return max(low, 0)


def _cut(body: str, budget: int, measure: Callable[[str], int]) -> str:
    found = _candidates(body, measure, budget)
    line_cut = _best_cut(found, range(len(found.offsets)), budget)
    heading_cut = _best_cut(found, found.headings, budget)
    if line_cut is None or line_cut == 0:
        cut = _mid_line_cut(body, budget, measure)
    elif heading_cut is not None and heading_cut >= line_cut * _HEADING_CUT_MIN_SHARE:
        cut = heading_cut
    else:
        cut = line_cut
    return body[:cut]


def fit_to_limit(
    markdown: str, limit: int, *, unit: Unit = "chars", full_report_hint: str, subject: str = "report"
) -> str:
    """`markdown` unchanged when within `limit`; else cut at a heading (or line), blocks closed, a note pointing
    to the full report, and the trailing marker kept. The result never exceeds `limit`."""
    measure = _measure(unit)
    total = measure(markdown)
    if total <= limit:
        return markdown
    body, marker = _split_marker(markdown)
    widest_note = _note(total, total, unit, full_report_hint, subject)
    for note_template, keep_marker in ((widest_note, True), ("", True), ("", False)):
        tail = marker if keep_marker else ""
        budget = limit - measure(note_template) - measure(tail) - (1 if tail else 0)
        for _attempt in range(4):  # normalising the cut's trailing whitespace can cost a character or two
            if budget < 0:
                break
            hint = full_report_hint if note_template else None
            result = _truncated(body, budget, measure, total, unit, hint, subject)
            result += "\n" + tail if tail else ""
            overflow = measure(result) - limit
            if overflow <= 0:
                return result
            budget -= overflow
    return ""


def _truncated(
    body: str, budget: int, measure: Callable[[str], int], total: int, unit: Unit, hint: str | None, subject: str
) -> str:
    prefix = _cut(body, budget, measure).rstrip()
    prefix += "\n" if prefix else ""
    prefix += closers_for(prefix)
    return prefix + (_note(measure(prefix), total, unit, hint, subject) if hint is not None else "")


# Below this much room the report texts are not worth keeping as a stub; cut the whole report instead.
_MIN_TEXT_ROOM = 300


def fit_report(parts: ReportParts, limit: int, *, unit: Unit = "chars", full_report_hint: str,
               on_cut: Callable[[str], None] | None = None) -> str:  # fmt: skip
    """`assemble(parts)` within `limit`, shortening the report texts first so that the metrics table, the gates,
    the footer and the marker survive a long report file; else `fit_to_limit` on the whole report. A cut is told
    to `on_cut` (the log), in the words of `cut_notice`."""
    measure = _measure(unit)
    full = assemble(parts)
    if measure(full) <= limit:
        return full
    fitted = _fit_long_report(parts, full, limit, unit, full_report_hint)
    notice = cut_notice("report", full, fitted, limit, unit)
    if on_cut is not None and notice:
        on_cut(notice)
    return fitted


def _fit_long_report(parts: ReportParts, full: str, limit: int, unit: Unit, full_report_hint: str) -> str:
    measure = _measure(unit)
    if parts.texts:
        room = limit - measure(assemble(replace(parts, texts=()))) - 2  # 2: the blank line joining the texts
        if room >= _MIN_TEXT_ROOM:
            joined = "\n\n".join(close_open_blocks(defuse_markers(text)).strip("\n") for text in parts.texts)
            fitted = fit_to_limit(joined, room, unit=unit, full_report_hint=full_report_hint, subject="report text")
            candidate = assemble(replace(parts, texts=(fitted,)))
            if measure(candidate) <= limit:
                return candidate
    return fit_to_limit(full, limit, unit=unit, full_report_hint=full_report_hint)
