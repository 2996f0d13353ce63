"""`dvc metrics diff` (the installed DVC 3.x) is the oracle: same keys, same numbers, same markdown rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from cml_action.report.diff import diff_metrics
from cml_action.report.readers import read_metrics
from cml_action.report.table import render_metrics_json, render_metrics_table
from tests.dvc_support import oracle_env

pytestmark = pytest.mark.dvc

DVC = Path(sys.executable).with_name("dvc")
METRICS = ("eval/metrics.json", "eval/train.yaml", "eval/model.toml", "eval/extra.json")

FIRST = {
    "eval/metrics.json": json.dumps(
        {
            "acc": 0.9,
            "loss": 0.30000000000000004,
            "n": 10,
            "flag": True,
            "model": "resnet",
            "per_class": [0.5, {"x": 1}],
            "test": {"roc_auc": 0.912345678, "avg_prec": {"macro": 0.81, "micro": 0.8}},
            "gone": 3,
            "nothing": None,
            "empty": {},
        }
    ),
    "eval/train.yaml": "train:\n  lr: 1e-3\n  steps: 1_000\n  octal_like: 017\n  ok: yes\n  epochs: 3\n",
    "eval/model.toml": '[model]\nsize = 12\nname = "a"\nwhen = 2024-01-01\n[model.deep.er]\nscore = 0.5\n',
    "eval/extra.json": '{"only_in_first": 1.5}',
}
SECOND = {
    "eval/metrics.json": json.dumps(
        {
            "acc": 0.95,
            "loss": 0.3,
            "n": 12,
            "flag": False,
            "model": "resnet",
            "per_class": [0.7],
            "test": {"roc_auc": 0.9, "avg_prec": {"macro": 0.79, "micro": 0.8}},
            "new_metric": 7,
        }
    ),
    "eval/train.yaml": "train:\n  lr: 2e-3\n  steps: 2_000\n  octal_like: 017\n  ok: no\n  epochs: 3\n",
    "eval/model.toml": '[model]\nsize = 13\nname = "b"\nwhen = 2024-01-02\n[model.deep.er]\nscore = 0.25\n',
}
WORKSPACE = {
    "eval/metrics.json": json.dumps(
        {"acc": 0.97, "loss": 0.25, "n": 12, "flag": True, "model": "vit", "test": {"roc_auc": 0.93}}
    ),
    "eval/train.yaml": "train:\n  lr: 5e-4\n  steps: 2_000\n  octal_like: 018\n  ok: true\n  epochs: 4.5\n",
}


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def _write(repo: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DVC.exists() or shutil.which("git") is None:
        pytest.skip("needs DVC in the venv and git")
    root = tmp_path_factory.mktemp("oracle")
    _git(root, "init", "-q")
    subprocess.run([str(DVC), "init", "-q"], cwd=root, check=True, env=oracle_env())
    (root / "dvc.yaml").write_text("metrics:\n" + "".join(f"  - {name}\n" for name in METRICS))
    _write(root, FIRST)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first")
    _write(root, SECOND)
    _git(root, "rm", "-q", "eval/extra.json")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "second")
    _write(root, WORKSPACE)
    (root / "eval/model.toml").unlink()
    return root


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
