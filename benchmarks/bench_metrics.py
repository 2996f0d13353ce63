"""Benchmark: read + diff + render 100 000 metrics (two versions of a nested JSON file).

Targets (issue 2): <= 2 s and <= 300 MB peak RSS. Prints the median of 5 runs, the peak RSS of a fresh process
doing one run, and the ratio of each to its target (< 1.0 is within target).

    .venv/bin/python benchmarks/bench_metrics.py [--metrics 100000] [--runs 5]

`build_small_repo()` builds the small git+DVC repo the lead's `cml metrics diff` vs `dvc metrics diff`
comparison runs on.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cml_action.report.diff import diff_metrics
from cml_action.report.readers import read_metrics
from cml_action.report.table import render_metrics_json, render_metrics_table

TARGET_SECONDS = 2.0
TARGET_RSS_MB = 300.0


def nested_metrics(count: int, seed: int, *, fanout: int = 20) -> dict[str, object]:
    """`count` float leaves under three levels of nesting: {"group_i": {"sub_j": {"metric_k": x}}}."""
    rng = random.Random(seed)
    tree: dict[str, object] = {}
    for index in range(count):
        group = tree.setdefault(f"group_{index // (fanout * fanout)}", {})
        sub = group.setdefault(f"sub_{(index // fanout) % fanout}", {})  # type: ignore[attr-defined]
        sub[f"metric_{index % fanout}"] = round(rng.random(), 6)
    return tree


def bench_texts(count: int) -> tuple[str, str]:
    baseline = nested_metrics(count, seed=1)
    current = nested_metrics(count, seed=1)
    # Change every other metric so the table really has ~count/2 rows.
    rng = random.Random(2)
    for group in current.values():
        for sub in group.values():  # type: ignore[attr-defined]
            for name in list(sub)[::2]:
                sub[name] = round(sub[name] + rng.uniform(-0.1, 0.1), 6)
    return json.dumps(baseline), json.dumps(current)


def one_run(baseline_text: str, current_text: str) -> int:
    """read + diff + render (markdown and JSON); returns the table's size so nothing is optimised away."""
    baseline = {"eval/metrics.json": read_metrics("eval/metrics.json", baseline_text)}
    current = {"eval/metrics.json": read_metrics("eval/metrics.json", current_text)}
    diff = diff_metrics(baseline, current)
    table = render_metrics_table(diff, precision=5, show_all=False)
    return len(table) + len(render_metrics_json(diff))


def peak_rss_mb(count: int) -> float:
    """Peak RSS of a fresh interpreter that builds the texts and does one run (what a CI step would see)."""
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]); import bench_metrics as b;"
        f"texts = b.bench_texts({count}); b.one_run(*texts);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip()) / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    baseline_text, current_text = bench_texts(args.metrics)
    timings, cpu_timings = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        size = one_run(baseline_text, current_text)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    median = statistics.median(timings)
    cpu_median = statistics.median(cpu_timings)
    rss = peak_rss_mb(args.metrics)
    print(f"metrics diff: {args.metrics} metrics, 2 nested JSON files ({len(baseline_text) / 1e6:.1f} MB each)")
    print(f"  read+diff+render median of {args.runs}: {median:.3f} s (target {TARGET_SECONDS} s, "
          f"ratio {median / TARGET_SECONDS:.2f}); CPU time {cpu_median:.3f} s "
          f"(ratio {cpu_median / TARGET_SECONDS:.2f}; differs from wall time on a busy machine)")  # fmt: skip
    print(f"  peak RSS (fresh process, one run): {rss:.0f} MB (target {TARGET_RSS_MB:.0f} MB, "
          f"ratio {rss / TARGET_RSS_MB:.2f})")  # fmt: skip
    print(f"  output size: {size / 1e6:.1f} MB; own process max RSS {_self_rss_mb():.0f} MB")
    return 0 if median <= TARGET_SECONDS and rss <= TARGET_RSS_MB else 1


def _self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SMALL_REPO_FILES = {
    "eval/metrics.json": ({"acc": 0.9, "test": {"roc_auc": 0.91, "avg_prec": {"macro": 0.8}}, "epochs": 10},
                          {"acc": 0.93, "test": {"roc_auc": 0.9, "avg_prec": {"macro": 0.82}}, "epochs": 12}),
    "eval/train.yaml": ("train:\n  loss: 0.3\n  lr: 1e-3\n", "train:\n  loss: 0.25\n  lr: 5e-4\n"),
    "eval/model.toml": ("[model]\nsize = 12\n", "[model]\nsize = 14\n"),
}  # fmt: skip


def build_small_repo(root: Path) -> tuple[str, ...]:
    """A git repo with `dvc init`, a `dvc.yaml` declaring three metrics files (JSON/YAML/TOML), one commit, and
    changed metrics in the working tree. Returns the metrics paths. Needs git and DVC (`.venv/bin/dvc`)."""
    root.mkdir(parents=True, exist_ok=True)
    env = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "b@example.com", "DVC_NO_ANALYTICS": "1", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run([str(Path(sys.executable).with_name("dvc")), "init", "-q"], cwd=root, check=True, env=env)
    paths = tuple(SMALL_REPO_FILES)
    (root / "dvc.yaml").write_text("metrics:\n" + "".join(f"  - {path}\n" for path in paths))
    for side in (0, 1):
        for path, versions in SMALL_REPO_FILES.items():
            value = versions[side]
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(value if isinstance(value, str) else json.dumps(value))
        if side == 0:
            subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
            subprocess.run(["git", "commit", "-qm", "baseline"], cwd=root, check=True, env=env)
    return paths


if __name__ == "__main__":
    sys.exit(main())
