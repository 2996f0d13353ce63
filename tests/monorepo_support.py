"""A monorepo shaped like a real one: a DVC project in `services/classifier` (its own `dvc init --subdir`), a
pipeline with params.yaml, a DVC-cached metrics file, a git-tracked summary, a cached model, and a local remote.

Commits: `base` (lr 0.1, epochs 3) then `head` (lr 0.2, epochs 3, new param `dropout`, `seed` removed); the
working tree is head reproduced (what a CI job has after `dvc repro`/`dvc pull`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cml_action.dvc.runner import find_dvc

PROJECT = "services/classifier"

TRAIN_PY = """\
import json, os, yaml
p = yaml.safe_load(open("params.yaml"))
acc = round(0.5 + p["lr"] * 2, 4)
os.makedirs("eval", exist_ok=True)
json.dump({"acc": acc, "loss": round(1 - acc, 4)}, open("eval/metrics.json", "w"))
json.dump({"f1": round(acc - 0.1, 4)}, open("eval/summary.json", "w"))
open("model.pkl", "w").write(f"model lr={p['lr']}")
with open("eval/loss.csv", "w") as f:
    f.write("step,loss\\n" + "".join(f"{i},{round(1 / (1 + i * p['lr']), 4)}\\n" for i in range(10)))
"""

DVC_YAML = """\
plots:
  - Loss:
      x: step
      y:
        eval/loss.csv: loss
stages:
  train:
    cmd: {python} train.py
    deps: [train.py]
    params: [lr, train]
    outs: [model.pkl]
    metrics:
      - eval/metrics.json
      - eval/summary.json:
          cache: false
    plots:
      - eval/loss.csv:
          cache: false
"""

BASE_PARAMS = "lr: 0.1\nseed: 7\ntrain:\n  epochs: 3\n  optimizer: sgd\n"
HEAD_PARAMS = "lr: 0.2\ntrain:\n  epochs: 3\n  optimizer: adam\n  dropout: 0.5\n"


@dataclass(frozen=True)
class Monorepo:
    root: Path  # the git checkout (the CI workspace)
    base: str
    head: str

    @property
    def project(self) -> Path:
        return self.root / PROJECT


def _run(cwd: Path, *args: str) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout.strip()


def make_monorepo(where: Path, *, subdir_dvc: bool = True) -> Monorepo:
    """Build the monorepo; `subdir_dvc=False` puts DVC's `.dvc` at the repository root instead."""
    dvc = find_dvc()
    assert dvc is not None
    root = where / "mono"
    project = root / PROJECT
    project.mkdir(parents=True)
    (root / "README.md").write_text("# services\n")
    (project / "train.py").write_text(TRAIN_PY)
    (project / "dvc.yaml").write_text(DVC_YAML.format(python=sys.executable))
    _run(root, "git", "init", "-q", "-b", "main")
    if subdir_dvc:
        _run(project, dvc, "init", "-q", "--subdir")
    else:
        _run(root, dvc, "init", "-q")
    shas = []
    for params in (BASE_PARAMS, HEAD_PARAMS):
        (project / "params.yaml").write_text(params)
        _run(project, dvc, "repro", "-q")
        _run(root, "git", "add", "-A")
        _run(root, "git", "commit", "-q", "-m", params.splitlines()[0])
        shas.append(_run(root, "git", "rev-parse", "HEAD"))
    return Monorepo(root, shas[0], shas[1])
