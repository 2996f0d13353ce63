"""Trends on the default branch: the points each metric gets from the stored runs, and the sparkline cell the
metrics table shows (docs/store.md, "Trends")."""

from __future__ import annotations

import math

import pytest
from markdown_it import MarkdownIt

from cml_action.report.diff import diff_metrics
from cml_action.report.table import ExtraColumn, render_metrics_table
from cml_action.report.trends import (
    TrendPoint,
    build_trends,
    point_value,
    sparkline,
    trend_cell,
    trend_cells,
    trend_header,
)
from cml_action.store.model import IndexEntry

HEAD = "f" * 40
ACC = ("metrics.json", "acc")


def sha(number: int) -> str:
    return f"{number:040x}"


def entry(number: int, **metrics: object) -> IndexEntry:
    return IndexEntry(sha(number), f"2026-12-{number:02d}T00:00:00Z", metrics={"metrics.json": metrics})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
        ([8, 7, 6, 5, 4, 3, 2, 1], "█▇▆▅▄▃▂▁"),
        ([0, 1], "▁█"),
        ([0.0, 0.5, 1.0], "▁▅█"),  # 3.5 of 7 steps rounds up, the same way every time
        ([0.9, 0.9, 0.9], "▄▄▄"),  # constant: a flat line at mid height
        ([5], "▄"),
        ([], ""),
        ([-1e308, 1e308, 0.0], "▁█▅"),  # a span beyond a float's range does not overflow
        ([0.1, 0.1000001, 0.1], "▁█▁"),  # tiny changes use the full height: the cell says the range
        ([-3, -1, -2], "▁█▅"),
    ],
)
def test_sparkline_maps_the_lowest_to_the_lowest_glyph_and_the_highest_to_the_highest(
    values: list[float], expected: str
) -> None:
    assert sparkline(values) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0.5, 0.5), (3, 3), (-2, -2), (True, None), (False, None), ("0.5", None), (None, None),
     (math.nan, None), (math.inf, None), (-math.inf, None), (10**400, None), ({"a": 1}, None)],
)  # fmt: skip
def test_only_finite_numbers_are_points(raw: object, expected: float | None) -> None:
    assert point_value(raw) == expected


def test_this_runs_value_is_the_last_of_at_most_twenty_points() -> None:
    entries = [entry(n, acc=n / 100) for n in range(1, 26)]  # 25 stored runs on main
    trends = build_trends("main", entries, {ACC: 0.5}, HEAD)
    points = trends.series[ACC]
    assert len(points) == 20 and trends.runs == 19
    assert [point.sha for point in points[:-1]] == [sha(n) for n in range(7, 26)]  # the last 19 stored
    assert points[-1] == TrendPoint(HEAD, 0.5, current=True)
    assert not any(point.current for point in points[:-1])
    assert trend_cell(points, 5) == "▁▁▁▁▂▂▂▂▂▂▃▃▃▃▃▃▄▄▄█◂ 0.07 – 0.5"


def test_the_window_is_the_last_runs_not_the_last_values() -> None:
    # Only runs 1 and 2 measured `f1`: 19 runs later, they are out of the window, and so is their trend.
    entries = [entry(1, acc=0.1, f1=0.5), entry(2, acc=0.2, f1=0.6), *(entry(n, acc=n / 10) for n in range(3, 22))]
    trends = build_trends("main", entries, {ACC: 0.5, ("metrics.json", "f1"): 0.7}, HEAD)
    assert list(trends.series) == [ACC] and trends.runs == 19
    assert trends.series[ACC][0].sha == sha(3)


def test_a_stored_run_of_this_commit_is_not_counted_twice() -> None:
    # A default-branch push whose run is in the index already (a re-run): this run's value replaces it.
    entries = [entry(1, acc=0.1), entry(2, acc=0.2), IndexEntry(HEAD, "t", metrics={"metrics.json": {"acc": 0.9}})]
    trends = build_trends("main", entries, {ACC: 0.3}, HEAD)
    assert [(point.sha, point.value) for point in trends.series[ACC]] == [(sha(1), 0.1), (sha(2), 0.2), (HEAD, 0.3)]
    assert trends.runs == 2
    assert trend_cell(trends.series[ACC], 5) == "▁▅█◂ 0.1 – 0.3"


def test_values_that_are_not_finite_numbers_are_skipped() -> None:
    entries = [entry(1, acc=0.5), entry(2, acc="n/a"), entry(3, acc=math.nan), entry(4, acc=True), entry(5),
               entry(6, acc=math.inf), entry(7, acc=0.7)]  # fmt: skip
    points = build_trends("main", entries, {ACC: 0.6}, HEAD).series[ACC]
    assert [(point.sha, point.value) for point in points] == [(sha(1), 0.5), (sha(7), 0.7), (HEAD, 0.6)]


