"""The reviewer's-eye helpers the DVC project tests assert with: each must tell a good report from a bad one."""

from __future__ import annotations

from tests.projects.reading import images_of, metric_row, says_gates_passed, warned_about, warnings

TODAY_MISSING = """## CML Report

| Path | Metric | abc1234 | current | Change |
|---|---|---|---|---|
| eval/metrics.json | acc | 0.8 | - | ❌ - |

All 2 gates passed ✅

> [!WARNING]
> - metrics 'eval/metrics.json': not found in the working tree
"""


def test_gate_verdicts() -> None:
    assert says_gates_passed(TODAY_MISSING)
    assert says_gates_passed("2 passed ✅")
    assert not says_gates_passed("0 passed, 2 tripped")
    assert not says_gates_passed("1 passed, 1 not evaluated (metric missing at head)")
    assert not says_gates_passed("❌ 2 of 2 gates tripped:")


def test_warnings_are_the_alert_block_lines_and_lines_saying_warning() -> None:
    assert warnings(TODAY_MISSING) == ["> - metrics 'eval/metrics.json': not found in the working tree"]
    assert warned_about(TODAY_MISSING, "eval/metrics.json")
    assert not warned_about(TODAY_MISSING, "plots")
    assert warned_about("⚠️ dvc diff failed: not a DVC repository", "dvc")
    assert warnings("### Metrics\n\nNo metric changed.\n") == []


def test_table_rows_and_image_pairs() -> None:
    assert metric_row(TODAY_MISSING, "eval/metrics.json", "acc") == ["0.8", "-", "❌ -"]
    assert metric_row(TODAY_MISSING, "eval/metrics.json", "loss") is None
    pair = "| importance.png | ![baseline](a.png) | ![current](b.png) |\n"
    assert images_of(pair, "importance") == 2
    assert images_of("![importance.png (baseline)](a.png)\n\n![importance.png (current)](b.png)\n", "importance") == 2
