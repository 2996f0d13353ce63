"""The input schema: precedence, types, and one clear line for every bad value."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cml_action.errors import InputError
from cml_action.inputs import (
    BY_NAME,
    SCHEMA,
    Settings,
    add_cli_flags,
    flags_from_namespace,
    parse_settings,
    split_list,
)

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_design_table() -> None:
    settings = parse_settings({})
    assert settings == Settings()
    assert settings.metrics == ("auto",)
    assert settings.metrics_precision == 5
    assert settings.send_as == "comment"
    assert settings.key == "{workflow}/{job}"
    assert settings.max_image_width == 1600


def test_github_env_keeps_hyphens_and_beats_gitlab_env() -> None:
    env = {"INPUT_METRICS-PRECISION": "3", "CML_METRICS_PRECISION": "7", "CML_METRICS_ALL": "true"}
    settings = parse_settings(env)
    assert settings.metrics_precision == 3
    assert settings.metrics_all is True


def test_flags_beat_env_and_blank_values_count_as_unset() -> None:
    env = {"INPUT_TITLE": "From env", "INPUT_SEND-AS": "", "CML_SEND_AS": "check"}
    settings = parse_settings(env, {"title": "From flag"})
    assert settings.title == "From flag"
    assert settings.send_as == "check"  # blank INPUT_ falls through to CML_


def test_lists_split_on_newlines_and_commas() -> None:
    assert split_list("a.png\n b.png, c.png\n\n") == ("a.png", "b.png", "c.png")
    assert parse_settings({"INPUT_IMAGES": "x.png,\ny.png"}).images == ("x.png", "y.png")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_SEND-AS": "email"}, "input 'send-as': unknown value 'email' (use one of: comment, check, both, none)"),
        ({"INPUT_METRICS-PRECISION": "two"}, "input 'metrics-precision': 'two' is not a whole number (use e.g. 5)"),
        ({"INPUT_METRICS-PRECISION": "-1"}, "input 'metrics-precision': -1 is below the minimum 0 (use 0 or more)"),
        ({"CML_METRICS_ALL": "maybe"}, "input 'metrics-all': 'maybe' is not a boolean (use true or false)"),
        ({"INPUT_COMMENT-MODE": "append"}, "input 'comment-mode': unknown value 'append' "
                                           "(use one of: update, create, recreate)"),
        ({"INPUT_MAX-IMAGE-WIDTH": "4"}, "input 'max-image-width': 4 is below the minimum 16 (use 16 or more)"),
    ],
)  # fmt: skip
def test_bad_values_name_the_input_and_the_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(env)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_unknown_flag_is_refused() -> None:
    with pytest.raises(InputError, match="input 'colour': is not an input"):
        parse_settings({}, {"colour": "red"})


def test_cli_flags_cover_the_schema() -> None:
    parser = argparse.ArgumentParser()
    add_cli_flags(parser)
    namespace = parser.parse_args(["--metrics-precision", "2", "--send-as", "none"])
    assert flags_from_namespace(namespace) == {"metrics-precision": "2", "send-as": "none"}
    assert parse_settings({}, flags_from_namespace(namespace)).send_as == "none"


def test_every_settings_field_is_an_input() -> None:
    fields = set(Settings.__dataclass_fields__)
    assert fields == {spec.name.replace("-", "_") for spec in SCHEMA}
    assert BY_NAME["token"].github_default == "${{ github.token }}"


def test_token_is_not_in_repr() -> None:
    assert "s3cr3t" not in repr(parse_settings({"INPUT_TOKEN": "s3cr3t"}))


def test_report_help_prints_every_input_even_with_percent_signs(capsys: pytest.CaptureFixture[str]) -> None:
    from cml_action.cli import build_parser

    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["report", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "<number>[%]" in shown and "--working-directory" in shown and "--params" in shown


def test_working_directory_and_params_inputs() -> None:
    settings = parse_settings({"INPUT_WORKING-DIRECTORY": "services/classifier", "CML_PARAMS": "a.yaml, b.json"})
    assert settings.working_directory == "services/classifier"
    assert settings.params == ("a.yaml", "b.json")
    assert parse_settings({}).params == ("auto",) and parse_settings({}).working_directory == "."
