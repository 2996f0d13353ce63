"""What the DVC oracle tests share: DVC itself, a metrics project at two commits plus a working tree, and the params
files of both sides."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.dvc_support import oracle_env

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
def metrics_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
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


DVC_YAML = """\
params:
  - conf.toml
stages:
  train:
    cmd: echo train
    params:
      - lr
      - train
      - config.json:
          - model
      - hp.py:
"""

BASE = {
    "dvc.yaml": DVC_YAML,
    "params.yaml": "lr: 0.1\nseed: 7\ngone: 1\ntrain:\n  epochs: 3\n  optimizer: sgd\n  layers: [64, 32]\n"
    "  schedule:\n    warmup: 100\n",
    "config.json": '{"model": {"name": "resnet", "depth": 18, "tags": ["a"]}, "untracked": 1}',
    "conf.toml": '[data]\nsplit = 0.2\nname = "a"\nratio = 1e-3\n',
    "hp.py": "BATCH = 32\nLR = 1e-3\nNAMES = ('a', 'b')\n\nclass Train:\n    epochs = 3\n\n"
    "    def __init__(self):\n        self.momentum = 0.9\n",
}
WORKING_TREE = {
    "params.yaml": "lr: 0.2\nseed: 7\ntrain:\n  epochs: 3\n  optimizer: adam\n  layers: [64, 64]\n  dropout: 0.5\n"
    "  schedule:\n    warmup: 100\n  flag: yes\nnew_top: true\n",
    "config.json": '{"model": {"name": "vit", "depth": 18, "tags": ["a", "b"]}, "untracked": 2}',
    "conf.toml": '[data]\nsplit = 0.25\nname = "a"\nratio = 2e-3\n',
    "hp.py": "BATCH = 64\nLR = 1e-3\nNAMES = ('a', 'c')\n\nclass Train:\n    epochs = 4\n\n"
    "    def __init__(self):\n        self.momentum = 0.9\n",
}
