"""Trends through a whole run (`pipeline.run`, local forge): 25 recorded runs of main in the store give the
metrics table its sparklines and `trend-plots` a published chart; without a store the report says why.

The store is the reference in-memory branch (`MemoryBranch`), filled through `ResultStore.record` as real runs
fill it; the forge backends are tested on their own (docs/store.md)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cml_action import pipeline
from cml_action.context import RunContext
from cml_action.inputs import Settings
from cml_action.plots import render
from cml_action.store import layout
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from cml_action.store.session import RunStore
from tests.gitutil import commit_files, init_repo

KEY = "cml/report"
COMMITTED = {"acc": 0.85, "loss": 0.3, "model": "a"}
MEASURED = {"acc": 0.87, "loss": 0.3, "model": "b", "f1": 0.5}  # this run's metrics.json (not committed)


def stored_sha(number: int) -> str:
    return f"{number:02x}" + "c" * 38


def stored_acc(number: int) -> float:
    return round(0.8 + (number % 8) / 100, 2)  # 0.80 .. 0.87, round and round


def record_main_runs(store: ResultStore, count: int, *, also: tuple[str, float] | None = None) -> None:
    for number in range(1, count + 1):
        metrics = {"metrics.json": {"acc": stored_acc(number), "loss": 0.3, "model": "x"}}
        store.record(StoredRun(KEY, stored_sha(number), f"2026-12-01T00:{number:02d}:00Z", branch="main",
                               event="push", run_id=str(number), metrics=metrics), "main")  # fmt: skip
    if also is not None:  # a run of this very commit, recorded already (a re-run of the push)
        sha, acc = also
        store.record(StoredRun(KEY, sha, "2026-12-01T01:00:00Z", branch="main", event="push",
                               metrics={"metrics.json": {"acc": acc, "loss": 0.3}}), "main")  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = init_repo(tmp_path / "repo")
    head = commit_files(root, {"metrics.json": json.dumps(COMMITTED)}, "train")
    (root / "metrics.json").write_text(json.dumps(MEASURED), encoding="utf-8")  # computed in CI
    return root, head


def run_report(repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: RunStore | None,
               **settings: Any) -> tuple[str, list[dict[str, Any]], Path]:  # fmt: skip
    """One push to main: the report's markdown, the specs rendered (captured before rendering), the output."""
    root, head = repo
    monkeypatch.setattr(pipeline, "open_store", lambda settings, ctx, forge: store)
    specs: list[dict[str, Any]] = []
    real_render = render.vegalite_png

    def capture(spec: dict[str, Any], *, scale: float = render.DEFAULT_SCALE) -> bytes:
        specs.append(spec)
        return real_render(spec, scale=scale)

    monkeypatch.setattr(render, "vegalite_png", capture)
    ctx = RunContext(forge="local", workspace=root, head_sha=head, event="push", baseline_candidates=("HEAD",),
                     branch="main", default_branch="main")  # fmt: skip
    out = tmp_path / "out"
    options = replace(pipeline.forge_options(Settings(), ctx), output_dir=out, write_interval=0.0)
    wanted = Settings(metrics=("metrics.json",), metrics_all=True, forge="local", **settings)
    outcome = pipeline.run(wanted, ctx, options=options)
    assert outcome.exit_code == 0, outcome.failures
    return (out / "report.md").read_text(encoding="utf-8"), specs, out


def memory_store(runs: int = 25, **kwargs: Any) -> RunStore:
    results = ResultStore(MemoryBranch())
    record_main_runs(results, runs, **kwargs)
    return RunStore(results, KEY, "main", "main")


def table(report: str) -> dict[str, list[str]]:
    """The metrics table's rows by metric name: the cells (split on unescaped pipes, stripped)."""
    lines = [line for line in report.splitlines() if line.startswith("| metrics.json")]
    rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    return {row[1]: row for row in rows}


