"""Which plots a `plots` entry names: dvc.yaml ids, data files, folders (dvclive), globs; no rendering here."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cml_action.dvc.project import PlotDef
from cml_action.errors import InputError
from cml_action.plots.collect import resolve_plots
from cml_action.plots.data import parse_table, pick_y

DVC_YAML = """\
plots:
  - dvclive/plots/metrics:
      x: step
  - Loss:
      x: epoch
      y:
        train.csv: loss
        test.csv: loss
stages:
  train:
    cmd: x
    plots:
      - history.tsv:
          x: epoch
          y: acc
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    for name in ("dvclive/plots/metrics/train/loss.tsv", "dvclive/plots/metrics/eval/acc.tsv", "train.csv",
                 "test.csv", "history.tsv", "curves/a.csv", "curves/b.json"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("step\tvalue\n0\t1\n")
    (tmp_path / "curves" / "notes.txt").write_text("not data")
    return tmp_path


def test_a_dvc_plot_id_keeps_its_definition(ws: Path) -> None:
    assert resolve_plots(ws, "Loss") == [
        PlotDef(id="Loss", files=("train.csv", "test.csv"), x="epoch", y=(("train.csv", "loss"), ("test.csv", "loss")))
    ]
    assert resolve_plots(ws, "dvc.yaml::Loss") == resolve_plots(ws, "Loss")


def test_a_folder_plot_becomes_one_plot_per_file_with_the_folder_options(ws: Path) -> None:
    assert resolve_plots(ws, "dvclive/plots/metrics") == [
        PlotDef(id="dvclive/plots/metrics/eval/acc.tsv", files=("dvclive/plots/metrics/eval/acc.tsv",), x="step"),
        PlotDef(id="dvclive/plots/metrics/train/loss.tsv", files=("dvclive/plots/metrics/train/loss.tsv",), x="step"),
    ]


def test_a_declared_data_file_keeps_its_fields_and_a_plain_one_gets_defaults(ws: Path) -> None:
    assert resolve_plots(ws, "history.tsv") == [
        PlotDef(id="history.tsv", files=("history.tsv",), x="epoch", y=(("history.tsv", "acc"),))
    ]
    # train.csv is used by the Loss plot, but naming the file asks for that file's columns.
    assert resolve_plots(ws, "train.csv") == [PlotDef(id="train.csv", files=("train.csv",))]


def test_globs_and_undeclared_folders_list_data_files_only(ws: Path) -> None:
    assert [plot.id for plot in resolve_plots(ws, "curves/*")] == ["curves/a.csv", "curves/b.json"]
    assert [plot.id for plot in resolve_plots(ws, "curves")] == ["curves/a.csv", "curves/b.json"]


def test_unknown_entries_are_input_errors(ws: Path) -> None:
    with pytest.raises(InputError, match=r"^input 'plots': 'nope' not found"):
        resolve_plots(ws, "nope")
    with pytest.raises(InputError, match=r"^input 'plots': the glob 'nope/\*.csv' matches no file"):
        resolve_plots(ws, "nope/*.csv")
    with pytest.raises(InputError, match=r"is outside the workspace"):
        resolve_plots(ws, "../elsewhere.csv")


def test_dvclive_timestamp_is_not_drawn() -> None:
    table = parse_table("loss.tsv", textwrap.dedent("""\
        timestamp\tstep\tloss
        1700000000\t0\t1.0
        """))  # fmt: skip
    assert pick_y(table, "step") == ("loss",)
