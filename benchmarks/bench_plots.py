"""Plots: render one chart (two series × 1 000 points, plus their baselines) — first and warm times — and check
that `import cml_action.plots` does not import vl_convert (rendering is loaded only when a chart is drawn).

Then, on a project shaped like example-get-started (tests/plots_project.py), 3 DVC plots (ROC, confusion matrix,
image folder): one `dvc plots diff --json` call per plot (the old way) against one call for all three (the new
way), and the whole `draw_plots` of the three (DVC call, spec fixes, rendering). Target: one call, i.e. the new
way at most 1/3 of the old plus DVC's start-up once."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POINTS = 1000
WARM_RUNS = 5
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@e", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@e"}  # fmt: skip


def _csv(scale: float) -> str:
    rows = (f"{i},{scale / (i + 1)},{scale * i / POINTS}\n" for i in range(POINTS))
    return "step,loss,acc\n" + "".join(rows)


def _workspace(base: Path) -> Path:
    ws = base / "ws"
    ws.mkdir()
    (ws / "train.csv").write_text(_csv(1.0))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "baseline"]):
        subprocess.run(["git", *args], cwd=ws, env=GIT_ENV, check=True, capture_output=True)
    (ws / "train.csv").write_text(_csv(0.8))
    return ws


def _import_check() -> tuple[bool, float, float]:
    """(vl_convert imported?, ms for `import cml_action`, ms for `import cml_action.plots`) in fresh processes."""
    probe = "import sys, time; t = time.perf_counter(); import {mod}; print((time.perf_counter() - t) * 1000, 'vl_convert' in sys.modules)"  # noqa: E501

    def run(mod: str) -> tuple[float, bool]:
        samples = []
        loaded = False
        for _ in range(5):
            out = subprocess.run([sys.executable, "-c", probe.format(mod=mod)], capture_output=True, text=True,
                                 check=True, cwd=ROOT).stdout.split()  # fmt: skip
            samples.append(float(out[0]))
            loaded = loaded or out[1] == "True"
        return statistics.median(samples), loaded

    base_ms, _ = run("cml_action")
    plots_ms, loaded = run("cml_action.plots")
    return loaded, base_ms, plots_ms


def main() -> None:
    loaded, base_ms, plots_ms = _import_check()
    print(f"import cml_action: {base_ms:.1f} ms; import cml_action.plots: {plots_ms:.1f} ms (median of 5)")
    print(f"import cml_action.plots loads vl_convert: {loaded} (target: False: {'met' if not loaded else 'NOT met'})")

    from cml_action.plots import render_plots

    base = Path(tempfile.mkdtemp(prefix="bench-plots-"))
    try:
        ws = _workspace(base)
        start = time.perf_counter()
        (plot,) = render_plots(ws, ["train.csv"], "HEAD", base / "out-first")
        first = time.perf_counter() - start
        warm = []
        for run in range(WARM_RUNS):
            start = time.perf_counter()
            render_plots(ws, ["train.csv"], "HEAD", base / f"out-{run}")
            warm.append(time.perf_counter() - start)
        size = plot.path.stat().st_size
    finally:
        shutil.rmtree(base)
    print(f"render one plot (2 series x {POINTS} points + baselines, scale 2): first {first * 1000:.0f} ms "
          f"(includes vl-convert start-up), warm {statistics.median(warm) * 1000:.0f} ms median of {WARM_RUNS}; "
          f"PNG {size / 1024:.0f} KiB")  # fmt: skip


DVC_PLOTS = ("ROC", "Confusion-Matrix", "eval/plots/images")
DVC_RUNS = 3


def _dvc_ways() -> None:
    from cml_action.dvc.runner import find_dvc
    from cml_action.plots import draw_plots
    from cml_action.plots.dvc_batch import ask_dvc
    from tests.plots_project import dvc_on_path, has_dvc, make_project

    if not has_dvc():
        print("DVC plots: skipped (DVC is not installed)")
        return
    base = Path(tempfile.mkdtemp(prefix="bench-dvc-plots-"))
    try:
        if find_dvc() is None:  # a venv that gets DVC from a .pth file has no `dvc` script
            os.environ["PATH"] = dvc_on_path(base / "bin") + os.pathsep + os.environ.get("PATH", "")
        repo, sha = make_project(base / "project")
        old, new, full = [], [], []
        for run in range(DVC_RUNS):
            start = time.perf_counter()
            for index, target in enumerate(DVC_PLOTS):
                assert ask_dvc(repo, [target], sha, base / f"old-{run}-{index}").keys_for(target)
            old.append(time.perf_counter() - start)
            start = time.perf_counter()
            answer = ask_dvc(repo, list(DVC_PLOTS), sha, base / f"new-{run}")
            new.append(time.perf_counter() - start)
            assert all(answer.keys_for(target) for target in DVC_PLOTS)
            start = time.perf_counter()
            drawn = draw_plots(repo, DVC_PLOTS, sha, base / f"draw-{run}")
            full.append(time.perf_counter() - start)
            assert len(drawn.charts) == 2 and len(drawn.images) == 2 and not drawn.notes
    finally:
        shutil.rmtree(base)
    old_s, new_s, full_s = (statistics.median(times) for times in (old, new, full))
    print(f"3 DVC plots, DVC calls only (median of {DVC_RUNS}): one call per plot {old_s:.2f} s, one call for all "
          f"{new_s:.2f} s; new/old ratio {new_s / old_s:.2f} (speed-up x{old_s / new_s:.1f})")  # fmt: skip
    print(f"3 DVC plots, whole draw_plots (one DVC call + specs + 2 charts rendered + 2 image pairs): "
          f"{full_s:.2f} s median of {DVC_RUNS}")  # fmt: skip


if __name__ == "__main__":
    main()
    _dvc_ways()
