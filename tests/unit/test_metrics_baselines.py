"""Metrics baselines are real or absent, never faked: DVC outputs in a subfolder project are read at the baseline,
and without a baseline commit no value poses as one (issue 10 §4, §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.metrics_source import collect_metrics
from tests.dvc_support import needs_dvc
from tests.monorepo_support import PROJECT, Monorepo, make_monorepo

pytestmark = [pytest.mark.dvc, needs_dvc]

CACHED = f"{PROJECT}/eval/metrics.json"  # a DVC output (not in git)
IN_GIT = f"{PROJECT}/eval/summary.json"  # cache: false, committed


@pytest.fixture(scope="module")
def mono(tmp_path_factory: pytest.TempPathFactory) -> Monorepo:
    return make_monorepo(tmp_path_factory.mktemp("mono"))


def test_an_explicit_subfolder_dvc_output_has_its_baseline(mono: Monorepo) -> None:
    sides = collect_metrics(mono.root, (CACHED, IN_GIT), mono.base)
    assert sides.baseline == {CACHED: {"acc": 0.7, "loss": 0.3}, IN_GIT: {"f1": 0.6}}
    assert sides.current == {CACHED: {"acc": 0.9, "loss": 0.1}, IN_GIT: {"f1": 0.8}}
    assert sides.warnings == ()


def test_auto_from_the_project_folder_reads_both_sides(mono: Monorepo) -> None:
    sides = collect_metrics(mono.project, ("auto",), mono.base)
    assert sides.baseline == {"eval/metrics.json": {"acc": 0.7, "loss": 0.3}, "eval/summary.json": {"f1": 0.6}}
    assert sides.current["eval/metrics.json"] == {"acc": 0.9, "loss": 0.1}


@pytest.mark.parametrize("requested", [("auto",), ("eval/metrics.json", "eval/summary.json")])
def test_without_a_baseline_commit_no_value_poses_as_the_baseline(mono: Monorepo, requested: tuple[str, ...]) -> None:
    sides = collect_metrics(mono.project, requested, None)
    # Never the HEAD values shown as a baseline (they equal the current ones here: "no change" would be a lie).
    assert sides.baseline == {"eval/metrics.json": None, "eval/summary.json": None}
    assert sides.current == {"eval/metrics.json": {"acc": 0.9, "loss": 0.1}, "eval/summary.json": {"f1": 0.8}}
    assert sides.warnings == ()  # the baseline's own warning says why, once


def test_dvc_project_at_the_repository_root_with_the_pipeline_in_a_subfolder(tmp_path: Path) -> None:
    mono = make_monorepo(tmp_path, subdir_dvc=False)
    sides = collect_metrics(mono.root, (CACHED,), mono.base)
    assert sides.baseline == {CACHED: {"acc": 0.7, "loss": 0.3}}
    sides = collect_metrics(mono.project, ("auto",), mono.base)
    assert sides.baseline["eval/metrics.json"] == {"acc": 0.7, "loss": 0.3}
