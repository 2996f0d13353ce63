"""Metric readers and the DVC-style flattener."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cml_action.errors import CmlError
from cml_action.report.flatten import flatten_metrics
from cml_action.report.readers import parse_number, read_metrics, read_metrics_bytes


def test_json_nested_keys_are_joined_with_dots() -> None:
    text = '{"test": {"roc_auc": 0.9, "avg_prec": {"macro": 0.8}}, "n": 3, "ok": true, "model": "vit"}'
    assert read_metrics("eval/metrics.json", text) == {
        "test.roc_auc": 0.9,
        "test.avg_prec.macro": 0.8,
        "n": 3,
        "ok": True,
        "model": "vit",
    }


def test_lists_nulls_and_empty_mappings_are_dropped_like_dvc3() -> None:
    text = '{"per_class": [0.5, {"x": 1}], "one": [1], "none": null, "empty": {}, "deep": {"list": []}, "a": 1}'
    assert read_metrics("m.json", text) == {"a": 1}


def test_yaml_follows_yaml_1_2_like_dvc() -> None:
    text = "lr: 1e-3\nsteps: 1_000\nok: yes\non_: on\noctal: 017\nhex: 0x1F\nneg: -.5\ntime: 1:30\nflag: True\n"
    assert read_metrics("params.yaml", text) == {
        "lr": 0.001,
        "steps": 1000,
        "ok": "yes",
        "on_": "on",
        "octal": 17,
        "hex": 31,
        "neg": -0.5,
        "time": "1:30",
        "flag": True,
    }


def test_toml_tables_flatten_and_dates_are_dropped() -> None:
    text = '[model]\nsize = 12\nwhen = 2024-01-01\n[model.deep]\nscore = 0.5\nname = "x"\n'
    assert read_metrics("m.toml", text) == {"model.size": 12, "model.deep.score": 0.5, "model.deep.name": "x"}


def test_csv_last_row_is_the_metrics() -> None:
    text = "epoch,loss,acc,note\n1,0.9,0.5,warmup\n2,0.45,0.75,done\n"
    assert read_metrics("log.csv", text) == {"epoch": 2, "loss": 0.45, "acc": 0.75, "note": "done"}


def test_tsv_and_trailing_blank_lines() -> None:
    assert read_metrics("log.tsv", "a\tb\n1\t2e-3\n\n\n") == {"a": 1, "b": 0.002}


def test_header_only_csv_has_no_metrics() -> None:
    assert read_metrics("log.csv", "a,b\n") == {}


@pytest.mark.parametrize("cell", ["nan", "inf", "1,5", "0x10", "1.2.3", "", " "])
def test_csv_cells_that_are_not_plain_numbers_stay_text(cell: str) -> None:
    assert parse_number(cell) == cell


def test_unknown_extension_is_read_as_yaml_like_dvc() -> None:
    assert read_metrics("metrics.txt", "acc: 0.5\n") == {"acc": 0.5}


def test_scalar_file_is_one_metric_named_empty() -> None:
    assert read_metrics("score.json", "0.75") == {"": 0.75}
    assert read_metrics("score.json", "0") == {}


def test_empty_files_have_no_metrics() -> None:
    for name in ("a.json", "a.yaml", "a.toml", "a.csv"):
        assert read_metrics(name, "") == {}


def test_bom_is_ignored() -> None:
    assert read_metrics_bytes("m.json", b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        (
            "m.json",
            '{\n"a": 1,\n}',
            "metrics file 'm.json' line 3: Expecting property name enclosed in double quotes",
            3,
        ),
        ("m.json", '{"a": 1} x', "metrics file 'm.json' line 1: Extra data (column 10)", 1),
        ("m.yaml", "a: 1\n b: 2\n", "metrics file 'm.yaml' line 2: mapping values are not allowed here", 2),
        ("m.yaml", "a: [1\n", "metrics file 'm.yaml' line 2:", 2),
        (
            "m.yml",
            "a: 1\n---\nb: 2\n",
            "metrics file 'm.yml' line 2: expected a single document in the stream, but found another document",
            2,
        ),
        ("m.toml", "a = 1\nb = \n", "metrics file 'm.toml' line 2: Invalid value (column 5)", 2),
        ("m.toml", "a = 1\na = 2\n", "metrics file 'm.toml' line 2: Cannot overwrite a value", 2),
        ("m.csv", "a,b\n1,2\n3\n", "metrics file 'm.csv' line 3: 1 values for 2 header columns", 3),
        ("m.csv", 'a,b\n"1,2\n', "metrics file 'm.csv' line 2: unexpected end of data", 2),
        ("m.csv", "a,,c\n1,2,3\n", "metrics file 'm.csv' line 1: header column 2 has no name", 1),
        ("m.csv", "a,a\n1,2\n", "metrics file 'm.csv' line 1: header column 'a' appears twice", 1),
        ("m.json", '{"a.b": 1, "a": {"b": 2}}', "metrics file 'm.json': metric 'a.b' appears twice", None),
    ],
)
def test_malformed_files_name_file_and_line(name: str, text: str, message: str, line: int | None) -> None:
    with pytest.raises(CmlError) as caught:
        read_metrics(name, text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert caught.value.file == name
    assert caught.value.line == line


def test_non_utf8_names_the_line() -> None:
    with pytest.raises(CmlError, match=r"^metrics file 'm.json' line 2: not UTF-8 text$"):
        read_metrics_bytes("m.json", b'{\n"a": "\xff"}')


def test_deep_nesting_is_a_clear_error() -> None:
    with pytest.raises(CmlError, match="nested too deeply"):
        read_metrics("m.json", "[" * 100_000 + "]" * 100_000)


def test_hostile_file_name_cannot_inject_a_log_line() -> None:
    with pytest.raises(CmlError) as caught:
        read_metrics("x\n::add-mask::secret.json", "{")
    # One line that starts with our text: the runner only acts on `::` at a line start.
    assert str(caught.value).startswith("metrics file 'x\\u000a::add-mask::secret.json' line 1: ")
    assert "\n" not in str(caught.value)


# --- property-based -----------------------------------------------------------------------------------------

_keys = st.text(st.characters(blacklist_characters=".", blacklist_categories=("Cs",)), min_size=1, max_size=8)
_leaves = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.booleans(),
)
_trees = st.recursive(
    st.dictionaries(_keys, _leaves, max_size=4),
    lambda children: st.dictionaries(_keys, st.one_of(_leaves, children), max_size=4),
    max_leaves=30,
)


def _reference_flatten(tree: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_reference_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@settings(deadline=None)
@given(_trees)
def test_json_round_trip_flattens_every_leaf(tree: dict[str, object]) -> None:
    assert read_metrics("m.json", json.dumps(tree)) == _reference_flatten(tree)


_printable_leaves = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10),
    st.booleans(),
)


@settings(deadline=None, max_examples=40)
@given(
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), _printable_leaves, min_size=1, max_size=6)
)
def test_yaml_and_toml_agree_with_json(flat: dict[str, object]) -> None:
    import yaml

    class QuotedStrings(yaml.SafeDumper):
        """PyYAML writes YAML 1.1 and leaves '0E0' unquoted; the metrics reader reads YAML 1.2 (as DVC does), where
        that is a number. Quoting every string writes what was meant in both versions."""

    QuotedStrings.add_representer(str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text,
                                                                                     style='"'))  # fmt: skip
    as_json = read_metrics("m.json", json.dumps(flat))
    assert read_metrics("m.yaml", yaml.dump(flat, Dumper=QuotedStrings)) == as_json
    toml_lines = [
        f"{key} = {json.dumps(value, ensure_ascii=False) if not isinstance(value, bool) else str(value).lower()}"
        for key, value in flat.items()
    ]
    parsed_toml = read_metrics("m.toml", "\n".join(toml_lines))
    assert parsed_toml.keys() == as_json.keys()
    for key, value in as_json.items():
        assert parsed_toml[key] == value or (isinstance(value, float) and math.isclose(parsed_toml[key], value))  # type: ignore[arg-type]


@settings(deadline=None)
@given(
    st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1, max_size=5, unique=True),
    st.lists(st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)), min_size=5, max_size=5),
)
def test_csv_numbers_round_trip(header: list[str], numbers: list[float]) -> None:
    row = numbers[: len(header)]
    text = ",".join(header) + "\n" + ",".join(repr(value) for value in row) + "\n"
    assert read_metrics("m.csv", text) == dict(zip(header, row, strict=True))


@settings(deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_cml_error(text: str) -> None:
    for name in ("m.json", "m.yaml", "m.toml", "m.csv"):
        try:
            flat = read_metrics(name, text)
        except CmlError as error:
            assert "\n" not in str(error)
        else:
            assert all(isinstance(key, str) for key in flat)


def test_flatten_keeps_file_order() -> None:
    assert list(flatten_metrics({"b": 1, "a": {"z": 1, "y": 2}})) == ["b", "a.z", "a.y"]


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    levels = ["l0: &l0 {a: 1, b: 2}"] + [
        f"l{i}: &l{i} {{a: *l{i - 1}, b: *l{i - 1}, c: *l{i - 1}}}" for i in range(1, 16)
    ]
    with pytest.raises(CmlError, match=r"^metrics file 'bomb.yaml': more than 1000000 entries"):
        read_metrics("bomb.yaml", "\n".join(levels) + "\n")


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("m.json", '{"acc": ' + "1" * 5000 + "}"),
        ("m.toml", "acc = " + "1" * 5000 + "\n"),
        ("m.csv", "acc\n" + "1" * 5000 + "\n"),
        ("m.yaml", "acc: " + "1" * 5000 + "\n"),
    ],
)
def test_an_integer_beyond_pythons_digit_limit_is_one_line_naming_the_file(label: str, text: str) -> None:
    with pytest.raises(CmlError) as caught:
        read_metrics(label, text)
    message = str(caught.value)
    assert message.startswith(f"metrics file '{label}'")
    assert "more than 4300 digits" in message
    assert "set_int_max_str_digits" not in message  # advice for programmers, not for the person who wrote the file
