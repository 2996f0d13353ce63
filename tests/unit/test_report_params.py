"""Params parsing and flattening edge cases (the common cases are checked against DVC in test_params_oracle)."""

from __future__ import annotations

import pytest

from cml_action.errors import CmlError
from cml_action.report.params import flatten_params, parse_params, select_keys

BOMB = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} {{{', '.join(f'k{j}: *{chr(97 + i)}' for j in range(12))}}}\n" for i in range(7)
)


def test_a_yaml_alias_bomb_is_one_clear_error_not_a_hang() -> None:
    with pytest.raises(CmlError, match=r"^params file 'params.yaml': more than 1000000 entries"):
        flatten_params(parse_params("params.yaml", BOMB), "params.yaml")


def test_python_params_skip_what_is_not_a_literal() -> None:
    text = "import os\nA = 1\nB = os.getcwd()\nC: float = 0.5\nD, E = 1, 2\nclass K:\n    x = [1]\n"
    assert parse_params("hp.py", text) == {"A": 1, "C": 0.5, "K": {"x": [1]}}
    with pytest.raises(CmlError, match=r"^params file 'hp.py' line 1: not valid Python"):
        parse_params("hp.py", "A = (\n")


def test_select_keys_keeps_the_tracked_subtrees_only() -> None:
    data = {"lr": 0.1, "train": {"epochs": 3, "opt": {"name": "sgd"}}, "seed": 1}
    assert select_keys(data, ["lr", "train.opt.name", "missing.key"]) == {"lr": 0.1, "train": {"opt": {"name": "sgd"}}}
    assert select_keys(data, []) is data
    assert flatten_params({"a": {}, "b": {"c": [1, {"x": 2}]}}) == {"b.c": "[1, {'x': 2}]"}
