"""Vega-Lite specs from `dvc plots diff --json`, made right before they are rendered.

- Revisions are relabelled: DVC names them as it was given them (40-character shas) and calls the working tree
  `workspace`; readers see `e8aa460` and `current`.
- Faceted templates (confusion, confusion_normalized…) are unfolded into one panel per (row, column) value, each
  panel carrying only its own rows and its header as title. DVC's facet has `"sort": []`, with which Vega-Lite
  orders the headers and the cells differently, so counts ended up under the wrong revision/file. With explicit
  panels the header and its data cannot disagree, and a test can check it from the spec alone.
- Cell values are shown: DVC hides them behind an interactive `showValues` checkbox that a PNG cannot tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

REV_FIELD = "rev"
PANEL_SEPARATOR = " · "


def relabel(spec: Any, labels: Mapping[str, str]) -> Any:
    """A copy where every revision name in the data's `rev` field and in scale domains is its label."""
    if isinstance(spec, list):
        return [relabel(item, labels) for item in spec]
    if not isinstance(spec, Mapping):
        return spec
    copy: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "domain" and isinstance(value, list):
            copy[key] = [labels.get(item, item) if isinstance(item, str) else item for item in value]
        elif key == REV_FIELD and isinstance(value, str):
            copy[key] = labels.get(value, value)
        else:
            copy[key] = relabel(value, labels)
    return copy


def _facet_fields(facet: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(row field, column field) of a facet; the wrapped form `{"field": …}` is one row of columns."""
    if isinstance(facet.get("field"), str):
        return None, str(facet["field"])

    def field(channel: str) -> str | None:
        value = facet.get(channel)
        return str(value["field"]) if isinstance(value, Mapping) and isinstance(value.get("field"), str) else None

    return field("row"), field("column")


def _ordered(values: Sequence[Mapping[str, Any]], field: str | None, preferred: Sequence[str]) -> list[Any]:
    """The distinct values of a field: preferred ones (revisions, baseline first) in that order, then data order."""
    if field is None:
        return [None]
    seen = list(dict.fromkeys(row.get(field) for row in values))
    return [value for value in preferred if value in seen] + [value for value in seen if value not in preferred]


def panel_title(row_value: Any, column_value: Any) -> str:
    return PANEL_SEPARATOR.join(str(value) for value in (row_value, column_value) if value is not None)


def unfacet(spec: Mapping[str, Any], rev_order: Sequence[str]) -> dict[str, Any]:
    """A faceted spec as a grid of panels (vconcat of hconcat), each with its own rows and its header as title."""
    facet, inner, data = spec.get("facet"), spec.get("spec"), spec.get("data")
    values = data.get("values") if isinstance(data, Mapping) else None
    if not isinstance(facet, Mapping) or not isinstance(inner, Mapping) or not isinstance(values, list):
        return dict(spec)
    rows = [row for row in values if isinstance(row, Mapping)]
    row_field, column_field = _facet_fields(facet)
    grid = []
    for row_value in _ordered(rows, row_field, rev_order):
        panels = []
        for column_value in _ordered(rows, column_field, rev_order):
            subset = [
                row
                for row in rows
                if (row_field is None or row.get(row_field) == row_value)
                and (column_field is None or row.get(column_field) == column_value)
            ]
            if subset:  # a file missing at one revision has no panel there (the report notes it)
                title = panel_title(row_value, column_value)
                panels.append({**inner, "title": title, "data": {"values": subset}})
        if panels:
            grid.append({"hconcat": panels})
    unfolded = {key: value for key, value in spec.items() if key not in ("facet", "spec", "data")}
    unfolded["vconcat"] = grid
    # One colour scale for every panel, so the same count has the same colour under every header.
    unfolded["resolve"] = {"scale": {"color": "shared"}}
    return unfolded


def show_values(spec: dict[str, Any]) -> dict[str, Any]:
    """Turn on DVC's `showValues` checkbox (cell counts as text) and drop the widget a PNG cannot have."""
    params = spec.get("params")
    if isinstance(params, list):
        spec["params"] = [
            {key: value for key, value in param.items() if key != "bind"} | {"value": True}
            if isinstance(param, Mapping) and param.get("name") == "showValues"
            else param
            for param in params
        ]
    return spec


def panels(spec: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """(title, rows) of every panel of an unfolded spec; what a reader sees under each header."""
    found = []
    for line in spec.get("vconcat") or []:
        for panel in line.get("hconcat") or []:
            found.append((str(panel.get("title")), list(panel["data"]["values"])))
    return found


def prepare(spec: Mapping[str, Any], labels: Mapping[str, str], rev_order: Sequence[str]) -> dict[str, Any]:
    """DVC's spec as we render it: revisions relabelled, facets unfolded, cell values shown."""
    relabelled = relabel(spec, labels)
    if "facet" in relabelled:
        relabelled = unfacet(relabelled, [labels.get(rev, rev) for rev in rev_order])
    return show_values(relabelled)
