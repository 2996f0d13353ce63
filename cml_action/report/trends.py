"""Trends on the default branch (docs/store.md, "Trends"): each metric's values over the last stored runs of the
default branch, with this run's value as the last point, and the sparkline cell the metrics table shows.

Pure: the caller reads the branch's index from the store (one read per run) and hands its entries here.
Stored values are untrusted: only finite numbers become points (NaN, infinities, strings, booleans and
numbers too large for a float are skipped), so nothing a stored document holds reaches the table as text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from cml_action.report.table import format_value

GLYPHS = "▁▂▃▄▅▆▇█"
FLAT = "▄"  # a constant series: a flat line at mid height (neither "lowest" nor "highest")
# After the last glyph when it is this run's value. A marker, not bold: a bold block glyph looks the same. Not
# `|` or any character markdown reads (GitHub and GitLab tables), and one column wide like the glyphs.
CURRENT_MARK = "◂"
RANGE_SEPARATOR = " – "
MAX_POINTS = 20
MIN_POINTS = 2  # one point is no trend
MetricKey = tuple[str, str]  # (file, flattened metric name), as the metrics table keys its rows


class Recorded(Protocol):
    """A stored run as the trends read it (the store's `IndexEntry`)."""

    @property
    def head_sha(self) -> str: ...

    @property
    def metrics(self) -> Mapping[str, Mapping[str, object]]: ...


class TrendPoint(NamedTuple):
    """One point (a NamedTuple: a report builds thousands)."""

    sha: str  # the run's head commit
    value: float  # an int stays an int (shown as written)
    current: bool = False  # this run's value (always the last point)


@dataclass(frozen=True)
class Trends:
    """The trend of every metric that has at least `MIN_POINTS` points, on `branch`."""

    branch: str
    series: Mapping[MetricKey, tuple[TrendPoint, ...]]
    runs: int  # stored runs the trends span (at most MAX_POINTS - 1; this commit's own run not counted)
    metrics: tuple[MetricKey, ...] = ()  # every metric seen, now or stored, with a trend or not


def point_value(value: object) -> float | None:
    """A value that can be a point: a finite int or float (not a bool, not a string), else None."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        try:
            return value if math.isfinite(float(value)) else None
        except OverflowError:  # an int beyond a float's range cannot be placed on a scale
            return None
    return None


def build_trends(branch: str, entries: Sequence[Recorded], current: Mapping[MetricKey, object], head_sha: str,
                 *, limit: int = MAX_POINTS) -> Trends:  # fmt: skip
    """Each metric's points over the last `limit` runs, oldest first: the last `limit - 1` stored runs (entries
    oldest first), then this run. A stored run of this very commit (a re-run, or the push recorded already) is
    left out: this run stands for it, so it is never counted twice. A run without a number for a metric gives
    that metric no point; a metric absent now keeps its stored points, without a current one. Metrics of
    `current` come first, in its order; stored-only ones follow."""
    limit = max(MIN_POINTS, limit)
    window = [entry for entry in entries if entry.head_sha != head_sha][-(limit - 1) :]
    history: dict[MetricKey, list[TrendPoint]] = {}
    for entry in window:
        sha = entry.head_sha
        for path, values in entry.metrics.items():
            for metric, raw in values.items():
                value = point_value(raw)
                if value is not None:
                    history.setdefault((path, metric), []).append(TrendPoint(sha, value))
    series: dict[MetricKey, tuple[TrendPoint, ...]] = {}
    metrics = tuple(dict.fromkeys([*current, *history]))
    for key in metrics:
        now = point_value(current.get(key))
        points = history.get(key, [])
        if now is not None:
            points = [*points, TrendPoint(head_sha, now, current=True)]
        if len(points) >= MIN_POINTS:
            series[key] = tuple(points)
    return Trends(branch, series, len(window), metrics)


def sparkline(values: Sequence[float]) -> str:
    """One glyph per value, from ▁ (the lowest) to █ (the highest); a constant series is a flat line."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if low == high:
        return FLAT * len(values)
    top = len(GLYPHS) - 1
    # Halved before subtracting: the span of -1e308 and 1e308 would overflow to infinity.
    span = high / 2 - low / 2
    return "".join(GLYPHS[min(top, math.floor((value / 2 - low / 2) / span * top + 0.5))] for value in values)


def trend_cell(points: Sequence[TrendPoint], precision: int) -> str:
    """`▁▃▅█◂ 0.81 – 0.92`: the sparkline, the mark when the last point is this run's, and the range it spans.
    "" for fewer than `MIN_POINTS` points. Only digits, '.', '-', 'e' and the glyphs: nothing to escape."""
    if len(points) < MIN_POINTS:
        return ""
    values = [point.value for point in points]
    mark = CURRENT_MARK if points[-1].current else ""
    span = f"{format_value(min(values), precision)}{RANGE_SEPARATOR}{format_value(max(values), precision)}"
    return f"{sparkline(values)}{mark} {span}"


def trend_cells(trends: Trends, keys: Iterable[MetricKey], precision: int) -> dict[MetricKey, str]:
    """The trend cell of each of `keys` that has a trend."""
    return {key: trend_cell(trends.series[key], precision) for key in keys if key in trends.series}


def trend_header(branch: str) -> str:
    return f"Trend on {branch}" if branch else "Trend"
