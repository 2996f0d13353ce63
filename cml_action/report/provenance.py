"""Where stored values in the report came from: the line under a table whose baseline came from the results
store, and the "since last push" column. Everything here comes from the store, which any job with a write token
can write: it is escaped, and a link is only made of an http(s) URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from cml_action.report.diff import MetricRow, is_number
from cml_action.report.escape import code_span, escape_markdown, shorten
from cml_action.report.table import MISSING, format_value

SHORT_SHA = 7


@dataclass(frozen=True)
class StoredSource:
    """A stored run a baseline was taken from."""

    run_id: str
    run_url: str
    branch: str
    head_sha: str
    distance: int  # first-parent commits before the baseline commit
    anchor: str  # what the baseline commit is: "the merge base", "the baseline commit"


def stored_baseline_line(source: StoredSource, files: tuple[str, ...]) -> str:
    """ "Baseline of `metrics.json`: stored result of run 123 on main at `e8aa460`, 2 commits before the merge
    base." One line, every stored piece escaped."""
    shown = ", ".join(code_span(shorten(path, 100)) for path in files)
    run = f"run {shorten(' '.join(source.run_id.split()), 40)}" if source.run_id.strip() else "a run"
    run = _link(escape_markdown(run), source.run_url)
    where = f" on {escape_markdown(shorten(' '.join(source.branch.split()), 100))}" if source.branch.strip() else ""
    if source.distance == 0:
        when = source.anchor
    else:
        when = f"{source.distance} commit{'' if source.distance == 1 else 's'} before {source.anchor}"
    return f"Baseline of {shown}: stored result of {run}{where} at {code_span(source.head_sha[:SHORT_SHA])}, {when}.\n"


def _link(text: str, url: str) -> str:
    if not url.startswith(("https://", "http://")) or any(char.isspace() for char in url):
        return text
    return f"[{text}]({quote(url, safe=':/?#[]@!$&*+,;=%~-._')})"


def since_previous_cells(rows: tuple[MetricRow, ...], previous: Mapping[str, Mapping[str, object]],
                         precision: int) -> dict[tuple[str, str], str]:  # fmt: skip
    """Per metric, the change from the previous run's value to this run's ("-" when either is not a number)."""
    cells: dict[tuple[str, str], str] = {}
    for row in rows:
        before = (previous.get(row.path) or {}).get(row.metric)
        if is_number(before) and is_number(row.new):
            cells[row.key] = shorten(format_value(row.new - before, precision))  # type: ignore[operator]
        else:
            cells[row.key] = MISSING
    return cells


def since_previous_header(head_sha: str) -> str:
    return f"Since last push ({head_sha[:SHORT_SHA]})"
