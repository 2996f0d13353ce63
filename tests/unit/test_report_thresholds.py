"""Threshold gates: parsing (every error message), evaluation, verdict."""

from __future__ import annotations

import pytest

from cml_action.errors import InputError
from cml_action.report.diff import diff_metrics
from cml_action.report.thresholds import (
    Rule,
    Trip,
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
    result = evaluate_gates(parse_thresholds(text), diff_metrics(BASE, CUR))
    return [(trip.rule.text, trip.metric, trip.reason) for trip in result.trips]


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


def test_missing_and_nan_current_values_trip_min_and_max() -> None:
    assert _trips("gone min 0\nnan max 1") == [
        ("gone min 0", "gone", "missing in the current metrics"),
        ("nan max 1", "nan", "is NaN"),
    ]


def test_rule_that_matches_nothing_is_a_warning_not_an_error() -> None:
    rules = parse_thresholds("typo.* min 1\nname max 1\nroc_auc.test min 0.1")
    result = evaluate_gates(rules, diff_metrics(BASE, CUR))
    assert result.trips == ()
    assert result.warnings == (
        "thresholds line 1: rule 'typo.* min 1' matches no numeric metric",
        "thresholds line 2: rule 'name max 1' matches no numeric metric",
    )


def test_gates_give_trips_and_warnings() -> None:
    rules = parse_thresholds("n max 1\ntypo min 1")
    result = evaluate_gates(rules, diff_metrics(BASE, CUR))
    assert isinstance(result.trips[0], Trip)
    assert result.warnings == ("thresholds line 2: rule 'typo min 1' matches no numeric metric",)
    assert tripped_keys(result.trips) == frozenset({("eval/m.json", "n")})


def test_verdict_lists_tripped_gates() -> None:
    rules = parse_thresholds("roc_auc.test min 0.9\nloss max-rise 5%\nn max 100")
    trips = evaluate_gates(rules, diff_metrics(BASE, CUR)).trips
    assert render_verdict(rules, trips) == (
        "### Gates\n\n❌ 2 of 3 gates tripped:\n\n"
        "- `roc_auc.test min 0.9` on eval/m.json:roc_auc.test: 0.85 &lt; 0.9\n"
        "- `loss max-rise 5%` on eval/m.json:loss: rose 10.00% (0.2 → 0.22), limit 5%\n"
    )


def test_verdict_when_all_pass_and_without_rules() -> None:
    diff = diff_metrics(BASE, CUR)
    rules = parse_thresholds("n max 100\nloss max 1")
    assert render_verdict(rules, evaluate_gates(rules, diff).trips) == "### Gates\n\nAll 2 gates passed ✅\n"
    assert render_verdict(rules[:1], ()) == "### Gates\n\n1 gate passed ✅\n"
    assert render_verdict((), ()) == ""


def test_hostile_metric_names_in_the_verdict_are_escaped() -> None:
    diff = diff_metrics({"m.json": {"@bob|<b>": 1}}, {"m.json": {"@bob|<b>": 5}})
    rules = parse_thresholds("* max 2")
    verdict = render_verdict(rules, evaluate_gates(rules, diff).trips)
    assert "m.json:@&#8203;bob\\|&lt;b&gt;: 5 &gt; 2" in verdict
