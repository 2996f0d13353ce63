"""Render a `MetricsDiff` exactly like `dvc metrics diff --md` / `--json` (DVC 3.67, tabulate "github")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from cml_action.report.diff import MetricRow, MetricsDiff
from cml_action.report.escape import display_width, escape_cell, shorten

MISSING = "-"  # DVC's fill value for a missing side or a missing change
# Prefixed to the Metric cell of a row that trips a gate. It marks the metric, not the change: the Change cell
# stays DVC's signed number, since a rise can trip a gate too (`acc min 0.99` with acc 0.9 -> 0.95).
TRIPPED_MARKER = "❌ "
_MIN_HEADER_PADDING = 2  # tabulate pads each column to at least len(header) + 2


class ExtraColumn(NamedTuple):
    """A column after Change (not DVC's): its header (plain text, escaped here) and its cells by (path, metric),
    already markdown; a row without a cell shows an empty one."""

    header: str
    cells: Mapping[tuple[str, str], str]


def format_value(value: object, precision: int) -> str:
    """DVC's `_format_field(..., round_digits=True)`: floats rounded to `precision` decimals, then `str()`.
    (DVC itself turns `--precision 0` into its default 5; here 0 really rounds to whole numbers.)"""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return str(round(value, precision))
    return str(value)


def table_rows(
    diff: MetricsDiff, *, show_all: bool, tripped: frozenset[tuple[str, str]] = frozenset()
) -> tuple[MetricRow, ...]:
    """Rows the table shows: changed ones, plus unchanged ones with `show_all`, plus every tripped one."""
    if show_all:
        return diff.rows
    # `old != new` inlined (not `row.changed`): this runs once per metric, 100 000 times in the benchmark.
    return tuple(row for row in diff.rows if row.old != row.new or (tripped and row.key in tripped))


def render_metrics_table(
    diff: MetricsDiff,
    *,
    precision: int,
    show_all: bool,
    tripped: frozenset[tuple[str, str]] = frozenset(),
    baseline_label: str = "HEAD",
    current_label: str = "workspace",
    with_path: bool = True,
    extra: Sequence[ExtraColumn] = (),
) -> str:
    """The markdown table, ending with a newline. No rows gives the header-only table, as DVC prints.
    `with_path=False` leaves out the Path column (`dvc metrics diff --no-path`); `extra` columns follow Change."""
    headers = ["Path", "Metric", escape_cell(baseline_label), escape_cell(current_label), "Change"]
    escaped_paths: dict[str, str] = {}  # one file has thousands of rows: escape its path once
    rows = table_rows(diff, show_all=show_all, tripped=tripped)
    body = [_cells(row, precision, row.key in tripped, escaped_paths) for row in rows]
    for column in extra:
        headers.append(escape_cell(column.header))
        for cells, row in zip(body, rows, strict=True):
            cells.append(column.cells.get(row.key, ""))
    if not with_path:
        headers, body = headers[1:], [cells[1:] for cells in body]
    return github_table(headers, body)


def _cells(row: MetricRow, precision: int, is_tripped: bool, escaped_paths: dict[str, str]) -> list[str]:
    change = shorten(format_value(row.change, precision))
    path = escaped_paths.get(row.path)
    if path is None:
        path = escaped_paths[row.path] = escape_cell(shorten(row.path))
    metric = escape_cell(shorten(row.metric))
    return [
        path,
        TRIPPED_MARKER + metric if is_tripped else metric,
        _value_cell(row.old, precision),
        _value_cell(row.new, precision),
        change,
    ]


def _value_cell(value: object, precision: int) -> str:
    if type(value) in (int, float):  # digits, '.', '-', 'e', 'nan', 'inf': nothing to escape
        return shorten(format_value(value, precision))
    return escape_cell(shorten(format_value(value, precision)))


def github_table(headers: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [display_width(header) + _MIN_HEADER_PADDING for header in headers]
    all_ascii = True
    for column, cells in enumerate(zip(*body, strict=True)):
        if "".join(cells).isascii():  # the common case: C-speed len() over the whole column
            widths[column] = max(widths[column], *map(len, cells))
        else:
            all_ascii = False
            widths[column] = max(widths[column], *map(display_width, cells))
    lines = [_line(headers, widths), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    if all_ascii:
        lines.extend("| " + " | ".join(map(str.ljust, cells, widths)) + " |" for cells in body)
    else:
        lines.extend(_line(cells, widths) for cells in body)
    return "\n".join(lines) + "\n"


def _line(cells: Iterable[str], widths: Sequence[int]) -> str:
    padded = (
        cell.ljust(width) if cell.isascii() else cell + " " * (width - display_width(cell))
        for cell, width in zip(cells, widths, strict=True)
    )
    return "| " + " | ".join(padded) + " |"


def render_metrics_json(diff: MetricsDiff, *, show_all: bool = False) -> str:
    """`dvc metrics diff --json`: `{path: {metric: {"old", "new", "diff"?}}}`, unrounded, `diff` only when
    both sides are numbers, unchanged metrics only with `show_all`."""
    result: dict[str, dict[str, dict[str, object]]] = {}
    for path, metric, old, new, change in table_rows(diff, show_all=show_all):
        file_result = result.get(path)
        if file_result is None:
            file_result = result[path] = {}
        entry: dict[str, object] = {"old": old, "new": new}
        if change is not None:
            entry["diff"] = change
        file_result[metric] = entry
    return json.dumps(result)


def render_metrics_section(
    diff: MetricsDiff,
    *,
    precision: int,
    show_all: bool,
    tripped: frozenset[tuple[str, str]] = frozenset(),
    baseline_label: str = "HEAD",
    current_label: str = "workspace",
    heading: str = "### Metrics",
    extra: Sequence[ExtraColumn] = (),
) -> str:
    """The report's metrics section: heading + table; a one-line note when nothing changed; "" without metrics."""
    if not diff.rows:
        return ""
    if not table_rows(diff, show_all=show_all, tripped=tripped):
        count = len(diff.rows)
        noun = "metric" if count == 1 else "metrics"
        return f"{heading}\n\nNo metric changed ({count} {noun} compared).\n"
    table = render_metrics_table(
        diff,
        precision=precision,
        show_all=show_all,
        tripped=tripped,
        baseline_label=baseline_label,
        current_label=current_label,
        extra=extra,
    )
    return f"{heading}\n\n{table}"
