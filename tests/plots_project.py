"""A small DVC project shaped like iterative/example-get-started, for the plots tests and benchmark.

`evaluate.py` (a DVC stage) writes from params.yaml: eval/metrics.json, a ROC curve per split (x fpr, y tpr), a
confusion matrix per split (actual/predicted rows, DVC's `confusion` template), an image plot folder of PNGs, a
dvclive-style folder (not cached) and a one-column CSV. The baseline commit has threshold 0.5; the working tree is
reproduced with threshold 0.7 and left uncommitted, as a CI job leaves it after `dvc repro`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EVALUATE_PY = """\
import base64, json, os, yaml, zlib, struct

t = yaml.safe_load(open("params.yaml"))["evaluate"]["threshold"]
os.makedirs("eval/plots/roc", exist_ok=True)
os.makedirs("eval/plots/cm", exist_ok=True)
os.makedirs("eval/plots/images", exist_ok=True)
json.dump({"auc": round(1 - t / 3, 4), "acc": round(1 - t / 4, 4)}, open("eval/metrics.json", "w"))
for split, bend in (("train", 1.0), ("test", 1.5)):
    roc = [{"fpr": i / 10, "tpr": min(1.0, (i / 10) ** (t / bend)), "threshold": 1 - i / 10} for i in range(11)]
    json.dump({"roc": roc}, open(f"eval/plots/roc/{split}.json", "w"))
# Known confusion matrices: counts depend on the threshold and the split, so every panel differs.
def cm(split, t):
    base = {"train": 10, "test": 3}[split]
    errors = int(t * 10) if split == "train" else int(t * 6)
    rows = []
    for actual in ("cat", "dog"):
        for predicted in ("cat", "dog"):
            count = base + (errors if actual != predicted else 0) + (2 if actual == "dog" else 0)
            rows += [{"actual": actual, "predicted": predicted}] * count
    return rows
for split in ("train", "test"):
    json.dump(cm(split, t), open(f"eval/plots/cm/{split}.json", "w"))

def png(width, height, shade):
    raw = b"".join(b"\\x00" + bytes([shade, 255 - shade, 128]) * width for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open("eval/plots/images/importance.png", "wb").write(png(40, 20, int(t * 200)))
if t > 0.6:  # a new image only the current run has
    open("eval/plots/images/shap.png", "wb").write(png(30, 30, 90))
os.makedirs("dvclive/plots/metrics/train", exist_ok=True)
with open("dvclive/plots/metrics/train/loss.tsv", "w") as f:
    f.write("timestamp\\tstep\\tloss\\n")
    for i in range(8):
        f.write(f"{1700000000 + i}\\t{i}\\t{t / (i + 1):.4f}\\n")
with open("lr.csv", "w") as f:  # one column: DVC draws it against the row index
    f.write("lr\\n" + "".join(f"{t / (i + 1):.4f}\\n" for i in range(6)))
"""

DVC_YAML = """\
stages:
  evaluate:
    cmd: {python} evaluate.py
    deps: [evaluate.py]
    params: [evaluate.threshold]
    outs:
      - eval
    plots:
      - dvclive/plots/metrics:
          cache: false
          x: step
      - lr.csv:
          cache: false
metrics:
  - eval/metrics.json
plots:
  - ROC:
      template: simple
      x: fpr
      y:
        eval/plots/roc/train.json: tpr
        eval/plots/roc/test.json: tpr
  - Confusion-Matrix:
      template: confusion
      x: actual
      y:
        eval/plots/cm/train.json: predicted
        eval/plots/cm/test.json: predicted
  - eval/plots/images
"""

BASELINE_THRESHOLD = 0.5
CURRENT_THRESHOLD = 0.7
ENV = {"DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip


def dvc_command() -> list[str]:
    """`dvc` beside the interpreter or on PATH, else `python -m dvc` (a venv that gets DVC from a .pth file)."""
    from cml_action.dvc.runner import find_dvc

    found = find_dvc()
    return [found] if found else [sys.executable, "-m", "dvc"]


def has_dvc() -> bool:
    import importlib.util

    from cml_action.dvc.runner import find_dvc

    return find_dvc() is not None or importlib.util.find_spec("dvc") is not None


def _run(cwd: Path, *args: str) -> str:
    done = subprocess.run(args, cwd=cwd, env={**os.environ, **ENV}, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout.strip()


def make_project(root: Path) -> tuple[Path, str]:
    """The project in root/repo (baseline committed, current reproduced in the working tree) and the baseline sha."""
    dvc = dvc_command()
    repo, remote = root / "repo", root / "remote"
    repo.mkdir(parents=True)
    remote.mkdir()
    (repo / "evaluate.py").write_text(EVALUATE_PY)
    (repo / "dvc.yaml").write_text(DVC_YAML.format(python=sys.executable))
    _run(repo, "git", "init", "-q", "-b", "main")
    _run(repo, *dvc, "init", "-q")
    _run(repo, *dvc, "remote", "add", "--local", "-d", "local", str(remote))
    (repo / "params.yaml").write_text(f"evaluate:\n  threshold: {BASELINE_THRESHOLD}\n")
    _run(repo, *dvc, "repro", "-q")
    _run(repo, "git", "add", "-A")
    _run(repo, "git", "commit", "-q", "-m", "baseline")
    _run(repo, *dvc, "push", "-q")
    (repo / "params.yaml").write_text(f"evaluate:\n  threshold: {CURRENT_THRESHOLD}\n")
    _run(repo, *dvc, "repro", "-q")
    return repo, _run(repo, "git", "rev-parse", "HEAD")


def dvc_on_path(bin_dir: Path) -> str:
    """A `dvc` shim in bin_dir running `python -m dvc` (for find_dvc when the venv has no dvc script)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "dvc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dvc "$@"\n')
    shim.chmod(0o755)
    return str(bin_dir)


_SHARED: dict[str, tuple[Path, str]] = {}


def copy_project(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:  # fmt: skip
    """A fresh copy of the generated project (built once per process) and its baseline sha; `dvc` is findable."""
    if not has_dvc():
        pytest.skip("DVC is not installed")
    from cml_action.dvc.runner import find_dvc

    if find_dvc() is None:
        monkeypatch.setenv("PATH", dvc_on_path(tmp_path / "bin") + os.pathsep + os.environ.get("PATH", ""))
    if "project" not in _SHARED:
        _SHARED["project"] = make_project(tmp_path_factory.mktemp("plots-project"))
    built, sha = _SHARED["project"]
    copy = tmp_path / "repo"
    shutil.copytree(built, copy, symlinks=True)
    return copy, sha


def capture_specs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every Vega-Lite spec handed to vl-convert from now on (the real renderer still runs)."""
    from cml_action.plots import render

    seen: list[dict[str, Any]] = []
    real = render.vegalite_png

    def capture(spec: Any, *, scale: float = render.DEFAULT_SCALE) -> bytes:
        seen.append(spec)
        return real(spec, scale=scale)

    monkeypatch.setattr(render, "vegalite_png", capture)
    return seen
