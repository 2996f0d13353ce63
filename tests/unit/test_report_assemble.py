"""Whole reports, compared with golden markdown files (CML_UPDATE_GOLDEN=1 rewrites them; review the diff)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from cml_action.report.assemble import (
    ReportParts,
    assemble,
    defuse_markers,
    find_marker_key,
    marker_for,
)
from cml_action.report.diff import diff_metrics
from cml_action.report.limits import fit_report, fit_to_limit
from cml_action.report.table import render_metrics_section
from cml_action.report.thresholds import evaluate_gates, parse_thresholds, render_verdict, tripped_keys

GOLDEN = Path(__file__).parent / "golden"


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CML_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


BASELINE = {
    "eval/metrics.json": {"roc_auc.test": 0.95, "avg_prec.macro": 0.9, "loss": 0.2, "epochs": 10, "model": "cnn"},
    "eval/old.yaml": {"f1": 0.5},
}
CURRENT = {
    "eval/metrics.json": {"roc_auc.test": 0.87654321, "avg_prec.macro": 0.91, "loss": 0.2, "epochs": 12,
                          "model": "vit", "@team|<b>`x`": 1},
    "eval/old.yaml": None,
}  # fmt: skip
RULES = "roc_auc.test min 0.9\navg_prec.* max-drop 0.01\nloss max-rise 5%\nmissing.* min 1\n"


def _full_parts(key: str = "CI/report") -> ReportParts:
    diff = diff_metrics(BASELINE, CURRENT)
    rules = parse_thresholds(RULES)
    gates = evaluate_gates(rules, diff)
    metrics = render_metrics_section(
        diff, precision=5, show_all=False, tripped=tripped_keys(gates), baseline_label="def5678",
        current_label="abc1234",
    )  # fmt: skip
    return ReportParts(
        title="CML Report",
        texts=("Trained on **1000** images.\n\n![confusion](https://example.com/c.png)\n", "## Notes\n\nAll good.\n"),
        images_md="![roc](https://example.com/roc.png)",
        metrics_md=metrics,
        verdict_md=render_verdict(gates),
        plots_md="### Plots\n\n![loss](https://example.com/loss.png)",
        files_md="### Files changed\n\n| Status | Path |\n|---|---|\n| modified | data/train.csv |",
        warnings=("image 'plots/missing.png' was not found; its link is left as is",),
        head_sha="abc1234def5678abc1234def5678abc1234def56",
        baseline_sha="def5678abc1234def5678abc1234def5678abc12",
        run_url="https://github.com/o/r/actions/runs/42",
        key=key,
    )


def test_full_report_golden() -> None:
    _golden("report_full.md", assemble(_full_parts()))


def test_minimal_report_skips_empty_parts() -> None:
    report = assemble(ReportParts(title="Nightly", texts=("Hello\n",), key="wf/job"))
    assert report == "## Nightly\n\nHello\n\n<!-- cml-action:key=wf/job -->\n"
    _golden("report_minimal.md", report)


def test_order_follows_design() -> None:
    params = "### Params\n\n| Path | Param | def5678 | current |\n|---|---|---|---|\n| params.yaml | lr | 0.1 | 0.2 |"
    report = assemble(replace(_full_parts(), params_md=params))
    order = ["## CML Report", "Trained on", "## Notes", "![roc]", "### Params", "### Metrics", "### Gates", "### Plots",
             "### Files changed", "> [!WARNING]", "Comparing `abc1234`", "<!-- cml-action"]  # fmt: skip
    positions = [report.index(piece) for piece in order]
    assert positions == sorted(positions)
    assert report.endswith("<!-- cml-action:key=CI/report -->\n")


def test_footer_variants() -> None:
    assert "Report for `abc1234`" in assemble(ReportParts(head_sha="abc1234999"))
    only_run = assemble(ReportParts(run_url="https://ci.example/run 1"))
    assert only_run == "## CML Report\n\n[Workflow run](https://ci.example/run%201)\n"
    pipeline = assemble(
        ReportParts(head_sha="a" * 40, baseline_sha="b" * 40, run_url="https://gl/p/1", run_label="Pipeline")
    )
    assert pipeline.endswith("Comparing `aaaaaaa` with baseline `bbbbbbb` · [Pipeline](https://gl/p/1)\n")
    local = assemble(ReportParts(head_sha="c" * 40, baseline_sha="c" * 40))
    assert local.endswith("Comparing the working tree with baseline `ccccccc`\n")


def test_unclosed_fence_in_a_report_file_cannot_swallow_the_table() -> None:
    report = assemble(ReportParts(texts=("```python\nprint(1)\n",), metrics_md="### Metrics\n\n| a |\n|---|\n"))
    assert report == "## CML Report\n\n```python\nprint(1)\n```\n\n### Metrics\n\n| a |\n|---|\n"


@pytest.mark.parametrize("key", ["wf/job", "a-->b", "x --!> y", "new\nline", "100%", "{workflow}/{job}", "ünï", ""])
def test_marker_round_trips_any_key_and_cannot_end_the_comment(key: str) -> None:
    marker = marker_for(key)
    inner = marker.removeprefix("<!--").removesuffix("-->")
    assert ">" not in inner and "\n" not in inner
    assert find_marker_key(f"text\n\n{marker}\n") == key


def test_marker_lookalikes_in_report_text_are_defused() -> None:
    hostile = "<!-- cml-action:key=other/job -->"
    report = assemble(ReportParts(texts=(hostile,), key="mine"))
    assert find_marker_key(report) == "mine"
    assert report.count("cml-action:key=") == 1
    assert defuse_markers(hostile) == "<!-- cml-action:key&#61;other/job -->"
    assert find_marker_key("no marker") is None


def test_truncated_report_golden() -> None:
    parts = _full_parts()
    long_text = "## Details\n\n<details><summary>log</summary>\n\n```\n" + "epoch loss\n" * 400 + "```\n</details>\n"
    report = assemble(ReportParts(**{**parts.__dict__, "texts": (*parts.texts, long_text)}))
    fitted = fit_to_limit(report, 2000, full_report_hint="the job summary")
    assert len(fitted) <= 2000
    assert find_marker_key(fitted) == "CI/report"
    _golden("report_truncated.md", fitted)


def test_fit_report_shortens_the_texts_so_table_gates_and_footer_survive() -> None:
    parts = _full_parts()
    long_text = "## Training log\n\n```\n" + "epoch 1 loss 0.5\n" * 2000 + "```\n"
    big = ReportParts(**{**parts.__dict__, "texts": (*parts.texts, long_text)})
    fitted = fit_report(big, 4000, full_report_hint="the job summary")
    assert len(fitted) <= 4000
    for survivor in ("### Metrics", "❌ roc_auc.test", "### Gates", "### Files changed", "Comparing `abc1234`"):
        assert survivor in fitted
    assert "> … report text truncated: " in fitted
    assert fitted.index("report text truncated") < fitted.index("![roc]")
    assert find_marker_key(fitted) == "CI/report"
    _golden("report_fit_texts.md", fitted)


def test_fit_report_falls_back_to_cutting_the_whole_report() -> None:
    fitted = fit_report(_full_parts(), 600, full_report_hint="the job summary")
    assert len(fitted) <= 600
    assert "> … report truncated: " in fitted
    assert find_marker_key(fitted) == "CI/report"
    assert fit_report(_full_parts(), 100_000, full_report_hint="x") == assemble(_full_parts())


def test_a_cut_report_is_announced_once_and_a_whole_one_is_not() -> None:
    told: list[str] = []
    fit_report(_full_parts(), 600, full_report_hint="the job summary", on_cut=told.append)
    size = len(assemble(_full_parts()))
    assert told == [
        f"the report is {size} characters, over the forge's limit of 600: it was cut at a heading or line, with a "
        "note pointing to the full report"
    ]
    fit_report(_full_parts(), 100_000, full_report_hint="x", on_cut=told.append)
    assert len(told) == 1
