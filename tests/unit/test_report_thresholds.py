"""Threshold gates: parsing (every error message), evaluation, verdict."""

from __future__ import annotations

import pytest

from cml_action.errors import InputError
from cml_action.report.diff import diff_metrics
from cml_action.report.thresholds import (
    NEW_METRIC,
    GateResult,
    Gates,
    Rule,
    evaluate_gates,
    parse_thresholds,
    render_verdict,
    tripped_keys,
)

FIX = "(write '<metric glob> min|max|max-drop|max-rise <number>[%]')"


def test_parse_design_example_with_comments_and_blank_lines() -> None:
    rules = parse_thresholds("# gates\n\nroc_auc.test min 0.9\n  avg_prec.* max-drop 0.01\nloss max-rise 5%\n")
    assert rules == (
        Rule("roc_auc.test", "min", 0.9, False, 3, "0.9"),
        Rule("avg_prec.*", "max-drop", 0.01, False, 4, "0.01"),
        Rule("loss", "max-rise", 5.0, True, 5, "5%"),
    )


def test_glob_may_contain_spaces() -> None:
    assert parse_thresholds("train loss max 1")[0].glob == "train loss"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("acc", "line 1: expected '<glob> <kind> <number>', got 'acc'"),
        ("acc min", "line 1: expected '<glob> <kind> <number>', got 'acc min'"),
        ("acc minimum 0.9", "line 1: unknown kind 'minimum' (kinds: min, max, max-drop, max-rise)"),
        ("# ok\nacc min abc", "line 2: 'abc' is not a number"),
        ("acc min nan", "line 1: 'nan' is not a finite number"),
        ("acc max inf", "line 1: 'inf' is not a finite number"),
        ("acc min 5%", "line 1: min takes an absolute value, not a percentage ('5%')"),
        ("acc max 5%", "line 1: max takes an absolute value, not a percentage ('5%')"),
        ("acc max-drop -1", "line 1: max-drop takes a number >= 0, got '-1'"),
        ("acc max-rise -1%", "line 1: max-rise takes a number >= 0, got '-1%'"),
        ("acc max-rise %", "line 1: '%' is not a number"),
        ("acc max-rise 5 %", "line 1: unknown kind '5' (kinds: min, max, max-drop, max-rise)"),
        ("a min " + "9" * 100 + "x", "line 1: '" + "9" * 57 + "...' is not a number"),
        ("a min 1\n\nb max x\n", "line 3: 'x' is not a number"),
    ],
)
def test_every_parse_error_names_the_input_line_and_fix(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_thresholds(text)
    assert str(caught.value) == f"input 'thresholds': {problem} {FIX}"
    assert caught.value.input_name == "thresholds"
    assert caught.value.line == int(problem.split()[1].rstrip(":"))


BASE = {"eval/m.json": {"roc_auc.test": 0.95, "avg_prec.macro": 0.9, "avg_prec.micro": 0.8, "loss": 0.2, "n": 10,
                        "name": "a", "gone": 1.0, "zero": 0}}  # fmt: skip
CUR = {"eval/m.json": {"roc_auc.test": 0.85, "avg_prec.macro": 0.89, "avg_prec.micro": 0.7, "loss": 0.22, "n": 12,
                       "name": "b", "nan": float("nan"), "zero": 1}}  # fmt: skip


def _trips(text: str) -> list[tuple[str, str, str]]:
    gates = evaluate_gates(parse_thresholds(text), diff_metrics(BASE, CUR))
    return [(gate.rule.text, gate.metric, gate.reason) for gate in gates.tripped]


def _outcomes(text: str, **context: object) -> list[tuple[str, str, str, str]]:
    gates = evaluate_gates(parse_thresholds(text), diff_metrics(BASE, CUR), **context)  # type: ignore[arg-type]
    return [(gate.rule.text, gate.metric, gate.outcome, gate.reason) for gate in gates.results]


def test_min_and_max_are_absolute_bounds_on_the_current_value() -> None:
    assert _trips("roc_auc.test min 0.9\nn max 11\nn max 12\nroc_auc.test min 0.85") == [
        ("roc_auc.test min 0.9", "roc_auc.test", "0.85 < 0.9"),
        ("n max 11", "n", "12 > 11"),
    ]


def test_max_drop_absolute_ignores_float_noise() -> None:
    # 0.9 - 0.89 == 0.010000000000000009: exactly the allowed drop, not a regression.
    assert _trips("avg_prec.* max-drop 0.01") == [
        ("avg_prec.* max-drop 0.01", "avg_prec.micro", "dropped by 0.1 (0.8 → 0.7), limit 0.01")
    ]


def test_percent_changes_are_relative_to_the_baseline() -> None:
    assert _trips("loss max-rise 5%\nloss max-rise 10%\navg_prec.micro max-drop 12%") == [
        ("loss max-rise 5%", "loss", "rose 10.00% (0.2 → 0.22), limit 5%"),
        ("avg_prec.micro max-drop 12%", "avg_prec.micro", "dropped 12.50% (0.8 → 0.7), limit 12%"),
    ]


def test_percent_change_from_zero() -> None:
    assert _trips("zero max-rise 50%") == [("zero max-rise 50%", "zero", "rose by 1 from 0")]


def test_glob_matches_path_colon_metric_or_metric() -> None:
    assert [trip[1] for trip in _trips("eval/*:n max 1\n*.json:loss max 0.1\nother.json:n max 1")] == ["n", "loss"]


def test_nan_current_values_trip_min_and_max() -> None:
    assert _trips("nan max 1\nnan min 0") == [("nan max 1", "nan", "is NaN"), ("nan min 0", "nan", "is NaN")]


@pytest.mark.parametrize("kind", ["min 0", "max 9", "max-drop 1", "max-rise 5%"])
def test_a_metric_missing_at_head_trips_every_kind_of_gate(kind: str) -> None:
    assert _outcomes(f"gone {kind}") == [(f"gone {kind}", "gone", "tripped", "missing at head (baseline 1.0)")]


def test_every_gate_state_with_its_reason() -> None:
    rules = "n max 100\nroc_auc.test min 0.9\nnan max-drop 1\nname min 1\ntypo min 1"
    assert _outcomes(rules) == [
        ("n max 100", "n", "passed", ""),
        ("roc_auc.test min 0.9", "roc_auc.test", "tripped", "0.85 < 0.9"),
        ("nan max-drop 1", "nan", "not evaluated", NEW_METRIC),
        ("name min 1", "name", "not evaluated", "not a number"),
        ("typo min 1", "", "not evaluated", "matches no metric"),
    ]


def test_relative_rule_without_any_baseline_is_not_evaluated_and_blocks() -> None:
    gates = evaluate_gates(parse_thresholds("loss max-rise 5%"), diff_metrics({}, CUR), has_baseline=False)
    (gate,) = gates.results
    assert (gate.outcome, gate.reason, gate.blocks) == ("not evaluated", "no baseline to compare with", True)


def test_new_metric_is_the_only_not_evaluated_state_that_does_not_block() -> None:
    gates = evaluate_gates(parse_thresholds("nan max-rise 1\nname min 1\ntypo max 1"), diff_metrics(BASE, CUR))
    assert [(gate.reason, gate.blocks) for gate in gates.results] == [
        (NEW_METRIC, False),
        ("not a number", True),
        ("matches no metric", True),
    ]
    assert gates.blocking == gates.results[1:]


def test_gates_that_judged_nothing_are_log_notes() -> None:
    gates = evaluate_gates(parse_thresholds("n max 1\nnan max-rise 1\ntypo min 1"), diff_metrics(BASE, CUR))
    assert gates.notes == (
        "thresholds line 2: rule 'nan max-rise 1' not evaluated on eval/m.json:nan: new metric, no baseline",
        "thresholds line 3: rule 'typo min 1' not evaluated: matches no metric",
    )


def test_baseline_value_that_is_not_a_number_is_not_evaluated() -> None:
    diff = diff_metrics({"m.json": {"acc": "n/a"}}, {"m.json": {"acc": 0.5}})
    (gate,) = evaluate_gates(parse_thresholds("acc max-drop 0.1"), diff).results
    assert (gate.outcome, gate.reason) == ("not evaluated", "baseline value is not a number")


def test_rule_matching_nothing_trips_when_a_metrics_file_is_missing_at_head() -> None:
    rules = parse_thresholds("acc min 0.9\nloss max-rise 1%")
    gates = evaluate_gates(rules, diff_metrics({}, {}), missing_at_head=("eval/metrics.json",))
    reason = "matches no metric; 'eval/metrics.json' is missing at head"
    assert [(g.outcome, g.reason) for g in gates.results] == [("tripped", reason), ("tripped", reason)]


def test_rule_matching_nothing_is_not_evaluated_when_the_missing_file_s_baseline_metrics_are_known() -> None:
    diff = diff_metrics({"eval/metrics.json": {"acc": 0.8}}, {"eval/metrics.json": None})
    gates = evaluate_gates(parse_thresholds("typo min 1"), diff, missing_at_head=("eval/metrics.json",))
    assert [(g.outcome, g.reason) for g in gates.results] == [("not evaluated", "matches no metric")]


def test_each_matched_metric_is_its_own_gate() -> None:
    gates = evaluate_gates(parse_thresholds("avg_prec.* max-drop 0.05"), diff_metrics(BASE, CUR))
    assert [(g.metric, g.outcome) for g in gates.results] == [
        ("avg_prec.macro", "passed"),
        ("avg_prec.micro", "tripped"),
    ]
    assert tripped_keys(gates) == frozenset({("eval/m.json", "avg_prec.micro")})
    assert isinstance(gates.results[0], GateResult)


@pytest.mark.parametrize(
    ("rules", "summary"),
    [
        ("", ""),
        ("n max 100", "1 gate passed"),
        ("n max 100\nloss max 1\nroc_auc.test max 1", "3 gates passed"),
        ("n max 1", "1 gate tripped"),
        ("n max 1\nloss max 0.1", "2 gates tripped"),
        ("typo min 1", "1 gate not evaluated"),
        ("n max 100\nloss max 1\ntypo min 1", "2 passed, 1 not evaluated"),
        ("n max 100\nloss max 1\nroc_auc.test min 0.9\ntypo min 1", "2 passed, 1 tripped, 1 not evaluated"),
    ],
)
def test_summary_counts_each_state(rules: str, summary: str) -> None:
    assert evaluate_gates(parse_thresholds(rules), diff_metrics(BASE, CUR)).summary == summary


def test_verdict_counts_and_lists_tripped_and_not_evaluated_gates() -> None:
    rules = parse_thresholds("roc_auc.test min 0.9\nloss max-rise 5%\nn max 100\nnan max-drop 1\ntypo min 1")
    assert render_verdict(evaluate_gates(rules, diff_metrics(BASE, CUR))) == (
        "### Gates\n\n❌ 1 passed, 2 tripped, 2 not evaluated\n\n"
        "Tripped:\n\n"
        "- `roc_auc.test min 0.9` on eval/m.json:roc_auc.test: 0.85 &lt; 0.9\n"
        "- `loss max-rise 5%` on eval/m.json:loss: rose 10.00% (0.2 → 0.22), limit 5%\n\n"
        "Not evaluated:\n\n"
        "- `nan max-drop 1` on eval/m.json:nan: new metric, no baseline\n"
        "- `typo min 1`: matches no metric\n"
    )


def test_verdict_with_only_new_metrics_not_evaluated_warns_without_failing() -> None:
    rules = parse_thresholds("n max 100\nnan max-drop 1")
    assert render_verdict(evaluate_gates(rules, diff_metrics(BASE, CUR))) == (
        "### Gates\n\n⚠️ 1 passed, 1 not evaluated\n\n"
        "Not evaluated:\n\n"
        "- `nan max-drop 1` on eval/m.json:nan: new metric, no baseline\n"
    )


def test_verdict_says_passed_only_when_every_gate_was_evaluated_and_passed() -> None:
    diff = diff_metrics(BASE, CUR)
    rules = parse_thresholds("n max 100\nloss max 1")
    assert render_verdict(evaluate_gates(rules, diff)) == "### Gates\n\nAll 2 gates passed ✅\n"
    assert render_verdict(evaluate_gates(rules[:1], diff)) == "### Gates\n\n1 gate passed ✅\n"
    assert render_verdict(Gates()) == ""
    empty = render_verdict(evaluate_gates(rules, diff_metrics({}, {})))
    assert "passed" not in empty and "❌ 2 gates not evaluated" in empty


def test_hostile_metric_names_in_the_verdict_are_escaped() -> None:
    diff = diff_metrics({"m.json": {"@bob|<b>": 1, "x": 1}}, {"m.json": {"@bob|<b>": 5, "<i>x": "s"}})
    verdict = render_verdict(evaluate_gates(parse_thresholds("* max 2"), diff))
    assert "m.json:@&#8203;bob\\|&lt;b&gt;: 5 &gt; 2" in verdict
    assert "m.json:&lt;i&gt;x: not a number" in verdict
