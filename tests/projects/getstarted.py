"""A test project shaped like iterative/example-get-started, as a git repository with a local DVC remote.

Layout of a built template (a temporary folder per process):

    origin/   the developer's repository: baseline commit, then a head commit that changes params (and so the
              metrics, plots, model); every DVC output of both commits is in its cache and pushed to remote/
    remote/   the DVC remote (a folder, `dvc remote add -d` with its absolute path, as s3://... would be: DVC
              resolves a relative URL in a past commit's config from the root of the git tree, not the folder)
    ws-*/     the job's clone in each State, made on first use; tests get copies (checkout())

The project (`dvc.yaml`, `params.yaml`, `src/`, `data/`) sits at the repository root or in a subfolder
(`services/classifier`, a monorepo). Like the real project, the whole `eval/` folder is a DVC output: a job that
did not `dvc pull` has no metrics or plots at all. `training/loss.csv` (one column, like dvclive's logs) is an
uncached output, so it is in git.

Building runs the real pipeline (`dvc repro`) twice: 10-40 s on a busy 2-core machine, so `template()` builds once
per process and `checkout()` gives each test its own copy in the state it asks for. `fail_evaluation()` and
`lose_remote()` then break a copy the way a failed training or a remote the job cannot reach would.

Facts about DVC 3 these states rely on: `dvc metrics diff` / `plots diff` read an output missing from the workspace
and the cache from the remote (so a fresh clone still shows the committed metrics of both sides), and
`.dvc/config.local` overrides the remote of past commits too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from tests.gitutil import GIT_ENV, git, init_repo
from tests.projects.stages import SOURCES

MONOREPO_DIR = "services/classifier"

PARAMS_BASE = """\
prepare:
  split: 0.25
  seed: 20170428

featurize:
  max_features: 6
  ngrams: 1

train:
  seed: 20170428
  n_est: 40
  lr: 0.5
"""
# The typical PR of a DVC project: new hyper-parameters, so new metrics, plots and model.
PARAMS_HEAD = PARAMS_BASE.replace("ngrams: 1", "ngrams: 2").replace("n_est: 40", "n_est: 80")

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/data.csv
    deps:
    - data/data.csv
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd: python src/featurize.py
    deps:
    - data/prepared
    - src/featurize.py
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    cmd: python src/train.py
    deps:
    - data/features
    - src/train.py
    params:
    - train.seed
    - train.n_est
    - train.lr
    outs:
    - model.pkl
    - training/loss.csv:
        cache: false
  evaluate:
    cmd: python src/evaluate.py
    deps:
    - data/features
    - model.pkl
    - src/evaluate.py
    outs:
    - eval
metrics:
- eval/metrics.json
plots:
- ROC:
    template: simple
    x: fpr
    y:
      eval/plots/sklearn/roc/train.json: tpr
      eval/plots/sklearn/roc/test.json: tpr
- Confusion-Matrix:
    template: confusion
    x: actual
    y:
      eval/plots/sklearn/cm/train.json: predicted
      eval/plots/sklearn/cm/test.json: predicted
- Precision-Recall:
    template: simple
    x: recall
    y:
      eval/plots/sklearn/prc/train.json: precision
      eval/plots/sklearn/prc/test.json: precision
- eval/plots/images/importance.png
- training/loss.csv
"""

# Paths inside the project (prefix with Project.prefix for repository paths).
METRICS_FILE = "eval/metrics.json"
IMAGE_PLOT = "eval/plots/images/importance.png"
LOSS_CSV = "training/loss.csv"
PLOT_IDS = ("ROC", "Confusion-Matrix", "Precision-Recall")


class State(Enum):
    """What the CI job did before the action ran."""

    PULLED = "pulled"  # git clone + dvc pull: the head's outputs are in the workspace (the baseline's: remote)
    FRESH = "fresh"  # git clone only: DVC outputs absent, cache empty
    SHALLOW = "shallow"  # git clone --depth 1 + dvc pull: the baseline commit is not in the clone


@dataclass(frozen=True)
class Project:
    workspace: Path  # the job's clone (the git repository root)
    remote: Path
    subdir: str  # "" or MONOREPO_DIR
    base: str
    head: str

    @property
    def prefix(self) -> str:
        return f"{self.subdir}/" if self.subdir else ""

    @property
    def project(self) -> Path:
        """The DVC project folder (where dvc.yaml is)."""
        return self.workspace / self.subdir if self.subdir else self.workspace

    def path(self, inside_project: str) -> str:
        """A repository-relative path for a path inside the project."""
        return self.prefix + inside_project


def dvc_available() -> bool:
    """DVC is installed (its executable, or its package for the shim below)."""
    import importlib.util

    return shutil.which("dvc") is not None or importlib.util.find_spec("dvc") is not None


