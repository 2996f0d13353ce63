"""Metrics computed in CI and never committed: a pull request's baseline comes from the default branch's stored
run (docs/store.md, "Baselines from stored results"). The whole run (`pipeline.run`) on a real git repository,
publishing with the local forge, its results store a `MemoryBranch` (the forges' own branches are tested with
the store's protocol elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cml_action import pipeline
from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.local.forge import LocalForge
from cml_action.inputs import parse_settings
from cml_action.publish import Outcome
from cml_action.store.branch import Change, MemoryBranch
from cml_action.store.layout import index_path, run_path
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.gitutil import commit_files, git, init_repo

KEY = "cml/report"
GATE = "acc max-drop 0.01"


@pytest.fixture
def branch(monkeypatch: pytest.MonkeyPatch) -> MemoryBranch:
    """The results store of every run of the test: the local forge keeps its results on this branch."""
    store_branch = MemoryBranch()
    monkeypatch.setattr(LocalForge, "results_branch", lambda self: store_branch, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "")
    return store_branch


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """metrics.json is what training writes in CI: ignored, never committed."""
    path = init_repo(tmp_path / "repo")
    commit_files(path, {".gitignore": "metrics.json\nout/\n", "train.py": "print('train')\n"}, "start")
    return path


def metrics(repo: Path, acc: float, loss: float = 0.3) -> None:
    (repo / "metrics.json").write_text(json.dumps({"acc": acc, "loss": loss}), encoding="utf-8")


def run(repo: Path, *, pr: int | None = None, base: str = "", run_id: str = "1", fork: bool = False,
        **inputs: str) -> Outcome:  # fmt: skip
    head = git(repo, "rev-parse", "HEAD")
    given = {f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()}
    env = {"INPUT_METRICS": "metrics.json", "INPUT_OUTPUT-DIR": str(repo / "out"), "INPUT_KEY": KEY,
           "INPUT_PARAMS": "none", **given}  # fmt: skip
    if pr is None:
        parent = git(repo, "rev-list", "--max-count=1", "--skip=1", "HEAD")
        ctx = RunContext(forge="local", workspace=repo, head_sha=head, event="push", branch="main",
                         default_branch="main", baseline_candidates=(parent,) if parent else (), run_id=run_id,
                         run_url=f"https://ci.example/runs/{run_id}")  # fmt: skip
    else:
        ctx = RunContext(forge="local", workspace=repo, head_sha=head, event="pull_request", branch="feature",
                         default_branch="main", pr_number=pr, merge_base_of=(base, head), run_id=run_id,
                         run_url=f"https://ci.example/runs/{run_id}", is_fork=fork)  # fmt: skip
    return pipeline.run(parse_settings(env), ctx)


def report(repo: Path) -> str:
    return (repo / "out" / "report.md").read_text(encoding="utf-8")


def feature_branch(repo: Path, name: str = "feature") -> None:
    git(repo, "checkout", "-q", "-b", name)
    commit_files(repo, {"train.py": "print('better')\n"}, "try a change")


def test_a_pull_request_gets_its_baseline_from_mains_stored_run(repo: Path, branch: MemoryBranch) -> None:
    main_sha = git(repo, "rev-parse", "HEAD")
    metrics(repo, 0.9)
    assert run(repo, run_id="123").exit_code == 0  # main: no baseline commit, records its result
    assert [entry.run_id for entry in ResultStore(branch).index(KEY, "main")] == ["123"]
    feature_branch(repo)
    metrics(repo, 0.85)
    outcome = run(repo, pr=7, base=main_sha, run_id="124", thresholds=GATE, fail_on_regression="true")
    body = report(repo)
    assert _row(body, "acc") == ["metrics.json", "❌ acc", "0.9", "0.85", "-0.05", "█▁◂ 0.85 – 0.9"]
    assert (
        f"Baseline of `metrics.json`: stored result of [run 123](https://ci.example/runs/123) on main at "
        f"`{main_sha[:7]}`, the merge base." in body
    )
    assert "acc max-drop 0.01` on metrics.json:acc: dropped by 0.05 (0.9 → 0.85), limit 0.01" in body
    assert "not in the baseline" not in body  # the store had it: no warning that git lacks it
    assert outcome.exit_code == 1 and outcome.regressions == 1  # the gate judged the stored baseline
    # The pull request's run is recorded too, under its own index.
    store = ResultStore(branch)
    assert [entry.run_id for entry in store.index(KEY, "pull-7")] == ["124"]
    recorded = store.run(KEY, git(repo, "rev-parse", "HEAD"))
    assert recorded is not None and recorded.metrics == {"metrics.json": {"acc": 0.85, "loss": 0.3}}
    assert recorded.blocking and recorded.gates == "1 gate tripped" and recorded.pr_number == 7
    assert recorded.section.startswith("### Metrics") and "stored result of [run 123]" in recorded.section


def _row(body: str, metric: str) -> list[str]:
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) >= 5 and cells[1].endswith(metric):
            return cells
    raise AssertionError(f"no row for {metric} in:\n{body}")


def stored(sha: str, acc: float, run_id: str = "90", **files: dict[str, object]) -> StoredRun:
    values = {"metrics.json": {"acc": acc, "loss": 0.3}, **files}
    return StoredRun(key=KEY, head_sha=sha, time="2026-12-01T00:00:00Z", branch="main", event="push", run_id=run_id,
                     metrics=values)  # type: ignore[arg-type]  # fmt: skip


def test_the_nearest_recorded_ancestor_serves_when_the_merge_base_has_no_run(repo: Path, branch: MemoryBranch) -> None:
    recorded = git(repo, "rev-parse", "HEAD")
    ResultStore(branch).record(stored(recorded, 0.9, run_id="77"), "main")
    commit_files(repo, {"README.md": "docs\n"}, "docs only: CI skipped")
    base = commit_files(repo, {"README.md": "more docs\n"}, "docs only again")
    feature_branch(repo)
    metrics(repo, 0.95)
    assert run(repo, pr=3, base=base, thresholds=GATE).exit_code == 0
    body = report(repo)
    assert _row(body, "acc") == ["metrics.json", "acc", "0.9", "0.95", "0.05", "▁█◂ 0.9 – 0.95"]
    assert f"stored result of run 77 on main at `{recorded[:7]}`, 2 commits before the merge base." in body
    assert "All 1 gates passed" in body or "1 gate passed ✅" in body


def test_a_shallow_clone_is_deepened_to_find_the_recorded_ancestor(tmp_path: Path, branch: MemoryBranch) -> None:
    origin = init_repo(tmp_path / "origin")
    recorded = commit_files(origin, {".gitignore": "metrics.json\nout/\n", "train.py": "1\n"}, "recorded")
    ResultStore(branch).record(stored(recorded, 0.9, run_id="55"), "main")
    commit_files(origin, {"README.md": "a\n"}, "docs")
    base = commit_files(origin, {"README.md": "b\n"}, "docs")
    feature_branch(origin)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=2", "--branch=feature", f"file://{origin}", str(clone))
    assert git(clone, "rev-list", "--count", "HEAD") == "2"  # the merge base is the shallow boundary
    metrics(clone, 0.8)
    run(clone, pr=4, base=base, fetch_baseline="false")  # may not fetch: the recorded commit is out of reach
    assert _row(report(clone), "acc")[2] == "-"
    assert run(clone, pr=4, base=base, thresholds=GATE).exit_code == 0  # fail-on-regression is off
    body = report(clone)
    assert _row(body, "acc") == ["metrics.json", "❌ acc", "0.9", "0.8", "-0.1", "█▁◂ 0.8 – 0.9"]
    assert f"stored result of run 55 on main at `{recorded[:7]}`, 2 commits before the merge base." in body


def test_git_values_win_over_stored_ones(repo: Path, branch: MemoryBranch) -> None:
    base = commit_files(repo, {"summary.json": json.dumps({"f1": 0.5})}, "a committed summary")
    ResultStore(branch).record(stored(base, 0.9, **{"summary.json": {"f1": 0.7}}), "main")
    feature_branch(repo)
    metrics(repo, 0.9, loss=0.2)
    (repo / "summary.json").write_text(json.dumps({"f1": 0.6}), encoding="utf-8")
    run(repo, pr=5, base=base, metrics="metrics.json,summary.json")
    body = report(repo)
    assert _row(body, "f1") == [
        "summary.json",
        "f1",
        "0.5",
        "0.6",
        "0.1",
        "█▁◂ 0.6 – 0.7",
    ]  # git's 0.5, not the stored 0.7
    assert _row(body, "loss") == ["metrics.json", "loss", "0.3", "0.2", "-0.1", "█▁◂ 0.2 – 0.3"]
    assert "Baseline of `metrics.json`: stored result of run 90" in body  # only the file git lacks


def test_compare_previous_adds_the_change_since_the_last_push(repo: Path, branch: MemoryBranch) -> None:
    base = git(repo, "rev-parse", "HEAD")
    ResultStore(branch).record(stored(base, 0.9), "main")
    feature_branch(repo)
    first_push = git(repo, "rev-parse", "HEAD")
    metrics(repo, 0.8)
    run(repo, pr=6, base=base, compare_previous="true")
    assert "Since last push" not in report(repo)  # the first push has nothing before it
    commit_files(repo, {"train.py": "print('even better')\n"}, "second push")
    metrics(repo, 0.85)
    run(repo, pr=6, base=base, compare_previous="true")
    body = report(repo)
    assert f"| Since last push ({first_push[:7]})" in body
    assert _row(body, "acc") == ["metrics.json", "acc", "0.9", "0.85", "-0.05", "0.05", "█▁◂ 0.85 – 0.9"]
    # A re-run of the same commit still compares with the push before it, not with itself.
    run(repo, pr=6, base=base, compare_previous="true")
    assert _row(report(repo), "acc")[-2] == "0.05"  # then main's trend


def test_a_failed_store_write_is_one_warning_and_changes_nothing_else(
    repo: Path, branch: MemoryBranch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    ResultStore(branch).record(stored(base, 0.9), "main")
    feature_branch(repo)
    metrics(repo, 0.8)
    run(repo, pr=8, base=base, thresholds=GATE)
    expected = report(repo)

    def refuse(message: str, change: object) -> None:
        raise CmlError("the forge answered 502 Bad Gateway three times")

    branch.update = refuse  # type: ignore[method-assign]
    capsys.readouterr()
    outcome = run(repo, pr=8, base=base, thresholds=GATE)
    log = capsys.readouterr().out
    assert report(repo) == expected and outcome.exit_code == 0 and outcome.regressions == 1
    assert [line for line in log.splitlines() if line.startswith("warning")] == [
        "warning: results store: this run was not recorded (the forge answered 502 Bad Gateway three times); "
        "the report is published as usual"
    ]


def test_a_store_that_cannot_be_read_costs_only_the_stored_baseline(repo: Path, branch: MemoryBranch) -> None:
    base = git(repo, "rev-parse", "HEAD")
    feature_branch(repo)
    metrics(repo, 0.8)

    def unreadable(path: str) -> bytes | None:
        raise CmlError("the forge answered 502 Bad Gateway")

    branch.read = unreadable  # type: ignore[method-assign]
    assert run(repo, pr=9, base=base).exit_code == 0
    body = report(repo)
    assert _row(body, "acc") == ["metrics.json", "acc", "-", "0.8", "-"]
    assert "results store not read, so no stored baseline: the forge answered 502 Bad Gateway" in body


def test_fork_runs_and_store_off_record_nothing(repo: Path, branch: MemoryBranch) -> None:
    base = git(repo, "rev-parse", "HEAD")
    ResultStore(branch).record(stored(base, 0.9), "main")
    commits = len(branch.commits)
    feature_branch(repo)
    metrics(repo, 0.8)
    run(repo, pr=10, base=base, fork=True, send_as="none")  # a fork's read-only token: reads, never writes
    assert _row(report(repo), "acc")[2] == "0.9"
    run(repo, pr=10, base=base, store="off")  # neither reads nor writes
    assert _row(report(repo), "acc")[2] == "-"
    assert len(branch.commits) == commits
    run(repo, pr=10, base=base, send_as="none")  # publishes nothing by choice, but may write: records
    assert len(branch.commits) == commits + 1


def test_a_run_records_its_plot_data_rows(repo: Path, branch: MemoryBranch) -> None:
    (repo / ".gitignore").write_text("metrics.json\nout/\nloss.csv\n", encoding="utf-8")
    metrics(repo, 0.9)
    (repo / "loss.csv").write_text("step,loss\n0,0.9\n1,0.5\n", encoding="utf-8")
    run(repo, run_id="5", plots="loss.csv")
    recorded = ResultStore(branch).run(KEY, git(repo, "rev-parse", "HEAD"))
    assert recorded is not None and recorded.plots == {
        "loss.csv": [{"step": 0.0, "loss": 0.9}, {"step": 1.0, "loss": 0.5}]
    }
    assert recorded.params == {} and recorded.event == "push" and recorded.run_url == "https://ci.example/runs/5"


def test_plot_data_computed_in_ci_gets_its_baseline_from_the_store_too(
    repo: Path, branch: MemoryBranch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cml_action.plots import render

    (repo / ".gitignore").write_text("metrics.json\nout/\nloss.csv\n", encoding="utf-8")
    base = git(repo, "rev-parse", "HEAD")
    metrics(repo, 0.9)
    (repo / "loss.csv").write_text("step,loss\n0,0.777\n1,0.555\n", encoding="utf-8")
    run(repo, run_id="41", plots="loss.csv")  # main records the curve
    feature_branch(repo)
    metrics(repo, 0.91)
    (repo / "loss.csv").write_text("step,loss\n0,0.6\n1,0.3\n", encoding="utf-8")
    specs: list[str] = []
    real = render.vegalite_png
    monkeypatch.setattr(render, "vegalite_png", lambda spec, **kw: specs.append(json.dumps(spec)) or real(spec, **kw))
    run(repo, pr=13, base=base, plots="loss.csv")
    [spec] = specs
    # Both curves in the chart: this run's and, as the baseline, main's stored one (git never had loss.csv).
    assert all(value in spec for value in ("0.777", "0.555", "0.6", "0.3"))
    body = report(repo)
    assert "the baseline of loss.csv is the results store's" in body
    assert "did not exist at the baseline" not in body


def test_params_generated_in_ci_get_their_baseline_from_the_store_too(repo: Path, branch: MemoryBranch) -> None:
    (repo / ".gitignore").write_text("metrics.json\nout/\nparams.yaml\n", encoding="utf-8")
    base = git(repo, "rev-parse", "HEAD")
    metrics(repo, 0.9)
    (repo / "params.yaml").write_text("lr: 0.1\nepochs: 5\n", encoding="utf-8")
    run(repo, run_id="31", params="params.yaml")
    recorded = ResultStore(branch).run(KEY, base)
    assert recorded is not None and recorded.params == {"params.yaml": {"lr": 0.1, "epochs": 5}}
    feature_branch(repo)
    (repo / "params.yaml").write_text("lr: 0.2\nepochs: 5\n", encoding="utf-8")
    run(repo, pr=12, base=base, params="params.yaml")
    body = report(repo)
    params = body[body.index("### Params") : body.index("### Metrics")]
    assert "| params.yaml | lr      | 0.1       | 0.2       |" in params
    assert "Baseline of `params.yaml`: stored result of [run 31](https://ci.example/runs/31) on main" in params


class CountingBranch(MemoryBranch):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.updates = 0

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return super().read(path)

    def update(self, message: str, change: Change) -> None:
        self.updates += 1
        super().update(message, change)


def test_a_pull_request_run_with_a_stored_baseline_costs_two_reads_and_one_write(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingBranch()
    monkeypatch.setattr(LocalForge, "results_branch", lambda self: counting, raising=False)
    base = git(repo, "rev-parse", "HEAD")
    ResultStore(counting).record(stored(base, 0.9), "main")
    commit_files(repo, {"README.md": "docs\n"}, "a commit without a run")
    feature_branch(repo)
    metrics(repo, 0.8)
    counting.reads.clear()
    counting.updates = 0
    run(repo, pr=13, base=git(repo, "rev-parse", "HEAD~1"), thresholds=GATE, compare_previous="true")
    assert "stored result of run 90" in report(repo)
    # The default branch's index, the run found, this pull request's index (compare-previous); then one write.
    assert counting.reads == [index_path(KEY, "main"), run_path(KEY, base), index_path(KEY, "pull-13")]
    assert counting.updates == 1
