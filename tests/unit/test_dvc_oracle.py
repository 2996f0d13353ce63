"""`dvc metrics diff` (the installed DVC 3.x) is the oracle: same keys, same numbers, same markdown rows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cml_action.report.diff import diff_metrics
from cml_action.report.readers import read_metrics
from cml_action.report.table import render_metrics_json, render_metrics_table
from tests.dvc_support import oracle_env
from tests.oracle_support import (
    DVC,
    METRICS,
    metrics_repo,  # noqa: F401  (the fixture `repo` is built on)
)

pytestmark = pytest.mark.dvc


@pytest.fixture(scope="module")
def repo(metrics_repo: Path) -> Path:  # noqa: F811
    return metrics_repo


def _dvc(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [str(DVC), "metrics", "diff", *args], cwd=repo, capture_output=True, text=True, env=oracle_env()
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _side(repo: Path, rev: str | None) -> dict[str, dict[str, object] | None]:
    side: dict[str, dict[str, object] | None] = {}
    for name in METRICS:
        if rev is None:
            path = repo / name
            side[name] = dict(read_metrics(name, path.read_text())) if path.exists() else None
            continue
        shown = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=repo, capture_output=True, text=True)
        side[name] = dict(read_metrics(name, shown.stdout)) if shown.returncode == 0 else None
    return side


@pytest.mark.parametrize("rev", ["HEAD", "HEAD~1"])
@pytest.mark.parametrize("show_all", [False, True])
def test_json_matches_dvc(repo: Path, rev: str, show_all: bool) -> None:
    flags = ["--all"] if show_all else []
    expected = json.loads(_dvc(repo, rev, "--json", *flags))
    diff = diff_metrics(_side(repo, rev), _side(repo, None))
    ours = json.loads(render_metrics_json(diff, show_all=show_all))
    assert ours == expected
    assert len(expected) >= 2  # the fixture really produces differences in several files


@pytest.mark.parametrize("rev", ["HEAD", "HEAD~1"])
@pytest.mark.parametrize(("show_all", "precision"), [(False, 5), (True, 5), (False, 2)])
def test_markdown_matches_dvc(repo: Path, rev: str, show_all: bool, precision: int) -> None:
    flags = (["--all"] if show_all else []) + ["--precision", str(precision)]
    expected = _dvc(repo, rev, "--md", *flags).rstrip("\n").split("\n")
    diff = diff_metrics(_side(repo, rev), _side(repo, None))
    ours = render_metrics_table(diff, precision=precision, show_all=show_all, baseline_label=rev)
    lines = ours.rstrip("\n").split("\n")
    # DVC orders files by a set's iteration order (random per process); rows within a file are sorted.
    assert lines[:2] == expected[:2]
    assert sorted(lines[2:]) == sorted(expected[2:])
    assert len(lines) > 5


def test_lists_are_dropped_like_dvc(repo: Path) -> None:
    everything = json.loads(_dvc(repo, "HEAD~1", "--json", "--all"))
    names = {metric for metrics in everything.values() for metric in metrics}
    assert not any(name.startswith("per_class") for name in names)
    assert "test.avg_prec.macro" in names
