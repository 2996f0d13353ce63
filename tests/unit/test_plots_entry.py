"""`plots` entries with axes: `loss.csv x=step y=loss,val_loss`, parsed strictly, drawn with those columns."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from cml_action.errors import InputError
from cml_action.inputs import parse_settings
from cml_action.plots import draw_plots
from cml_action.plots.entry import PlotEntry, parse_entry
from tests.gitutil import commit_files, init_repo
from tests.plots_project import capture_specs


def test_entries_without_options_keep_todays_meaning() -> None:
    assert parse_entry("loss.csv") == PlotEntry("loss.csv")
    assert parse_entry("  my runs/loss.csv ") == PlotEntry("my runs/loss.csv")  # spaces in a plain path are kept


def test_entries_name_x_and_one_or_more_y() -> None:
    assert parse_entry("loss.csv x=step y=loss,val_loss") == PlotEntry("loss.csv", "step", ("loss", "val_loss"))
    assert parse_entry("lr.csv y=lr") == PlotEntry("lr.csv", None, ("lr",))
    assert parse_entry("roc.json x=fpr") == PlotEntry("roc.json", "fpr", ())


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("loss.csv z=step", "'z=step' is not x=FIELD or y=FIELD[,FIELD…]"),
        ("loss.csv step y=a", "'step' is not x=FIELD or y=FIELD[,FIELD…]"),
        ("loss.csv y=", "'y=' has an empty field name"),
        ("loss.csv y=a,,b", "'y=a,,b' has an empty field name"),
        ("loss.csv x=a,b", "'x=a,b' names 2 fields; x takes one"),
        ("loss.csv y=a y=b", "'y=' is given twice"),
        ("x=step loss.csv", "starts with an option; give the data file first"),
    ],
)
def test_bad_syntax_is_one_line_naming_the_input(entry: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings({"INPUT_PLOTS": f"train.csv\n{entry}"})
    assert str(caught.value) == f"input 'plots': '{entry}': {problem} (write e.g. 'loss.csv x=step y=loss,val_loss')"


def test_a_line_with_options_is_one_entry_and_other_lines_still_split_on_commas() -> None:
    settings = parse_settings({"INPUT_PLOTS": "a.csv, b.csv\nloss.csv x=step y=loss,val_loss"})
    assert settings.plots == ("a.csv", "b.csv", "loss.csv x=step y=loss,val_loss")


@pytest.fixture
def specs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    return capture_specs(monkeypatch)


def _rows(scale: float) -> str:
    return "epoch,iteration,loss,val_loss,acc\n" + "".join(
        f"{i},{i * 10},{scale / (i + 1)},{scale / (i + 2)},{i / 5}\n" for i in range(5)
    )


def test_named_axes_choose_the_columns_drawn(tmp_path: Path, specs: list[dict[str, Any]]) -> None:
    repo = init_repo(tmp_path / "ws")
    sha = commit_files(repo, {"loss.csv": _rows(1.0)})
    (repo / "loss.csv").write_text(_rows(0.5))
    drawn = draw_plots(repo, ["loss.csv x=iteration y=loss,val_loss", "loss.csv"], sha, tmp_path / "out")
    assert drawn.notes == ()
    named, default = specs
    assert named["encoding"]["x"]["title"] == "iteration"
    assert {row["series"] for row in named["data"]["values"]} == {"loss", "val_loss"}
    assert [row["x"] for row in named["data"]["values"] if row["series"] == "loss" and row["rev"] == "current"] == [
        0.0, 10.0, 20.0, 30.0, 40.0
    ]  # fmt: skip
    # The same file without options keeps today's choice: x epoch, every numeric column.
    assert default["encoding"]["x"]["title"] == "epoch"
    assert {row["series"] for row in default["data"]["values"]} == {"iteration", "loss", "val_loss", "acc"}


def test_a_named_column_that_is_missing_is_a_note(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ws")
    sha = commit_files(repo, {"loss.csv": _rows(1.0)})
    drawn = draw_plots(repo, ["loss.csv x=time y=loss"], sha, tmp_path / "out")
    assert drawn.charts == ()
    assert drawn.notes == (
        "plot 'loss.csv': x column 'time' not found in loss.csv",
        "plot 'loss.csv' was not drawn: no numeric data to draw (need an x column and numeric y columns)",
    )


def test_axes_on_a_dvc_template_or_output_say_where_axes_go(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ws")
    sha = commit_files(repo, {
        "cm.csv": "actual,predicted\na,b\n",
        "dvc.yaml": "plots:\n  - cm.csv:\n      template: confusion\n",
    })  # fmt: skip
    with pytest.raises(InputError, match=r"^input 'plots': 'cm.csv x=actual': x=/y= are for data files drawn as "):
        draw_plots(repo, ["cm.csv x=actual"], sha, tmp_path / "out")
    (repo / "model.csv.dvc").write_text("outs:\n- path: model.csv\n")
    (repo / "model.csv").write_text("a,b\n1,2\n")
    subprocess.run(["git", "-C", str(repo), "add", "model.csv.dvc"], check=True)
    with pytest.raises(InputError, match=r"x=/y= are for data files in git; model.csv is a DVC output"):
        draw_plots(repo, ["model.csv y=b"], sha, tmp_path / "out")
