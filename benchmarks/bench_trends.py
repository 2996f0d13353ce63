"""Benchmark: the metrics table with the Trend column (docs/store.md, "Trends") vs without it.

200 metrics, the default branch's index holding 20 stored runs (and, second, the default `history` of 100). Prints
the median time to decode the index (JSON + validation: the store's one read per run, which baselines share),
then the table without trends and with them (trends built from the decoded index, cells, the table rendered),
their ratio, and what the trends add against the target (at most 50 ms per run).

    .venv/bin/python benchmarks/bench_trends.py [--metrics 200] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cml_action.report.diff import MetricsDiff, diff_metrics  # noqa: E402
from cml_action.report.table import ExtraColumn, render_metrics_section  # noqa: E402
from cml_action.report.trends import build_trends, trend_cells, trend_header  # noqa: E402
from cml_action.store.model import IndexEntry, index_from_json, index_to_json  # noqa: E402

TARGET_EXTRA_SECONDS = 0.05
FILE = "eval/metrics.json"
HEAD = "f" * 40


def metrics(count: int, rng: random.Random) -> dict[str, float]:
    return {f"group_{n // 20}.metric_{n % 20}": round(rng.random(), 6) for n in range(count)}


def index_bytes(count: int, runs: int) -> bytes:
    rng = random.Random(1)
    entries = [IndexEntry(f"{n:040x}", f"2026-12-01T00:00:{n % 60:02d}Z", str(n), "", {FILE: metrics(count, rng)})
               for n in range(1, runs + 1)]  # fmt: skip
    return json.dumps(index_to_json(entries)).encode("utf-8")


def table(diff: MetricsDiff) -> str:
    return render_metrics_section(diff, precision=5, show_all=True)


def decode(raw_index: bytes) -> list[IndexEntry]:
    """What the store's one read of the index costs after the request: JSON, then validation."""
    return index_from_json(json.loads(raw_index))


def table_with_trends(diff: MetricsDiff, entries: list[IndexEntry]) -> str:
    current = {row.key: row.new for row in diff.rows}
    trends = build_trends("main", entries, current, HEAD)
    column = ExtraColumn(trend_header("main"), trend_cells(trends, current, 5))
    return render_metrics_section(diff, precision=5, show_all=True, extra=[column])


def median_seconds(work: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(2)
    diff = diff_metrics({FILE: metrics(args.metrics, rng)}, {FILE: metrics(args.metrics, rng)})
    plain = median_seconds(lambda: table(diff), args.runs)
    worst = 0.0
    for stored in (20, 100):
        raw = index_bytes(args.metrics, stored)
        entries = decode(raw)
        decoding = median_seconds(lambda raw=raw: decode(raw), args.runs)  # type: ignore[misc]
        with_trends = median_seconds(lambda entries=entries: table_with_trends(diff, entries), args.runs)  # type: ignore[misc]
        extra = with_trends - plain
        worst = max(worst, extra)
        print(f"trends: {args.metrics} metrics, index of {stored} stored runs ({len(raw) / 1e3:.0f} kB, decoded "
              f"in {decoding * 1e3:.1f} ms: the store's one read, shared with baselines)")  # fmt: skip
        print(f"  table without trends {plain * 1e3:.2f} ms, with trends {with_trends * 1e3:.2f} ms "
              f"(ratio {with_trends / plain:.1f}); trends add {extra * 1e3:.2f} ms "
              f"(target {TARGET_EXTRA_SECONDS * 1e3:.0f} ms, ratio {extra / TARGET_EXTRA_SECONDS:.2f})")  # fmt: skip
    return 0 if worst <= TARGET_EXTRA_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
