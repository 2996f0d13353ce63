"""Trend charts (`trend-plots`): which metrics are drawn, what each chart shows, and how a chart that cannot be
drawn is reported (docs/store.md, "Trends")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cml_action.errors import CmlError
from cml_action.plots import render
from cml_action.plots import trends as charts
from cml_action.plots.trends import (
    MAX_TREND_PLOTS,
    Threshold,
    draw_trend_plots,
    select_metrics,
    thresholds_for,
    trend_alt,
    trend_spec,
    x_labels,
)
from cml_action.report.thresholds import parse_thresholds
from cml_action.report.trends import TrendPoint, Trends, build_trends
from cml_action.store.model import IndexEntry

HEAD = "f" * 40


def sha(number: int) -> str:
    return f"{number:x}{'0' * 39}"[:40]  # distinct first characters: distinct short shas


def stored(count: int, **metrics: dict[str, object]) -> list[IndexEntry]:
    """`count` runs; metrics["file"]["name"] is a list of values (one per run) or one value for all."""
    runs = []
    for number in range(1, count + 1):
        values = {file: {name: (value[number - 1] if isinstance(value, list) else value)
                         for name, value in names.items()} for file, names in metrics.items()}  # fmt: skip
        runs.append(IndexEntry(sha(number), "t", metrics=values))  # type: ignore[arg-type]
    return runs


def trends_of(entries: list[IndexEntry], current: dict[tuple[str, str], object]) -> Trends:
    return build_trends("main", entries, current, HEAD)


STORED = {
    "metrics.json": {"acc": [0.8, 0.82, 0.85], "acc_top5": 0.9, "loss": [0.5, 0.4, 0.3]},
    "eval/extra.json": {"acc": [0.7, 0.71, 0.72]},
}
TRENDS = trends_of(stored(3, **STORED), {("metrics.json", "acc"): 0.9, ("metrics.json", "new_metric"): 1.0})


@pytest.mark.parametrize(
    ("globs", "expected"),
    [
        (["acc"], [("metrics.json", "acc"), ("eval/extra.json", "acc")]),  # a bare name: every file's
        (["metrics.json:acc*"], [("metrics.json", "acc"), ("metrics.json", "acc_top5")]),
        (["*:acc", "acc"], [("metrics.json", "acc"), ("eval/extra.json", "acc")]),  # each metric once
        (["loss", "eval/*"], [("metrics.json", "loss"), ("eval/extra.json", "acc")]),
        (["ACC"], []),  # case-sensitive, like thresholds
    ],
)
def test_globs_pick_metrics_the_way_thresholds_do(globs: list[str], expected: list[tuple[str, str]]) -> None:
    assert select_metrics(TRENDS, globs)[0] == expected


def test_a_glob_that_matches_nothing_is_one_warning() -> None:
    keys, notes = select_metrics(TRENDS, ["f1*", "acc"])
    assert len(keys) == 2
    assert notes == ["trend-plots: 'f1*' matches no metric of this run or of the stored runs"]


def test_a_metric_without_two_points_says_why() -> None:
    keys, notes = select_metrics(TRENDS, ["new_*"])  # only this run has it
    assert keys == []
    assert notes == ["trend-plots: 'new_*': no trend yet for metrics.json:new_metric (fewer than 2 numeric values "
                     "in this run and 3 stored run(s) on main)"]  # fmt: skip


def test_at_most_twenty_charts_the_rest_named_in_a_warning() -> None:
    names = {f"m{n:02d}": [0.1, 0.2] for n in range(25)}
    keys, notes = select_metrics(trends_of(stored(2, **{"m.json": names}), {}), ["*"])  # type: ignore[dict-item]
    assert len(keys) == MAX_TREND_PLOTS and keys[-1] == ("m.json", "m19")
    assert notes == ["trend-plots: 25 metrics match, the first 20 are drawn; left out: m.json:m20, m.json:m21, "
                     "m.json:m22, m.json:m23, m.json:m24 (narrow the globs)"]  # fmt: skip


def test_min_and_max_gates_are_the_thresholds_drawn() -> None:
    rules = parse_thresholds("acc min 0.8\nmetrics.json:acc max 0.99\nacc max-drop 0.01\nloss min 0\n")
    assert thresholds_for(rules, ("metrics.json", "acc")) == [Threshold("min 0.8", 0.8), Threshold("max 0.99", 0.99)]
    assert thresholds_for(rules, ("eval/extra.json", "acc")) == [Threshold("min 0.8", 0.8)]
    assert thresholds_for(rules, ("metrics.json", "f1")) == []


def test_the_spec_draws_the_points_in_order_this_run_highlighted_and_the_threshold() -> None:
    points = TRENDS.series["metrics.json", "acc"]
    spec = trend_spec(("metrics.json", "acc"), points, [Threshold("min 0.8", 0.8)], branch="main")
    assert spec["data"]["values"] == [
        {"x": "1000000", "y": 0.8, "current": False},
        {"x": "2000000", "y": 0.82, "current": False},
        {"x": "3000000", "y": 0.85, "current": False},
        {"x": "fffffff", "y": 0.9, "current": True},
    ]
    line, current, rule, label = spec["layer"]
    assert line["mark"]["type"] == "line" and line["encoding"]["x"]["sort"] is None  # in stored order
    assert current["transform"] == [{"filter": "datum.current"}] and current["mark"]["color"] == charts.CURRENT_COLOUR
    assert rule["mark"]["type"] == "rule" and rule["data"] == {"values": [{"y": 0.8, "label": "min 0.8"}]}
    assert label["encoding"]["text"] == {"field": "label"}
    assert spec["title"] == {"text": "acc on main", "subtitle": "metrics.json, last 4 runs (red: this run)"}


def test_without_thresholds_or_a_current_value_the_chart_says_less() -> None:
    points = TRENDS.series["metrics.json", "loss"]  # not in this run
    spec = trend_spec(("metrics.json", "loss"), points, [], branch="main")
    assert len(spec["layer"]) == 2 and not any(row["current"] for row in spec["data"]["values"])
    assert spec["title"]["subtitle"] == "metrics.json, last 3 runs"
    assert trend_alt(("metrics.json", "loss"), points, "main", 5) == (
        "Trend of metrics.json:loss on main: 3 runs from 0.3 to 0.5"
    )
    assert trend_alt(("metrics.json", "acc"), TRENDS.series["metrics.json", "acc"], "main", 5) == (
        "Trend of metrics.json:acc on main: 4 runs from 0.8 to 0.9, this run 0.9")  # fmt: skip


def test_two_runs_that_read_the_same_keep_their_own_x() -> None:
    points = [TrendPoint("abcdef0" + "1" * 33, 1), TrendPoint("abcdef0" + "2" * 33, 2), TrendPoint(HEAD, 3, True)]
    assert x_labels(points) == ["abcdef0", "abcdef0 (2)", "fffffff"]


def test_charts_are_rendered_offline_to_png(tmp_path: Path) -> None:
    drawn = draw_trend_plots(TRENDS, ["metrics.json:acc", "nothing"], parse_thresholds("acc min 0.8"), tmp_path,
                             scale=1.0)  # fmt: skip
    [chart] = drawn.charts
    assert chart.path == tmp_path / "trend-1.png" and chart.path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.alt == "Trend of metrics.json:acc on main: 4 runs from 0.8 to 0.9, this run 0.9"
    assert drawn.notes == ("trend-plots: 'nothing' matches no metric of this run or of the stored runs",)


def test_a_chart_that_fails_to_render_is_a_note_and_a_missing_renderer_fails_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(spec: dict[str, Any], *, scale: float) -> bytes:
        raise CmlError("the chart could not be rendered: boom")

    monkeypatch.setattr(render, "vegalite_png", refuse)
    drawn = draw_trend_plots(TRENDS, ["acc"], (), tmp_path)
    assert drawn.charts == ()
    assert drawn.notes == (
        "trend plot of metrics.json:acc was not drawn: the chart could not be rendered: boom",
        "trend plot of eval/extra.json:acc was not drawn: the chart could not be rendered: boom",
    )

    def missing(spec: dict[str, Any], *, scale: float) -> bytes:
        raise render.RendererMissing("'plots' needs vl-convert-python")

    monkeypatch.setattr(render, "vegalite_png", missing)
    with pytest.raises(render.RendererMissing):
        draw_trend_plots(TRENDS, ["acc"], (), tmp_path)
