"""Vega-Lite specs: current and baseline of each series in one chart, colour by series, baseline dashed.

Data goes in long form with our own field names (`x`, `y`, `series`, `rev`), so user column names containing
dots or brackets (which Vega-Lite reads as nested paths) cannot break the chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v5.json"
WIDTH = 640  # total chart size (axes and legend included, autosize "fit"); PNG is this × scale
HEIGHT = 320
# Vega-Lite's default "tableau10" colours, fixed here so a series keeps its colour between current and baseline.
PALETTE = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#eeca3b",
)
SOLID: list[int] = [1, 0]
DASHED: list[int] = [6, 4]
POINT_MARK_LIMIT = 40  # draw point markers when a series is this short, so single points stay visible
LINE_TEMPLATES = (None, "linear", "simple", "smooth")
SCATTER_TEMPLATES = ("scatter", "scatter_jitter")
OWN_TEMPLATES = (*LINE_TEMPLATES, *SCATTER_TEMPLATES)  # what our own chart reproduces; the rest is DVC's to draw

Point = tuple[float | str, float]


@dataclass(frozen=True)
class Series:
    name: str
    current: tuple[Point, ...]
    baseline: tuple[Point, ...] | None = None  # None: the baseline had no such data


@dataclass(frozen=True)
class ChartText:
    title: str
    x_label: str
    y_label: str
    current_label: str = "current"
    baseline_label: str = "baseline"


def finite_json(value: Any) -> Any:
    """A copy with every NaN/Infinity replaced by None: JSON (and vl-convert) has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    return value


def _values(series: Sequence[Series], text: ChartText) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for one in series:
        rows += [{"x": x, "y": y, "series": one.name, "rev": text.current_label} for x, y in one.current]
        for x, y in one.baseline or ():
            rows.append({"x": x, "y": y, "series": one.name, "rev": text.baseline_label})
    return rows


def _x_type(series: Sequence[Series]) -> str:
    numeric = all(isinstance(x, float) for one in series for x, _ in (*one.current, *(one.baseline or ())))
    return "quantitative" if numeric else "ordinal"


def _mark(template: str | None, longest: int) -> dict[str, Any]:
    if template in SCATTER_TEMPLATES:
        return {"type": "point", "filled": True, "size": 30}
    return {"type": "line", "strokeWidth": 2, "point": longest <= POINT_MARK_LIMIT, "clip": True}


def build_spec(series: Sequence[Series], text: ChartText, *, template: str | None = None) -> dict[str, Any]:
    """One chart for all series of a plot; the baseline drawn dashed in the series' colour."""
    names = [one.name for one in series]
    has_baseline = any(one.baseline for one in series)
    revs = [text.current_label, text.baseline_label] if has_baseline else [text.current_label]
    longest = max((len(one.current) for one in series), default=0)
    x_encoding: dict[str, Any] = {"field": "x", "type": _x_type(series), "title": text.x_label}
    if x_encoding["type"] == "ordinal":
        x_encoding["sort"] = None  # keep the file's order (epochs named "e1", "e2", …)
    encoding: dict[str, Any] = {
        "x": x_encoding,
        "y": {"field": "y", "type": "quantitative", "title": text.y_label, "scale": {"zero": False}},
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "scale": {"domain": names, "range": [PALETTE[i % len(PALETTE)] for i in range(len(names))]},
            "legend": {"symbolType": "stroke", "symbolStrokeWidth": 3, "symbolSize": 300},
        },
        "strokeDash": {
            "field": "rev",
            "type": "nominal",
            "title": None,
            "scale": {"domain": revs, "range": [SOLID, DASHED][: len(revs)]},
            # Line samples in the legend (point markers would otherwise hide which style is the baseline).
            "legend": {
                "symbolType": "stroke",
                "symbolSize": 300,
                # A grey sample line: the series' colour is in the other legend (without this it is invisible).
                "encode": {"symbols": {"update": {"stroke": {"value": "#555555"}, "strokeWidth": {"value": 2}}}},
            },
        },
    }
    if template in SCATTER_TEMPLATES:
        encoding["shape"] = {"field": "rev", "type": "nominal", "title": None, "scale": {"domain": revs}}
        del encoding["strokeDash"]
    return {
        "$schema": SCHEMA_URL,
        "title": text.title,
        "width": WIDTH,
        "height": HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "background": "white",
        "data": {"values": finite_json(_values(series, text))},
        "mark": _mark(template, longest),
        "encoding": encoding,
        "config": {"legend": {"orient": "bottom"}},
    }


def alt_text(series: Sequence[Series], text: ChartText, precision: int) -> str:
    """A one-line description: the last value of each series, and the baseline's last value."""

    def last(points: Sequence[Point] | None) -> str:
        if not points:
            return "-"
        return f"{points[-1][1]:.{precision}f}".rstrip("0").rstrip(".")  # like the metrics table

    parts = []
    for one in series:
        part = f"{one.name} {last(one.current)}"
        if one.baseline:
            part += f" (baseline {last(one.baseline)})"
        parts.append(part)
    return f"{text.title}: " + ", ".join(parts) if parts else text.title