def tool_path() -> str:
    """PATH with `python` (this interpreter, which has PyYAML and Pillow) and a `dvc` executable first."""
    return os.pathsep.join([str(dvc_bin_dir()), str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@cache
def dvc_bin_dir() -> Path:
    """A folder with a `dvc` executable: the one installed beside this interpreter or on PATH, else a shim that
    runs DVC's CLI with this interpreter (a venv that sees DVC's package through a .pth has no `dvc` script)."""
    for found in (Path(sys.executable).parent / "dvc", shutil.which("dvc")):
        if found and Path(found).is_file():
            return Path(found).parent
    folder = Path(tempfile.mkdtemp(prefix="dvc-bin-"))
    atexit.register(shutil.rmtree, folder, True)
    shim = folder / "dvc"
    shim.write_text(f"#!{sys.executable}\nimport sys\nfrom dvc.cli import main\nsys.exit(main())\n", encoding="utf-8")
    shim.chmod(0o755)
    return folder


def run_dvc(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "PATH": tool_path(), "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(["dvc", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def dataset(rows: int = 240) -> str:
    """A deterministic labelled dataset: four noisy numeric columns, the label depends on two of them."""
    import random

    rng = random.Random(7)
    lines = ["id,length,tags,code,links,label"]
    for index in range(rows):
        length, tags, code, links = (rng.randint(0, 100) for _ in range(4))
        label = int(length * 0.6 + code * 0.8 + rng.gauss(0, 25) > 70)
        lines.append(f"{index},{length},{tags},{code},{links},{label}")
    return "\n".join(lines) + "\n"


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def build(folder: Path, subdir: str = "") -> None:
    """Build origin/ and remote/ in `folder` (see the module docstring)."""
    repo = init_repo(folder / "origin")
    (folder / "remote").mkdir()
    project = repo / subdir if subdir else repo
    if subdir:
        _write(repo, {"README.md": "# Services\n\nThe classifier lives in services/classifier.\n"})
    _write(project, {**SOURCES, "params.yaml": PARAMS_BASE, "dvc.yaml": DVC_YAML, "data/data.csv": dataset()})
    run_dvc(project, "init", "-q", *(["--subdir"] if subdir else []))
    # Absolute, like s3://…: DVC resolves a relative URL of a past commit's config from the git tree root.
    run_dvc(project, "remote", "add", "-d", "storage", str(folder / "remote"))
    run_dvc(project, "config", "core.autostage", "true")
    run_dvc(project, "add", "-q", "data/data.csv")
    run_dvc(project, "repro", "-q")
    _commit(repo, "Baseline: logistic regression on raw columns")
    run_dvc(project, "push", "-q")
    _write(project, {"params.yaml": PARAMS_HEAD})
    run_dvc(project, "repro", "-q")
    _commit(repo, "Try pairwise features and more epochs")
    run_dvc(project, "push", "-q")


@cache
def template(subdir: str = "") -> Path:
    """A built project (origin/ + remote/), once per process; removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="getstarted-"))
    atexit.register(shutil.rmtree, folder, True)
    build(folder, subdir)
    return folder


@cache
def _prepared(subdir: str, state: State) -> Path:
    """The job's clone in a state, once per process (tests get copies: cloning and pulling take seconds)."""
    folder = template(subdir)
    ws = folder / f"ws-{state.value}"
    depth = ["--depth", "1"] if state is State.SHALLOW else []
    subprocess.run(["git", "clone", "-q", *depth, f"file://{folder / 'origin'}", str(ws)], check=True,
                   capture_output=True)  # fmt: skip
    if state is not State.FRESH:
        run_dvc(ws / subdir if subdir else ws, "pull", "-q")
    return ws


def checkout(dest: Path, state: State = State.PULLED, subdir: str = "") -> Project:
    """The job's clone in `dest` (a copy; the DVC remote is the template's, shared and only read)."""
    folder = template(subdir)
    shutil.copytree(_prepared(subdir, state), dest, symlinks=True)
    origin = folder / "origin"
    return Project(
        dest, folder / "remote", subdir, git(origin, "rev-parse", "HEAD~1"), git(origin, "rev-parse", "HEAD")
    )


def fail_evaluation(project: Project) -> None:
    """The job's run of the pipeline failed before `evaluate` finished: no eval/metrics.json in the workspace and
    no record of the stage in the working tree's dvc.lock (so DVC cannot find the head's metrics in its cache
    either). The baseline's metrics are still in the remote."""
    import yaml

    (project.project / METRICS_FILE).unlink()
    lock_file = project.project / "dvc.lock"
    lock = yaml.safe_load(lock_file.read_text(encoding="utf-8"))
    del lock["stages"]["evaluate"]
    lock_file.write_text(yaml.safe_dump(lock, sort_keys=False), encoding="utf-8")


def lose_remote(project: Project) -> None:
    """The job can no longer reach the DVC remote (its credentials only allowed the `dvc pull` of the head, say):
    the baseline's outputs are in neither the cache nor any reachable remote."""
    nowhere = project.workspace.parent / "unreachable-remote"
    run_dvc(project.project, "remote", "modify", "--local", "storage", "url", str(nowhere))
