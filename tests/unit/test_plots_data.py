"""Plot data files: CSV/TSV/JSON/YAML tables, non-finite numbers, x/y column choice, baseline via git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cml_action.errors import CmlError
from cml_action.plots import data
from cml_action.plots.data import Table, parse_table, pick_x, pick_y


def test_csv_numbers_become_floats_and_non_finite_become_gaps() -> None:
    table = parse_table("loss.csv", "step,loss,note\n0,1.5,a\n1,inf,b\n2,NaN,c\n3,,d\n")
    assert table.columns == ("step", "loss", "note")
    assert [row["loss"] for row in table.rows] == [1.5, None, None, None]
    assert table.numeric_columns() == ("step", "loss")


def test_tsv_and_yaml() -> None:
    assert parse_table("h.tsv", "epoch\tacc\n1\t0.5\n").rows == ({"epoch": 1.0, "acc": 0.5},)
    assert parse_table("h.yaml", "- {epoch: 1, acc: .inf}\n").rows == ({"epoch": 1.0, "acc": None},)


def test_json_list_or_object_holding_a_list_with_bare_infinity() -> None:
    rows = '[{"step": 0, "auc": Infinity, "f": NaN}, {"step": 1, "auc": 0.5, "f": -Infinity}]'
    assert parse_table("a.json", rows).rows == (
        {"step": 0.0, "auc": None, "f": None},
        {"step": 1.0, "auc": 0.5, "f": None},
    )
    wrapped = parse_table("b.json", '{"train": [{"step": 0, "loss": 2}]}')
    assert wrapped.columns == ("step", "loss")


def test_unreadable_and_unsupported_files_name_the_file() -> None:
    with pytest.raises(CmlError, match=r"plot data 'a.json' could not be read"):
        parse_table("a.json", "{oops")
    with pytest.raises(CmlError, match=r"plot data 'a.txt': unsupported file type"):
        parse_table("a.txt", "1 2 3")


def test_x_is_step_or_epoch_else_the_first_column_and_y_the_other_numbers() -> None:
    table = Table(("loss", "epoch", "acc", "name"), ({"loss": 1.0, "epoch": 0.0, "acc": 0.5, "name": "a"},))
    assert pick_x(table) == "epoch"
    assert pick_y(table, "epoch") == ("loss", "acc")
    assert pick_x(Table(("t", "v"), ())) == "t"
    assert pick_x(table, "loss") == "loss"
    assert pick_y(table, "epoch", ["acc"]) == ("acc",)


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "plot.csv").symlink_to(outside)
    with pytest.raises(CmlError, match=r"outside the workspace"):
        data.read_current(workspace, "plot.csv")
    with pytest.raises(CmlError, match=r"outside the workspace"):
        data.read_current(workspace, "../secret.csv")


def test_baseline_is_read_from_git_and_absent_files_are_none(tmp_path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}  # fmt: skip
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loss.csv").write_text("step,loss\n0,2\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    (tmp_path / "sub" / "loss.csv").write_text("step,loss\n0,1\n")
    assert data.read_baseline(tmp_path / "sub", "HEAD", "loss.csv") == Table(("step", "loss"),
                                                                            ({"step": 0.0, "loss": 2.0},))  # fmt: skip
    assert data.read_current(tmp_path, "sub/loss.csv") == Table(("step", "loss"), ({"step": 0.0, "loss": 1.0},))
    assert data.read_baseline(tmp_path, "HEAD", "new.csv") is None
    assert data.read_current(tmp_path, "new.csv") is None
