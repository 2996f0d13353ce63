"""DVC plots as DVC draws them, on a project shaped like example-get-started (tests/plots_project.py): the specs
we hand to vl-convert are checked (panel headers against their data, fields, labels), not the pixels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from cml_action.baseline import Baseline
from cml_action.context import RunContext
from cml_action.dvc import runner
from cml_action.inputs import Settings
from cml_action.media import MediaSet
from cml_action.plots import draw_plots, dvc_spec
from cml_action.render_parts import build_parts, compose
from tests.plots_project import BASELINE_THRESHOLD, CURRENT_THRESHOLD, capture_specs, copy_project

pytestmark = pytest.mark.dvc
Project = tuple[Path, str]


@pytest.fixture
def plots_project(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    return copy_project(tmp_path_factory, tmp_path, monkeypatch)


@pytest.fixture
def specs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    return capture_specs(monkeypatch)


@pytest.fixture
def dvc_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argument lists of every `dvc` command run (git and others pass through uncounted)."""
    calls: list[list[str]] = []
    real: Callable[..., Any] = subprocess.run

    def counting(args: Any, *rest: Any, **kwargs: Any) -> Any:
        if isinstance(args, list) and args and Path(str(args[0])).name == "dvc":
            calls.append([str(arg) for arg in args[1:]])
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(runner.subprocess, "run", counting)
    return calls


def expected_confusion(split: str, threshold: float) -> Counter[tuple[str, str]]:
    """The counts evaluate.py writes: (actual, predicted) -> rows (mirrors the generator's formula)."""
    base = {"train": 10, "test": 3}[split]
    errors = int(threshold * 10) if split == "train" else int(threshold * 6)
    counts: Counter[tuple[str, str]] = Counter()
    for actual in ("cat", "dog"):
        for predicted in ("cat", "dog"):
            counts[actual, predicted] = base + (errors if actual != predicted else 0) + (2 if actual == "dog" else 0)
    return counts


def test_confusion_panels_show_their_own_counts_under_their_own_headers(
    plots_project: Project, tmp_path: Path, specs: list[dict[str, Any]]
) -> None:
    repo, sha = plots_project
    drawn = draw_plots(repo, ["Confusion-Matrix"], sha, tmp_path / "out")
    assert drawn.notes == ()
    (spec,) = specs
    panels = dvc_spec.panels(spec)
    short = sha[:7]
    # Baseline first, then current, for each file; every header names a file and a revision.
    assert [title for title, _ in panels] == [
        f"train.json · {short}",
        "train.json · current",
        f"test.json · {short}",
        "test.json · current",
    ]
    thresholds = {short: BASELINE_THRESHOLD, "current": CURRENT_THRESHOLD}
    for title, rows in panels:
        file, rev = title.split(" · ")
        assert {(row["filename"], row["rev"]) for row in rows} == {(file, rev)}
        counts = Counter((row["actual"], row["predicted"]) for row in rows)
        assert counts == expected_confusion(file.removesuffix(".json"), thresholds[rev]), title
    # The counts are written in the cells: DVC's showValues switch is on, with no widget.
    assert {"name": "showValues", "value": True} in spec["params"]
    assert "facet" not in json.dumps(spec)
    with Image.open(drawn.charts[0].path) as image:
        assert image.format == "PNG" and image.size[0] > 1000  # four panels side by side in pairs


def test_linear_plot_keeps_dvc_axes_and_shows_short_revisions(
    plots_project: Project, tmp_path: Path, specs: list[dict[str, Any]]
) -> None:
    repo, sha = plots_project
    draw_plots(repo, ["ROC"], sha, tmp_path / "out")
    (spec,) = specs
    assert spec["encoding"]["x"]["field"] == "fpr" and spec["encoding"]["y"]["field"] == "tpr"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["current", sha[:7]]
    assert {row["rev"] for row in spec["data"]["values"]} == {"current", sha[:7]}
    assert {row["filename"] for row in spec["data"]["values"]} == {"train.json", "test.json"}
    text = json.dumps(spec)
    assert sha not in text and "workspace" not in text
    assert not re.search(r"\b[0-9a-f]{40}\b", text)


def test_all_dvc_plots_come_from_one_dvc_call(
    plots_project: Project, tmp_path: Path, dvc_calls: list[list[str]]
) -> None:
    repo, sha = plots_project
    drawn = draw_plots(repo, ["ROC", "Confusion-Matrix", "eval/plots/images", "lr.csv"], sha, tmp_path / "out")
    assert [chart.title for chart in drawn.charts] == ["ROC", "Confusion-Matrix", "lr.csv"]
    assert len(dvc_calls) == 1
    assert dvc_calls[0][:3] == ["plots", "diff", "--json"]
    assert dvc_calls[0][-4:] == ["--targets", "ROC", "Confusion-Matrix", "eval/plots/images"]


def test_image_plots_are_pairs_with_the_missing_side_named(plots_project: Project, tmp_path: Path) -> None:
    repo, sha = plots_project
    drawn = draw_plots(repo, ["eval/plots/images"], sha, tmp_path / "out")
    assert drawn.charts == () and drawn.notes == () and drawn.baseline_label == sha[:7]
    importance, shap = drawn.images
    assert importance.name == "eval/plots/images/importance.png"
    assert importance.baseline is not None and importance.current is not None
    assert importance.baseline.read_bytes() != importance.current.read_bytes()
    assert shap.name == "eval/plots/images/shap.png" and shap.baseline is None and shap.current is not None
    # DVC wrote its copies into our folder, never into the workspace.
    assert not (repo / "dvc_plots").exists()
    assert importance.current.is_relative_to(tmp_path / "out")


