"""The Vega-Lite spec: one chart, colour by series, baseline dashed, no NaN/Infinity left for the renderer."""

from __future__ import annotations

import json

from cml_action.plots.spec import DASHED, PALETTE, SOLID, ChartText, Series, alt_text, build_spec, finite_json

TEXT = ChartText("Training", "step", "value", "current", "baseline (abc1234)")
LOSS = Series("loss", ((0.0, 1.0), (1.0, 0.5)), ((0.0, 1.2), (1.0, 0.7)))
ACC = Series("acc", ((0.0, 0.1), (1.0, 0.4)), None)


def test_current_and_baseline_share_the_series_colour_and_baseline_is_dashed() -> None:
    spec = build_spec([LOSS, ACC], TEXT)
    assert spec["encoding"]["color"]["scale"] == {"domain": ["loss", "acc"], "range": list(PALETTE[:2])}
    assert spec["encoding"]["strokeDash"]["field"] == "rev"
    assert spec["encoding"]["strokeDash"]["scale"] == {"domain": ["current", "baseline (abc1234)"],
                                                       "range": [SOLID, DASHED]}  # fmt: skip
    assert spec["data"]["values"] == [
        {"x": 0.0, "y": 1.0, "series": "loss", "rev": "current"},
        {"x": 1.0, "y": 0.5, "series": "loss", "rev": "current"},
        {"x": 0.0, "y": 1.2, "series": "loss", "rev": "baseline (abc1234)"},
        {"x": 1.0, "y": 0.7, "series": "loss", "rev": "baseline (abc1234)"},
        {"x": 0.0, "y": 0.1, "series": "acc", "rev": "current"},
        {"x": 1.0, "y": 0.4, "series": "acc", "rev": "current"},
    ]
    assert spec["encoding"]["x"] == {"field": "x", "type": "quantitative", "title": "step"}
    assert spec["title"] == "Training"


def test_without_any_baseline_there_is_only_the_solid_style() -> None:
    spec = build_spec([ACC], TEXT)
    assert spec["encoding"]["strokeDash"]["scale"] == {"domain": ["current"], "range": [SOLID]}


def test_text_x_values_keep_file_order() -> None:
    spec = build_spec([Series("acc", (("e1", 0.1), ("e10", 0.2), ("e2", 0.3)))], TEXT)
    assert spec["encoding"]["x"]["type"] == "ordinal" and spec["encoding"]["x"]["sort"] is None


def test_scatter_template_draws_points_shaped_by_revision() -> None:
    spec = build_spec([LOSS], TEXT, template="scatter")
    assert spec["mark"]["type"] == "point" and spec["encoding"]["shape"]["field"] == "rev"


def test_finite_json_leaves_valid_json_for_the_renderer() -> None:
    cleaned = finite_json({"values": [{"a": float("inf"), "b": float("nan"), "c": 1.5, "d": "Infinity"}]})
    assert json.dumps(cleaned, allow_nan=False) == '{"values": [{"a": null, "b": null, "c": 1.5, "d": "Infinity"}]}'


def test_alt_text_gives_last_values_at_the_precision() -> None:
    assert alt_text([LOSS, ACC], TEXT, 3) == "Training: loss 0.5 (baseline 0.7), acc 0.4"
    long = Series("loss", ((0.0, 0.123456),), ((0.0, 2.0),))
    assert alt_text([long], TEXT, 3) == "Training: loss 0.123 (baseline 2)"


def test_a_wrapped_facet_becomes_one_titled_panel_per_value_in_revision_order() -> None:
    from cml_action.plots import dvc_spec

    rows = [{"rev": rev, "k": k} for rev, k in (("workspace", 1), ("abc", 2), ("workspace", 3))]
    faceted = {"data": {"values": rows}, "facet": {"field": "rev", "sort": []}, "spec": {"mark": "bar"}}
    unfolded = dvc_spec.prepare(faceted, {"workspace": "current"}, ["abc", "workspace"])
    assert dvc_spec.panels(unfolded) == [
        ("abc", [{"rev": "abc", "k": 2}]),
        ("current", [{"rev": "current", "k": 1}, {"rev": "current", "k": 3}]),
    ]
    assert unfolded["vconcat"][0]["hconcat"][0]["mark"] == "bar"
