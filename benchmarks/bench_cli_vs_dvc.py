"""`cml metrics diff` vs `dvc metrics diff` on the same small repo: wall time ratio (target >= 5x), same values."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gitutil import commit_files, git, init_repo  # noqa: E402

RUNS = 7
BIN = Path(sys.executable).parent


def _repo(base: Path) -> Path:
    repo = init_repo(base / "repo")
    metrics = {"train": {"loss": 0.5, "acc": 0.8}, "test": {"loss": 0.6, "acc": 0.75, "auc": 0.81}}
    commit_files(repo, {"metrics.json": json.dumps(metrics), "dvc.yaml": "metrics:\n- metrics.json\n"})
    subprocess.run([str(BIN / "dvc"), "init", "-q"], cwd=repo, check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "dvc init")
    metrics["test"]["acc"] = 0.79
    (repo / "metrics.json").write_text(json.dumps(metrics))
    return repo


def _time(cmd: list[str], cwd: Path) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(RUNS):
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    if not (BIN / "dvc").exists():
        print("dvc is not installed in this environment: skipped")
        return
    base = Path(tempfile.mkdtemp())
    try:
        repo = _repo(base)
        cml_time, cml_out = _time([str(BIN / "cml"), "metrics", "diff", "--json"], repo)
        dvc_time, dvc_out = _time([str(BIN / "dvc"), "metrics", "diff", "--json"], repo)
    finally:
        shutil.rmtree(base)
    same = json.loads(cml_out) == json.loads(dvc_out)
    ratio = dvc_time / cml_time
    print(f"cml metrics diff: {cml_time * 1000:.0f} ms median of {RUNS}")
    print(f"dvc metrics diff: {dvc_time * 1000:.0f} ms median of {RUNS}")
    print(f"ratio: {ratio:.1f}x faster (target >= 5x: {'met' if ratio >= 5 else 'NOT met'}); identical values: {same}")


if __name__ == "__main__":
    main()
