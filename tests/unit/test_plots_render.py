"""render_plots end to end: PNG files of the expected size with both series, from git data and from DVC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cml_action.dvc import runner
from cml_action.errors import CmlError, InputError
from cml_action.plots import RenderedPlot, draw_plots, render_plots
from cml_action.plots.spec import HEIGHT, PALETTE, WIDTH
from tests.dvc_support import needs_dvc, shared_dvc_project, without_cache
from tests.plots_project import capture_specs

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}  # fmt: skip


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def _curve(scale: float) -> str:
    return "step,loss,acc\n" + "".join(f"{i},{scale / (i + 1)},{scale * i / 30}\n" for i in range(30))


@pytest.fixture
def git_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "loss.csv").write_text(_curve(1.0))
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "baseline")
    (ws / "loss.csv").write_text(_curve(0.8))  # the job's new run
    return ws


@pytest.fixture
def specs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    return capture_specs(monkeypatch)


def _has_colour(path: Path, hex_colour: str, minimum: int = 200) -> bool:
    target = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    close = sum(count for count, pixel in colours if sum(abs(a - b) for a, b in zip(pixel, target, strict=True)) < 30)
    return close >= minimum


def test_git_tracked_csv_is_drawn_against_its_baseline(git_workspace: Path, tmp_path: Path,
                                                       specs: list[dict[str, Any]]) -> None:  # fmt: skip
    out = tmp_path / "out"
    (plot,) = render_plots(git_workspace, ["loss.csv"], "HEAD", out, precision=3)
    assert plot == RenderedPlot(out / "loss.csv.png", "loss.csv",
                                "loss.csv: loss 0.027 (baseline 0.033), acc 0.773 (baseline 0.967)")  # fmt: skip
    with Image.open(plot.path) as image:
        assert image.format == "PNG" and image.size == (WIDTH * 2, HEIGHT * 2)
    assert _has_colour(plot.path, PALETTE[0]) and _has_colour(plot.path, PALETTE[1])  # loss and acc both drawn
    values = specs[0]["data"]["values"]
    assert {(row["series"], row["rev"]) for row in values} == {
        ("loss", "current"), ("loss", "baseline (HEAD)"), ("acc", "current"), ("acc", "baseline (HEAD)"),
    }  # fmt: skip
    assert len(values) == 4 * 30
    assert specs[0]["encoding"]["strokeDash"]["scale"]["domain"] == ["current", "baseline (HEAD)"]


def test_scale_sets_the_png_size_and_no_baseline_draws_current_only(git_workspace: Path, tmp_path: Path,
                                                                    specs: list[dict[str, Any]]) -> None:  # fmt: skip
    (plot,) = render_plots(git_workspace, ["loss.csv"], None, tmp_path / "out", scale=1)
    with Image.open(plot.path) as image:
        assert image.size == (WIDTH, HEIGHT)
    assert {row["rev"] for row in specs[0]["data"]["values"]} == {"current"}


def test_a_file_new_since_the_baseline_is_drawn_with_a_note(git_workspace: Path, tmp_path: Path) -> None:
    (git_workspace / "new.json").write_text(json.dumps([{"epoch": i, "f1": i / 10} for i in range(3)]))
    (plot,) = render_plots(git_workspace, ["new.json"], "HEAD", tmp_path / "out")
    assert plot.notes == ("plot 'new.json': new.json did not exist at the baseline HEAD",)
    assert plot.path.stat().st_size > 1000


def test_bad_entries_fail_before_anything_is_rendered(git_workspace: Path, tmp_path: Path) -> None:
    (git_workspace / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"input 'plots': 'missing.csv' not found"):
        render_plots(git_workspace, ["loss.csv", "missing.csv"], "HEAD", tmp_path / "out")
    with pytest.raises(InputError, match=r"not a CSV/TSV/JSON/YAML data file"):
        render_plots(git_workspace, ["notes.txt"], "HEAD", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    # Data that cannot be drawn is not a bad input: that plot becomes a note and the others are drawn.
    (git_workspace / "words.csv").write_text("a,b\nx,y\n")
    drawn = draw_plots(git_workspace, ["words.csv", "loss.csv"], "HEAD", tmp_path / "out")
    assert [chart.title for chart in drawn.charts] == ["loss.csv"]
    assert drawn.notes == ("plot 'words.csv': words.csv did not exist at the baseline HEAD",
                           "plot 'words.csv' was not drawn: no numeric data to draw "
                           "(need an x column and numeric y columns)")  # fmt: skip


def test_without_vl_convert_the_message_names_the_extra(git_workspace: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # makes `import vl_convert` raise ImportError
    with pytest.raises(CmlError) as caught:
        render_plots(git_workspace, ["loss.csv"], "HEAD", tmp_path / "out")
    assert str(caught.value) == (
        "'plots' needs vl-convert-python, which is not installed "
        "(pip install 'cml-action[plots]' or use the cml-action image)"
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_dvc_project(tmp_path_factory)


@needs_dvc
@pytest.mark.dvc
def test_dvc_plots_render_dvc_output_data_with_infinity_and_git_data_ourselves(
    repo: Path, tmp_path: Path, specs: list[dict[str, Any]]
) -> None:
    cached, accuracy = render_plots(repo, ["eval/cached.json", "Accuracy"], "HEAD~1", tmp_path / "out")
    # eval/cached.json is a DVC output: DVC's own spec, its bare Infinity/NaN turned into nulls.
    assert cached.title == "eval/cached.json" and cached.notes == ()
    dvc_values = specs[0]["data"]["values"]
    json.dumps(specs[0], allow_nan=False)
    assert {row["rev"] for row in dvc_values} == {"current", "HEAD~1"}
    assert [row["auc"] for row in dvc_values if row["rev"] == "current"] == [0.0, 0.2, None, 0.6000000000000001,
                                                                               0.8]  # fmt: skip
    # Accuracy reads eval/loss.csv, which is in git (cache: false): our chart, current 0.8 vs baseline 0.5.
    assert accuracy.alt == "Accuracy: acc 0.76 (baseline 0.475)"
    assert specs[1]["encoding"]["x"]["title"] == "step"
    for plot in (cached, accuracy):
        with Image.open(plot.path) as image:
            assert image.format == "PNG" and image.size[0] >= 600


@needs_dvc
@pytest.mark.dvc
def test_dvc_output_plot_without_cache_says_what_is_missing(repo: Path, tmp_path: Path) -> None:
    (plot,) = render_plots(without_cache(repo, tmp_path), ["eval/cached.json"], "HEAD~1", tmp_path / "out")
    assert len(plot.notes) == 1
    assert plot.notes[0].startswith("plot 'eval/cached.json': DVC could not load eval/cached.json at HEAD~1: ")
    assert plot.notes[0].endswith(" (try 'dvc pull' before the report)")


@needs_dvc
@pytest.mark.dvc
def test_dvc_output_plot_without_dvc_draws_the_working_tree(repo: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(runner, "find_dvc", lambda: None)
    (plot,) = render_plots(repo, ["eval/cached.json"], "HEAD~1", tmp_path / "out")
    assert plot.notes == (
        "plot 'eval/cached.json': its data is a DVC output and DVC is not installed (pip install "
        "'cml-action[dvc]' or use the cml-action image); drawn from the working tree without the baseline",
    )
    assert plot.alt == "eval/cached.json: auc 0.8"


def test_a_dvc_only_template_without_dvc_is_a_clear_error(git_workspace: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(runner, "find_dvc", lambda: None)
    (git_workspace / "dvc.yaml").write_text("plots:\n  - loss.csv:\n      template: confusion\n")
    drawn = draw_plots(git_workspace, ["loss.csv"], "HEAD", tmp_path / "out")
    assert drawn.charts == ()
    assert drawn.notes == (
        "plot 'loss.csv' was not drawn: it uses DVC's 'confusion' template, which needs DVC "
        "(pip install 'cml-action[dvc]' or use the cml-action image)",
    )
