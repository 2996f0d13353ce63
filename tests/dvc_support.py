"""The generated DVC project the DVC tests share (one per test process), and the `needs_dvc` mark."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cml_action.dvc.runner import find_dvc

TRAIN_PY = """\
import json, os, yaml
v = yaml.safe_load(open("params.yaml"))["v"]
os.makedirs("eval", exist_ok=True)
json.dump({"acc": v, "loss": round(1 - v, 4), "nested": {"auc": v / 2}}, open("eval/metrics.json", "w"))
json.dump({"f1": v}, open("summary.json", "w"))
with open("eval/loss.csv", "w") as f:
    f.write("step,loss,acc\\n")
    for i in range(20):
        f.write(f"{i},{v / (i + 1)},{v * i / 20}\\n")
rows = [{"epoch": i, "auc": v * i / 4, "gap": float("nan")} for i in range(5)]
rows[2]["auc"] = float("inf")  # json.dump writes a bare Infinity, and DVC passes it on
json.dump(rows, open("eval/cached.json", "w"))
open("data.txt", "w").write(str(v))
"""

DVC_YAML = """\
metrics:
  - summary.json
plots:
  - Accuracy:
      x: step
      y:
        eval/loss.csv: acc
stages:
  train:
    cmd: {python} train.py
    deps: [train.py]
    params: [v]
    outs: [data.txt]
    metrics:
      - eval/metrics.json
    plots:
      - eval/loss.csv:
          cache: false
          x: step
          y: loss
      - eval/cached.json:
          x: epoch
          y: auc
"""


def run(cwd: Path, *args: str) -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr}"


def make_dvc_project(root: Path) -> Path:
    """git + dvc init, a pipeline with metrics and plots, a local remote; commits v=0.5 then v=0.7, and leaves the
    working tree at v=0.8 (reproduced, uncommitted): baseline HEAD~1 is 0.5, HEAD is 0.7, current is 0.8."""
    dvc = find_dvc()
    assert dvc is not None
    repo, remote = root / "repo", root / "remote"
    repo.mkdir()
    remote.mkdir()
    (repo / "train.py").write_text(TRAIN_PY)
    (repo / "dvc.yaml").write_text(DVC_YAML.format(python=sys.executable))
    run(repo, "git", "init", "-q", "-b", "main")
    run(repo, dvc, "init", "-q")
    # In config.local (not committed): DVC reads an old revision's committed .dvc/config, so a committed remote
    # could not be taken away from the copy that `without_cache` makes.
    run(repo, dvc, "remote", "add", "--local", "-d", "local", str(remote))
    for value, commit in (("0.5", True), ("0.7", True), ("0.8", False)):
        (repo / "params.yaml").write_text(f"v: {value}\n")
        run(repo, dvc, "repro", "-q")
        if commit:
            run(repo, "git", "add", "-A")
            run(repo, "git", "commit", "-q", "-m", f"v={value}")
    run(repo, dvc, "push", "-q", "--all-commits")
    return repo


def without_cache(repo: Path, dest: Path) -> Path:
    """A copy of the project whose DVC cache is empty and whose remote does not exist (a CI job without pull)."""
    copy = dest / "nocache"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("cache", "tmp"))
    config = copy / ".dvc" / "config.local"
    config.write_text(config.read_text().replace(str(repo.parent / "remote"), str(dest / "no-such-remote")))
    return copy


_SHARED: dict[str, Path] = {}


def shared_dvc_project(factory: pytest.TempPathFactory) -> Path:
    """One generated project per test process (DVC takes seconds to start); tests must not modify it."""
    if "repo" not in _SHARED:
        _SHARED["repo"] = make_dvc_project(factory.mktemp("dvc-project"))
    return _SHARED["repo"]


needs_dvc = pytest.mark.skipif(find_dvc() is None, reason="DVC is not installed")


def oracle_env() -> dict[str, str]:
    """DVC run as the oracle of a test: no analytics, its site cache outside the home folder."""
    return {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_SITE_CACHE_DIR": "/tmp/cml-action-dvc-site"}
