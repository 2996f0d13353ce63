"""Metrics files that are missing at head or at the baseline: warnings naming them, never a silent drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.errors import InputError
from cml_action.metrics_source import collect_metrics
from tests.gitutil import commit_files, git, init_repo

METRICS = "eval/metrics.json"
DVC_YAML = f"stages:\n  evaluate:\n    cmd: python eval.py\n    metrics:\n    - {METRICS}:\n        cache: false\n"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    repo = init_repo(tmp_path / "ws")
    base = commit_files(repo, {METRICS: '{"acc": 0.8}\n', "dvc.yaml": DVC_YAML})
    return repo, base


def _missing_at_head(repo: Path) -> None:
    git(repo, "rm", "-q", METRICS)
    commit_files(repo, {"README.md": "training failed"})


@pytest.mark.parametrize("requested", [(METRICS,), ("auto",)], ids=["metrics-input", "dvc.yaml"])
def test_a_file_missing_at_head_keeps_its_baseline_and_is_a_warning(
    repo: tuple[Path, str], requested: tuple[str, ...]
) -> None:
    path, base = repo
    _missing_at_head(path)
    sides = collect_metrics(path, requested, base)
    assert sides.current == {METRICS: None}
    assert sides.baseline == {METRICS: {"acc": 0.8}}
    assert sides.warnings == (
        f"metrics file '{METRICS}' is missing in the working tree (did the pipeline fail, or 'dvc pull' not run?)",
    )


def test_a_file_missing_at_the_baseline_is_a_warning(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "ws")
    base = commit_files(path, {"README.md": "x"})
    commit_files(path, {METRICS: '{"acc": 0.9}\n'})
    sides = collect_metrics(path, (METRICS,), base)
    assert (sides.baseline, sides.current) == ({METRICS: None}, {METRICS: {"acc": 0.9}})
    assert sides.warnings == (f"metrics file '{METRICS}' is not in the baseline {base[:7]} (new in this change?)",)


def test_a_new_file_matched_by_a_glob_is_not_named_so_its_absent_baseline_is_no_warning(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "ws")
    base = commit_files(path, {"README.md": "x"})
    commit_files(path, {METRICS: '{"acc": 0.9}\n'})
    sides = collect_metrics(path, ("eval/*.json",), base)
    assert (sides.baseline, sides.current, sides.warnings) == ({METRICS: None}, {METRICS: {"acc": 0.9}}, ())


def test_a_file_missing_on_both_sides_is_one_warning(tmp_path: Path) -> None:
    path = init_repo(tmp_path / "ws")
    base = commit_files(path, {"README.md": "x"})
    sides = collect_metrics(path, (METRICS,), base)
    assert (sides.baseline, sides.current) == ({METRICS: None}, {METRICS: None})
    assert sides.warnings == (
        f"metrics file '{METRICS}' is missing in the working tree (did the pipeline fail, or 'dvc pull' not run?) "
        f"and in the baseline {base[:7]}",
    )


def test_without_a_baseline_commit_only_the_working_tree_is_named(repo: tuple[Path, str]) -> None:
    path, _ = repo
    _missing_at_head(path)
    sides = collect_metrics(path, (METRICS,), None)
    assert (sides.baseline, sides.current) == ({METRICS: None}, {METRICS: None})
    assert len(sides.warnings) == 1 and "missing in the working tree" in sides.warnings[0]


def test_a_missing_path_outside_the_workspace_is_still_an_input_error(repo: tuple[Path, str]) -> None:
    path, base = repo
    with pytest.raises(InputError, match="outside the workspace"):
        collect_metrics(path, ("../elsewhere.json",), base)
