"""dvc.yaml / dvc.lock parsing without DVC; the DVC-backed parts on the shared project (tests/dvc_support.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cml_action.dvc import project
from cml_action.dvc.project import PlotDef
from cml_action.errors import CmlError
from tests.dvc_support import needs_dvc, run, shared_dvc_project

# --- parsing, no DVC needed -----------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_declared_metrics_lists_top_level_then_stage_outputs_once(tmp_path: Path) -> None:
    write(tmp_path / "dvc.yaml", """\
        metrics: [summary.json, eval/metrics.json]
        stages:
          train:
            cmd: x
            metrics:
              - eval/metrics.json
              - eval/extra.json:
                  cache: false
        """)  # fmt: skip
    assert project.declared_metrics(tmp_path) == ("summary.json", "eval/metrics.json", "eval/extra.json")


def test_templated_stage_metrics_are_expanded_from_dvc_lock(tmp_path: Path) -> None:
    write(tmp_path / "dvc.yaml", """\
        stages:
          eval:
            foreach: [a, b]
            do:
              cmd: x ${item}
              metrics:
                - eval/${item}/metrics.json
        """)  # fmt: skip
    write(tmp_path / "dvc.lock", """\
        schema: '2.0'
        stages:
          eval@a: {cmd: x a, outs: [{path: eval/a/metrics.json, md5: 1}]}
          eval@b: {cmd: x b, outs: [{path: eval/b/metrics.json, md5: 2}, {path: other.txt, md5: 3}]}
        """)  # fmt: skip
    assert project.declared_metrics(tmp_path) == ("eval/a/metrics.json", "eval/b/metrics.json")


def test_no_dvc_yaml_declares_nothing(tmp_path: Path) -> None:
    assert project.declared_metrics(tmp_path) == ()
    assert project.declared_plots(tmp_path) == ()


def test_invalid_dvc_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "dvc.yaml", "metrics:\n  - a.json\n bad: [\n")
    with pytest.raises(CmlError) as caught:
        project.declared_metrics(tmp_path)
    assert caught.value.file == "dvc.yaml"
    assert caught.value.line is not None
    assert str(caught.value).startswith("dvc.yaml is not valid YAML")


def test_a_huge_dvc_yaml_is_one_line_not_a_parse_of_megabytes(tmp_path: Path) -> None:
    with (tmp_path / "dvc.yaml").open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # a fork's dvc.yaml is untrusted: capped like every text input
    with pytest.raises(CmlError) as caught:
        project.declared_metrics(tmp_path)
    assert str(caught.value) == "dvc.yaml is 9 MiB (the limit is 8 MiB)"


def test_declared_plots_cover_top_level_ids_files_and_stage_plots(tmp_path: Path) -> None:
    write(tmp_path / "dvc.yaml", """\
        plots:
          - roc.csv
          - Loss:
              x: step
              y:
                train.csv: loss
                test.csv: [loss, acc]
              title: Loss curves
              template: linear
          - confusion.csv:
              template: confusion
              x: actual
              y: predicted
        stages:
          train:
            cmd: x
            plots:
              - history.tsv:
                  x: epoch
                  y: [loss]
                  x_label: Epoch
        """)  # fmt: skip
    assert project.declared_plots(tmp_path) == (
        PlotDef(id="roc.csv", files=("roc.csv",)),
        PlotDef(id="Loss", files=("train.csv", "test.csv"), x="step",
                y=(("train.csv", "loss"), ("test.csv", "loss"), ("test.csv", "acc")),
                template="linear", title="Loss curves"),
        PlotDef(id="confusion.csv", files=("confusion.csv",), x="actual", y=(("confusion.csv", "predicted"),),
                template="confusion"),
        PlotDef(id="history.tsv", files=("history.tsv",), x="epoch", y=(("history.tsv", "loss"),), x_label="Epoch"),
    )  # fmt: skip
    loss = project.find_plot(tmp_path, "Loss")
    assert loss is not None and loss.y_fields("test.csv") == ("loss", "acc")
    assert project.find_plot(tmp_path, "dvc.yaml::Loss") == loss
    assert project.find_plot(tmp_path, "test.csv") == loss  # by data file
    assert project.find_plot(tmp_path, "nothing.csv") is None


def _git(repo: Path, *args: str) -> None:
    run(repo, "git", *args)


def test_dvc_outputs_are_told_apart_from_git_files(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    write(tmp_path / "dvc.yaml", """\
        metrics: [summary.json]
        stages:
          train:
            cmd: x
            metrics:
              - eval/metrics.json
              - eval/small.json:
                  cache: false
        """)  # fmt: skip
    write(tmp_path / "eval" / ".gitignore", "/metrics.json\n")
    for name in ("summary.json", "eval/metrics.json", "eval/small.json", "added.json"):
        write(tmp_path / name, "{}")
    write(tmp_path / "added.json.dvc", "outs:\n- path: added.json\n")
    write(tmp_path / "sub" / ".gitignore", "/out.json\n")  # an output of a dvc.yaml in a subfolder
    write(tmp_path / "sub" / "out.json", "{}")
    _git(tmp_path, "add", "summary.json", "eval/small.json", "dvc.yaml")
    paths = ["summary.json", "eval/metrics.json", "eval/small.json", "added.json", "sub/out.json"]
    assert project.dvc_tracked(tmp_path, paths) == ("eval/metrics.json", "added.json", "sub/out.json")
    assert project.is_dvc_output(tmp_path, "eval/metrics.json")
    assert not project.is_dvc_output(tmp_path, "summary.json")


def test_a_cached_output_that_is_committed_anyway_counts_as_git(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    write(tmp_path / "dvc.yaml", "stages:\n  t:\n    cmd: x\n    metrics: [m.json]\n")
    write(tmp_path / "m.json", "{}")
    _git(tmp_path, "add", "-f", "m.json")
    assert project.dvc_tracked(tmp_path, ["m.json"]) == ()


@needs_dvc
@pytest.mark.dvc
def test_generated_project_declares_its_metrics_and_plots(tmp_path_factory: pytest.TempPathFactory) -> None:
    repo = shared_dvc_project(tmp_path_factory)
    assert project.declared_metrics(repo) == ("summary.json", "eval/metrics.json")
    assert [plot.id for plot in project.declared_plots(repo)] == ["Accuracy", "eval/loss.csv", "eval/cached.json"]
    # What DVC itself wrote: the cached metric is ignored by git, the cache:false plot is committed.
    assert project.dvc_tracked(repo, ["summary.json", "eval/metrics.json", "eval/loss.csv", "eval/cached.json"]) == (
        "eval/metrics.json",
        "eval/cached.json",
    )
    assert project.lock_outputs_at(repo, "HEAD~1") == ("data.txt", "eval/cached.json", "eval/loss.csv",
                                                       "eval/metrics.json")  # fmt: skip