def test_fewer_than_two_points_is_no_trend() -> None:
    trends = build_trends("main", [entry(1, acc=0.5, loss="x")], {ACC: "high", ("metrics.json", "loss"): 0.2}, HEAD)
    assert trends.series == {}  # acc: one stored point, a string now; loss: a string stored, one point now
    assert build_trends("main", [], {ACC: 0.5}, HEAD).series == {}
    assert trend_cell([TrendPoint(HEAD, 0.5, current=True)], 5) == ""


def test_a_metric_absent_now_keeps_its_stored_points_without_a_mark() -> None:
    entries = [entry(n, old=n) for n in range(1, 4)]
    trends = build_trends("main", entries, {ACC: 0.9}, HEAD)
    assert list(trends.series) == [("metrics.json", "old")]  # acc has one point only
    assert trend_cell(trends.series["metrics.json", "old"], 5) == "▁▅█ 1 – 3"


def test_a_constant_series_is_a_flat_line_and_ints_stay_ints() -> None:
    points = build_trends("main", [entry(1, n=10), entry(2, n=10)], {("metrics.json", "n"): 10}, HEAD).series
    assert trend_cell(points["metrics.json", "n"], 5) == "▄▄▄◂ 10 – 10"


def test_the_range_is_rounded_like_the_table() -> None:
    points = [TrendPoint(sha(1), 0.123456789), TrendPoint(HEAD, 1e-9, current=True)]
    assert trend_cell(points, 3) == "█▁◂ 0.0 – 0.123"
    assert trend_cell(points, 5) == "█▁◂ 0.0 – 0.12346"


def test_metrics_in_other_files_are_separate_series() -> None:
    entries = [IndexEntry(sha(n), "t", metrics={"a.json": {"acc": n}, "b.json": {"acc": -n}}) for n in (1, 2)]
    series = build_trends("main", entries, {("a.json", "acc"): 3, ("b.json", "acc"): -3}, HEAD).series
    assert trend_cell(series["a.json", "acc"], 5) == "▁▅█◂ 1 – 3"
    assert trend_cell(series["b.json", "acc"], 5) == "█▅▁◂ -3 – -1"


def test_the_trend_column_renders_as_one_cell_in_github_markdown() -> None:
    entries = [entry(1, acc=0.5, loss=4), entry(2, acc=0.75, loss=2)]
    diff = diff_metrics({"metrics.json": {"acc": 0.75, "loss": 2, "name": "a"}},
                        {"metrics.json": {"acc": 1.0, "loss": 0, "name": "b|c"}})  # fmt: skip
    current = {row.key: row.new for row in diff.rows}
    trends = build_trends("feature|x", entries, current, HEAD)
    cells = trend_cells(trends, current, 5)
    table = render_metrics_table(diff, precision=5, show_all=False,
                                 extra=[ExtraColumn(trend_header(trends.branch), cells)])  # fmt: skip
    assert table.splitlines() == [
        "| Path         | Metric   | HEAD   | workspace   | Change   | Trend on feature\\|x   |",
        "|--------------|----------|--------|-------------|----------|-----------------------|",
        "| metrics.json | acc      | 0.75   | 1.0         | 0.25     | ▁▅█◂ 0.5 – 1.0        |",
        "| metrics.json | loss     | 2      | 0           | -2       | █▅▁◂ 0 – 4            |",
        "| metrics.json | name     | a      | b\\|c        | -        |                       |",
    ]
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert html.count("<tr>") == 4 and html.count("<td>") == 18  # 3 rows of 6 cells: no cell split or merged
    assert "<td>▁▅█◂ 0.5 – 1.0</td>" in html


def test_a_table_without_extra_columns_is_unchanged() -> None:
    diff = diff_metrics({"m.json": {"a": 1}}, {"m.json": {"a": 2}})
    assert render_metrics_table(diff, precision=5, show_all=False, extra=()) == render_metrics_table(
        diff, precision=5, show_all=False
    )
    assert render_metrics_table(diff, precision=5, show_all=False, with_path=False,
                                extra=[ExtraColumn("T", {("m.json", "a"): "▁█◂ 1 – 2"})]).splitlines()[2] == (
        "| a        | 1      | 2           | 1        | ▁█◂ 1 – 2 |")  # fmt: skip


def test_trend_header_names_the_branch() -> None:
    assert trend_header("main") == "Trend on main"
    assert trend_header("") == "Trend"