def _report(repo: Path, sha: str, tmp_path: Path, plots: tuple[str, ...]) -> tuple[str, MediaSet, list[str]]:
    settings = Settings(plots=plots, metrics=())
    ctx = RunContext(forge="local", workspace=repo, head_sha=sha)
    baseline = Baseline(sha=sha, described="test")
    media = MediaSet()
    parts = build_parts(settings, ctx, baseline, (), media, tmp_path / "scratch")
    urls = {image.sha256: f"https://img.example/{image.sha256[:8]}.png" for image in media.all()}
    report = compose(parts, media, urls, key="k", ctx=ctx, baseline=baseline, local_dir=tmp_path / "local")
    return report.plots_md, media, list(report.warnings)


def test_image_pairs_are_one_table_row_each_and_published_once(plots_project: Project, tmp_path: Path) -> None:
    repo, sha = plots_project
    plots_md, media, warnings = _report(repo, sha, tmp_path, ("eval/plots/images",))
    assert warnings == []
    by_name = {image.sha256: f"https://img.example/{image.sha256[:8]}.png" for image in media.all()}
    assert len(media.all()) == 3  # importance at both sides, shap now: each published once
    importance_before, importance_now, shap_now = (by_name[image.sha256] for image in media.plots)
    short = sha[:7]
    assert plots_md == (
        "### Plots\n\n"
        f"| Image | {short} | current |\n"
        "|---|---|---|\n"
        f"| eval/plots/images/importance.png | ![eval/plots/images/importance.png ({short})]({importance_before}) "
        f"| ![eval/plots/images/importance.png (current)]({importance_now}) |\n"
        "| eval/plots/images/shap.png | *not at the baseline* "
        f"| ![eval/plots/images/shap.png (current)]({shap_now}) |"
    )


def test_a_plot_whose_data_was_not_pulled_fails_alone_quoting_dvc(
    plots_project: Project, tmp_path: Path, dvc_calls: list[list[str]]
) -> None:
    repo, sha = plots_project
    shutil.rmtree(repo / ".dvc" / "cache")
    shutil.rmtree(repo / "eval")
    config = repo / ".dvc" / "config.local"
    config.write_text(re.sub(r"url = .*", f"url = {tmp_path / 'no-remote'}", config.read_text()))
    plots_md, _, warnings = _report(repo, sha, tmp_path, ("ROC", "Confusion-Matrix", "lr.csv"))
    assert warnings == [
        f"plot '{name}' was not drawn: DVC could not load eval/plots/{folder}/train.json, "
        f"eval/plots/{folder}/test.json at current, {sha[:7]}: failed to load directory ('eval',) "
        "(try 'dvc pull' before the report)"
        for name, folder in (("ROC", "roc"), ("Confusion-Matrix", "cm"))
    ]
    assert "![lr.csv: lr 0.1167 (baseline 0.0833)]" in plots_md  # git-tracked data is still drawn
    assert len(dvc_calls) == 3  # the batch reported errors: each plot asked alone for its own answer


def test_a_one_column_file_is_drawn_against_the_row_index(
    plots_project: Project, tmp_path: Path, specs: list[dict[str, Any]]
) -> None:
    repo, sha = plots_project
    (chart,) = draw_plots(repo, ["lr.csv"], sha, tmp_path / "out").charts
    (spec,) = specs
    assert spec["encoding"]["x"]["title"] == "step" and spec["encoding"]["y"]["title"] == "lr"
    current = [row for row in spec["data"]["values"] if row["rev"] == "current"]
    assert [row["x"] for row in current] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert current[0]["y"] == CURRENT_THRESHOLD
    assert chart.alt == "lr.csv: lr 0.1167 (baseline 0.0833)"


def test_without_a_baseline_dvc_shows_the_working_tree_only(
    plots_project: Project, tmp_path: Path, specs: list[dict[str, Any]], dvc_calls: list[list[str]]
) -> None:
    repo, _ = plots_project
    drawn = draw_plots(repo, ["Confusion-Matrix", "eval/plots/images"], None, tmp_path / "out")
    assert dvc_calls == [["plots", "show", "--json", "-o", str(tmp_path / "out" / "dvc" / "all"),
                          "Confusion-Matrix", "eval/plots/images"]]  # fmt: skip
    assert [title for title, _ in dvc_spec.panels(specs[0])] == ["train.json · current", "test.json · current"]
    assert [(pair.name, pair.baseline is None, pair.current is not None) for pair in drawn.images] == [
        ("eval/plots/images/importance.png", True, True),
        ("eval/plots/images/shap.png", True, True),
    ]


def test_an_image_file_named_in_plots_is_a_pair_too(plots_project: Project, tmp_path: Path) -> None:
    repo, sha = plots_project
    shutil.copyfile(repo / "eval" / "plots" / "images" / "importance.png", repo / "extra.png")
    drawn = draw_plots(repo, ["extra.png", "eval/plots/images/importance.png"], sha, tmp_path / "out")
    assert drawn.notes == ()
    assert [(pair.name, pair.baseline is None, pair.current is None) for pair in drawn.images] == [
        ("extra.png", True, False),  # new in the working tree
        ("eval/plots/images/importance.png", False, False),
    ]