def header(report: str) -> list[str]:
    line = next(line for line in report.splitlines() if line.startswith("| Path"))
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_25_recorded_main_runs_give_each_metric_its_sparkline(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, specs, _ = run_report(repo, tmp_path, monkeypatch, memory_store())
    assert header(report) == ["Path", "Metric", repo[1][:7], "current", "Change", "Trend on main"]
    rows = table(report)
    # The last 19 stored runs (7 .. 25: acc 0.87, 0.80, 0.81 ...) and this run's 0.87, marked.
    assert rows["acc"][-1] == "█▁▂▃▄▅▆▇█▁▂▃▄▅▆▇█▁▂█◂ 0.8 – 0.87"
    assert rows["loss"][-1] == "▄" * 20 + "◂ 0.3 – 0.3"  # constant: a flat line
    assert rows["model"][-1] == ""  # a string has no trend
    assert rows["f1"][-1] == ""  # new in this run: one point is no trend
    assert specs == []  # no trend-plots asked: nothing rendered


def test_a_rerun_of_a_recorded_push_counts_this_commit_once(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = memory_store(runs=3, also=(repo[1], 0.1))  # this commit recorded with another value
    report, _, _ = run_report(repo, tmp_path, monkeypatch, store)
    # acc 0.81, 0.82, 0.83 stored, then this run's 0.87 (the stored 0.1 of this commit is not a point).
    assert table(report)["acc"][-1] == "▁▂▃█◂ 0.81 – 0.87"


def test_a_trend_plot_is_published_with_the_runs_this_run_and_the_gate(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, specs, out = run_report(repo, tmp_path, monkeypatch, memory_store(),
                                    trend_plots=("metrics.json:acc*", "recall"), thresholds="acc min 0.8")  # fmt: skip
    [spec] = specs
    values = spec["data"]["values"]
    assert [row["x"] for row in values] == [stored_sha(n)[:7] for n in range(7, 26)] + [repo[1][:7]]
    assert [row["y"] for row in values] == [stored_acc(n) for n in range(7, 26)] + [0.87]
    assert [row["current"] for row in values] == [False] * 19 + [True]
    assert spec["layer"][2]["data"] == {"values": [{"y": 0.8, "label": "min 0.8"}]}
    alt = "Trend of metrics.json:acc on main: 20 runs from 0.8 to 0.87, this run 0.87"
    [link] = re.findall(rf"!\[{re.escape(alt)}\]\((images/[^)]+\.png)\)", report)
    assert (out / link).read_bytes().startswith(b"\x89PNG")  # the local forge published it
    assert "### Plots" in report
    assert "trend-plots: 'recall' matches no metric of this run or of the stored runs" in report


def test_without_a_store_trend_plots_say_why_and_the_rest_of_the_report_stands(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, specs, _ = run_report(repo, tmp_path, monkeypatch, None, trend_plots=("acc",))
    assert specs == []
    assert "Trend" not in header(report)
    assert table(report)["acc"][2:5] == ["0.85", "0.87", "0.02"]
    assert ("trend plots left out: no results store to read the default branch's runs from (input 'store' is off, "
            "or this forge keeps no results)") in report  # fmt: skip


def test_one_stored_run_is_no_trend_yet(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A single stored run plus this one is two points: the smallest trend. Nothing stored: no column at all.
    report, _, _ = run_report(repo, tmp_path, monkeypatch, memory_store(runs=1))
    assert table(report)["acc"][-1] == "▁█◂ 0.81 – 0.87"
    report, specs, _ = run_report(repo, tmp_path, monkeypatch, memory_store(runs=0), trend_plots=("acc",))
    assert "Trend" not in header(report) and specs == []
    assert ("trend-plots: 'acc': no trend yet for metrics.json:acc (fewer than 2 numeric values in this run and 0 "
            "stored run(s) on main)") in report  # fmt: skip


def test_a_store_that_cannot_be_read_leaves_the_table_without_trends(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cml_action.errors import CmlError

    class Unreachable(MemoryBranch):
        def read(self, path: str) -> bytes | None:
            raise CmlError("the forge answered 502 three times")

    store = RunStore(ResultStore(Unreachable()), KEY, "main", "main")
    report, _, _ = run_report(repo, tmp_path, monkeypatch, store, trend_plots=("acc",))
    assert "Trend" not in header(report) and table(report)["acc"][3] == "0.87"
    assert "trends left out: the forge answered 502 three times" in report
    assert "trend plots left out: the metrics or the stored runs could not be read (see the warning above)" in report


def test_a_pull_request_run_shows_mains_trend_with_its_own_value_last(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = ResultStore(MemoryBranch())
    record_main_runs(results, 2)
    results.record(StoredRun(KEY, "d" * 40, "2026-12-02T00:00:00Z", branch="feature", event="pull_request",
                             pr_number=12, metrics={"metrics.json": {"acc": 0.99}}), "pull-12")  # fmt: skip
    report, _, _ = run_report(repo, tmp_path, monkeypatch, RunStore(results, KEY, "pull-12", "main"))
    assert table(report)["acc"][-1] == "▁▂█◂ 0.81 – 0.87"  # main's 0.81, 0.82, then this run: not the PR's runs


class CountingBranch(MemoryBranch):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return super().read(path)


def test_the_column_and_the_charts_cost_one_read_of_the_index(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    branch = CountingBranch()
    results = ResultStore(branch)
    record_main_runs(results, 25)
    branch.reads.clear()
    run_report(repo, tmp_path, monkeypatch, RunStore(results, KEY, "main", "main"), trend_plots=("acc", "loss"))
    assert branch.reads == [layout.index_path(KEY, "main")]


def test_stored_names_reach_the_report_escaped(
    repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any job with a write token can write the store: its metric names are untrusted text.
    results = ResultStore(MemoryBranch())
    hostile = "x|<img src=y>@team"
    for number in (1, 2):
        results.record(StoredRun(KEY, stored_sha(number), "t", metrics={"metrics.json": {hostile: number}}), "main")
    report, specs, _ = run_report(repo, tmp_path, monkeypatch, RunStore(results, KEY, "main", "main"),
                                  trend_plots=("x*",))  # fmt: skip
    assert specs[0]["title"]["text"] == f"{hostile} on main"  # drawn as text inside the image
    assert "<img" not in report and "x\\|&lt;img src=y&gt;@&#8203;team" in report
