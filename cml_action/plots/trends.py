"""Trend charts (input `trend-plots`, docs/store.md "Trends"): a metric over the default branch's stored runs,
this run's value highlighted, the threshold of each matching `min`/`max` gate as a rule.

Selection and specs are pure; `draw_trend_plots` renders through the one rendering path (`vega.render`, offline,
no external data) into PNG files the caller publishes like the other plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_action.plots import render
from cml_action.plots.draw import RenderedPlot
from cml_action.plots.spec import HEIGHT, PALETTE, SCHEMA_URL, WIDTH, finite_json
from cml_action.report.table import format_value
from cml_action.report.thresholds import Rule, metric_matches
from cml_action.report.trends import MIN_POINTS, MetricKey, TrendPoint, Trends

# A glob like `*` must not turn 500 metrics into 500 images (a report holds at most 100, media.py).
MAX_TREND_PLOTS = 20
_NAMED = 5  # metrics named in a warning; the rest are counted
LINE_COLOUR = PALETTE[0]
CURRENT_COLOUR = PALETTE[3]  # red: this run's point
RULE_COLOUR = "#555555"


@dataclass(frozen=True)
class Threshold:
    label: str  # "min 0.8", as the rule is written
    value: float


@dataclass(frozen=True)
class TrendCharts:
    charts: tuple[RenderedPlot, ...]
    notes: tuple[str, ...]  # the report's warnings: globs that matched nothing, metrics without a trend yet


def metric_name(key: MetricKey) -> str:
    return f"{key[0]}:{key[1]}"


def _listed(keys: Sequence[MetricKey]) -> str:
    named = ", ".join(metric_name(key) for key in keys[:_NAMED])
    return named + (f" and {len(keys) - _NAMED} more" if len(keys) > _NAMED else "")


def select_metrics(trends: Trends, globs: Sequence[str]) -> tuple[list[MetricKey], list[str]]:
    """The metrics to draw (each once, in glob order) and a note for each glob that draws nothing or draws only
    some of what it matches. Globs match like thresholds: `file:metric` or `metric`."""
    chosen: dict[MetricKey, None] = {}
    notes: list[str] = []
    for glob in globs:
        matched = [key for key in trends.metrics if metric_matches(glob, *key)]
        if not matched:
            notes.append(f"trend-plots: '{glob}' matches no metric of this run or of the stored runs")
            continue
        short = [key for key in matched if key not in trends.series]
        if short:
            notes.append(f"trend-plots: '{glob}': no trend yet for {_listed(short)} (fewer than {MIN_POINTS} "
                         f"numeric values in this run and {trends.runs} stored run(s) on {trends.branch})")  # fmt: skip
        chosen.update(dict.fromkeys(key for key in matched if key in trends.series))
    keys = list(chosen)
    if len(keys) > MAX_TREND_PLOTS:
        notes.append(f"trend-plots: {len(keys)} metrics match, the first {MAX_TREND_PLOTS} are drawn; left out: "
                     f"{_listed(keys[MAX_TREND_PLOTS:])} (narrow the globs)")  # fmt: skip
    return keys[:MAX_TREND_PLOTS], notes


def thresholds_for(rules: Sequence[Rule], key: MetricKey) -> list[Threshold]:
    """The bounds of the `min`/`max` gates on this metric (a change limit has no fixed level to draw)."""
    return [Threshold(f"{rule.kind} {rule.amount}", rule.value) for rule in rules
            if rule.kind in ("min", "max") and metric_matches(rule.glob, *key)]  # fmt: skip


def x_labels(points: Sequence[TrendPoint]) -> list[str]:
    """Short shas as x labels, numbered where two would read the same (the x axis places points by label)."""
    labels: list[str] = []
    for number, point in enumerate(points, start=1):
        label = point.sha[:7]
        labels.append(f"{label} ({number})" if label in labels else label)
    return labels


def trend_spec(key: MetricKey, points: Sequence[TrendPoint], thresholds: Sequence[Threshold], *,
               branch: str) -> dict[str, Any]:  # fmt: skip
    """A Vega-Lite line over the points in order (x: short sha), this run's point larger and red, each
    threshold a dashed rule with its label."""
    rows = [{"x": label, "y": point.value, "current": point.current}
            for label, point in zip(x_labels(points), points, strict=True)]  # fmt: skip
    has_current = bool(points) and points[-1].current
    x_title = f"stored runs on {branch}" + (", then this run" if has_current else "")
    x = {"field": "x", "type": "ordinal", "sort": None, "title": x_title, "axis": {"labelAngle": -45}}
    y = {"field": "y", "type": "quantitative", "title": key[1], "scale": {"zero": False}}
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 2, "point": {"color": LINE_COLOUR}},
         "encoding": {"x": x, "y": y}},
        {"transform": [{"filter": "datum.current"}],
         "mark": {"type": "point", "filled": True, "size": 160, "color": CURRENT_COLOUR, "opacity": 1},
         "encoding": {"x": x, "y": y}},
    ]  # fmt: skip
    if thresholds:
        bounds = {"values": [{"y": bound.value, "label": bound.label} for bound in thresholds]}
        rule_y = {"field": "y", "type": "quantitative"}
        layers += [
            {"data": bounds, "mark": {"type": "rule", "color": RULE_COLOUR, "strokeDash": [6, 4]},
             "encoding": {"y": rule_y}},
            {"data": bounds, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "color": RULE_COLOUR},
             "encoding": {"y": rule_y, "text": {"field": "label"}, "x": {"value": 0}}},
        ]  # fmt: skip
    current = " (red: this run)" if has_current else ""
    return {
        "$schema": SCHEMA_URL,
        "title": {"text": f"{key[1]} on {branch}", "subtitle": f"{key[0]}, last {len(points)} runs{current}"},
        "width": WIDTH,
        "height": HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "background": "white",
        "data": {"values": finite_json(rows)},
        "layer": layers,
    }


def trend_alt(key: MetricKey, points: Sequence[TrendPoint], branch: str, precision: int) -> str:
    values = [point.value for point in points]
    span = f"{format_value(min(values), precision)} to {format_value(max(values), precision)}"
    last = points[-1]
    now = f", this run {format_value(last.value, precision)}" if last.current else ""
    return f"Trend of {metric_name(key)} on {branch}: {len(points)} runs from {span}{now}"


def draw_trend_plots(trends: Trends, globs: Sequence[str], rules: Sequence[Rule], out_dir: Path, *,
                     precision: int = 5, scale: float = render.DEFAULT_SCALE) -> TrendCharts:  # fmt: skip
    """One PNG per selected metric in out_dir. A chart that cannot be rendered is a note; a missing renderer
    (RendererMissing) fails the whole section, as it does for the plots."""
    from cml_action.errors import CmlError

    keys, notes = select_metrics(trends, globs)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = []
    for number, key in enumerate(keys, start=1):
        points = trends.series[key]
        spec = trend_spec(key, points, thresholds_for(rules, key), branch=trends.branch)
        path = out_dir / f"trend-{number}.png"
        try:
            path.write_bytes(render.vegalite_png(spec, scale=scale))
        except render.RendererMissing:
            raise
        except CmlError as exc:
            notes.append(f"trend plot of {metric_name(key)} was not drawn: {exc}")
            continue
        title = f"{key[1]} on {trends.branch}"
        charts.append(RenderedPlot(path=path, title=title, alt=trend_alt(key, points, trends.branch, precision)))
    return TrendCharts(tuple(charts), tuple(notes))
