"""Advice in the reader's words: the action names its inputs, a command line its flags and variables, and a bad
value is named by where it came from (`--metrics-precision`, CML_METRICS_PRECISION, input 'metrics-precision')."""

from __future__ import annotations

import pytest

from cml_action import cli
from cml_action.errors import InputError
from cml_action.inputs import parse_settings
from cml_action.surface import ACTION, COMMAND_LINE, using
from cml_action.targets import parse_target


def _message(env: dict[str, str], flags: dict[str, str]) -> str:
    with pytest.raises(InputError) as caught:
        parse_settings(env, flags)
    return caught.value.message


def test_a_bad_value_is_named_where_it_came_from() -> None:
    fix = "'x' is not a whole number (use e.g. 5)"
    with using(COMMAND_LINE):
        assert _message({}, {"metrics-precision": "x"}) == f"--metrics-precision: {fix}"
        assert _message({"CML_METRICS_PRECISION": "x"}, {}) == f"CML_METRICS_PRECISION: {fix}"
    with using(ACTION):
        assert _message({"INPUT_METRICS-PRECISION": "x"}, {}) == f"input 'metrics-precision': {fix}"
        # GitLab's component passes its inputs as CML_* variables: its user wrote the input.
        assert _message({"CML_METRICS_PRECISION": "x"}, {}) == f"input 'metrics-precision': {fix}"


def test_the_action_is_the_default_surface() -> None:
    with pytest.raises(InputError) as caught:
        parse_target("nowhere")
    assert caught.value.message.startswith("input 'target': 'nowhere' is not a target")


def test_cml_report_words_errors_by_how_it_was_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CML_METRICS_PRECISION", "INPUT_METRICS-PRECISION"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["report", "--metrics-precision", "-3"]) == 1
    assert capsys.readouterr().err.endswith("--metrics-precision: -3 is below the minimum 0 (use 0 or more)\n")
    monkeypatch.setenv("CML_METRICS_PRECISION", "-3")  # the GitLab component, which runs `cml report`
    assert cli.main(["report"]) == 1
    assert capsys.readouterr().err.endswith("input 'metrics-precision': -3 is below the minimum 0 (use 0 or more)\n")
