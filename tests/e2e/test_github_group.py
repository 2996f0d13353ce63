"""One comment for a matrix on the fake GitHub (issue 11): eight jobs of one group publish at once through the
GitHub forge, with random delays and injected 502s and lost responses; one comment remains, with 8 sections.

The jobs share one reference store branch (MemoryBranch) in this process: the store's GitHub backend is tested on
its own (the 8-process test in test_matrix_group.py runs the whole action once the forges keep results)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import Target
from cml_action.group_publish import GroupJob, publish_group
from cml_action.inputs import Settings
from cml_action.pipeline import Outcome
from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.store import layout
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from cml_action.store.session import RunStore
from tests.e2e.github_support import context, forge, marker
from tests.e2e.matrix_support import Template, clone, make_template
from tests.fakes.github import FakeGitHub
from tests.forge_support import run_at_once, without_nonce

JOBS = 8
StoreOpener = Callable[[Settings, RunContext, Any], RunStore | None]
COMMENTS = r"/issues/\d+/comments$"
ONE_COMMENT = r"/issues/comments/\d+$"


def member(gh: FakeGitHub, index: int) -> StoredRun:
    return StoredRun(key=f"train/model-{index}", head_sha=gh.main_sha, time="2026-12-07T00:00:00Z",
                     metrics={"metrics.json": {"acc": index / 10}}, section=f"Model {index}: accuracy went up.",
                     run_url=f"{gh.server_url}/{gh.repo}/actions/runs/{100 + index}",
                     check_url=f"{gh.server_url}/{gh.repo}/runs/{900 + index}")  # fmt: skip


def run_group(gh: FakeGitHub, store: ResultStore, runs: list[StoredRun], number: int) -> list[str]:
    """Every job at once: join, then publish through its own GitHub forge; returns the warnings."""
    job = GroupJob(GroupComment("models", "CML Report", gh.main_sha), Target("auto"), limit=65536)
    warnings: list[str] = []

    def one(run: StoredRun) -> None:
        github, _sleeps = forge(gh, context(gh, pr_number=number), max_attempts=6)
        publish_group(store, github, job, store.join_group("models", run), warn=warnings.append)

    run_at_once(one, runs, jitter=0.05)
    return warnings


def group_comments(gh: FakeGitHub, number: int) -> list[dict[str, Any]]:
    return [c for c in gh.issue_comments(gh.repo, number) if group_marker("models") in c["body"]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eight_jobs_with_502s_and_lost_responses_leave_one_comment_with_eight_sections(
    fake_github: FakeGitHub, seed: int
) -> None:
    random.seed(seed)
    gh = fake_github
    number = gh.add_pull(gh.repo, head_sha=gh.main_sha)
    faults = [
        gh.faults.add("POST", COMMENTS, "status", times=3, after=1),  # 502: nothing created, retried
        gh.faults.add("POST", COMMENTS, "apply_then_drop", times=1, after=2),  # created, answer lost: found again
        gh.faults.add("PATCH", ONE_COMMENT, "status", times=4, after=1),
        gh.faults.add("PATCH", ONE_COMMENT, "apply_then_drop", times=1, after=3),
        gh.faults.add("DELETE", ONE_COMMENT, "status", times=1),
        gh.faults.add("*", ONE_COMMENT, "slow", times=6, delay=0.05),
    ]
    branch = MemoryBranch()
    branch.before_swap = lambda: time.sleep(random.uniform(0, 0.01))
    store = ResultStore(branch)
    warnings = run_group(gh, store, [member(gh, index) for index in range(JOBS)], number)
    [comment] = gh.issue_comments(gh.repo, number)  # exactly one comment on the pull request
    group = store.group("models", gh.main_sha)
    comment_of = GroupComment("models", "CML Report", gh.main_sha)
    assert without_nonce(comment["body"]) == render_group(comment_of, group.members, limit=65536).body
    assert [f"Model {index}: accuracy went up." in comment["body"] for index in range(JOBS)] == [True] * JOBS
    assert comment["body"].count("<details>") == JOBS
    assert f"[check]({gh.server_url}/{gh.repo}/runs/907)" in comment["body"]
    assert str(comment["id"]) == group.comment_id
    assert sum(fault.fired for fault in faults) >= 9  # the faults did fire
    assert gh.violations == [] and not warnings


def test_a_rerun_replaces_only_its_section_in_the_same_comment(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = gh.add_pull(gh.repo, head_sha=gh.main_sha)
    store = ResultStore(MemoryBranch())
    run_group(gh, store, [member(gh, index) for index in range(3)], number)
    [before] = group_comments(gh, number)
    rerun = StoredRun(**{**member(gh, 1).__dict__, "section": "Model 1, re-run: accuracy went down."})
    gh.clear_requests()
    run_group(gh, store, [rerun], number)
    [after] = group_comments(gh, number)
    assert after["id"] == before["id"]
    assert after["body"] == without_nonce(before["body"]).replace(
        "Model 1: accuracy went up.", "Model 1, re-run: accuracy went down."
    )
    assert [f"{r.method} {r.path.rsplit('/', 1)[-1]}" for r in gh.writes()] == [f"PATCH {before['id']}"]


# --- the whole run (pipeline.run in this process), the store injected until the forges keep results ---


def pipeline_job(gh: FakeGitHub, template: Template, monkeypatch: pytest.MonkeyPatch, *, key: str, acc: str,
                 number: int, store: StoreOpener | None, **inputs: str) -> Outcome:  # fmt: skip
    """One job of the matrix: its own checkout of the pull request's head, where it computed its own metrics."""
    from cml_action import pipeline
    from cml_action.inputs import parse_settings

    folder = template.path.parent / key.replace("/", "-")
    workspace = clone(template, folder / "ws")
    (workspace / "metrics.json").write_text(f'{{"acc": {acc}}}\n', encoding="utf-8")  # computed in CI
    runner = folder / "runner"
    runner.mkdir()
    monkeypatch.setenv("GITHUB_OUTPUT", str(runner / "output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(runner / "summary.md"))
    monkeypatch.setattr(pipeline, "open_store", store or (lambda settings, ctx, forge: None))
    env = {"INPUT_KEY": key, "INPUT_GROUP": "models", "INPUT_METRICS": "metrics.json", "INPUT_REPORT": "report.md",
           "INPUT_SEND-AS": "both", "INPUT_FETCH-BASELINE": "false",
           **{f"INPUT_{name.upper()}": value for name, value in inputs.items()}}  # fmt: skip
    ctx = context(gh, workspace=workspace, head_sha=template.head, pr_number=number, branch="feature",
                  merge_base_of=(template.base, template.head), run_url=f"{gh.server_url}/{gh.repo}/actions/runs/"
                  f"{len(key)}", default_branch="main")  # fmt: skip
    return pipeline.run(parse_settings(env), ctx)


def pull_request(gh: FakeGitHub, folder: Path) -> tuple[Template, int]:
    """The matrix's commits (a baseline and a head) and the pull request of the head."""
    template = make_template(folder)
    gh.register_commit(gh.repo, template.base)
    gh.register_commit(gh.repo, template.head, parents=[template.base])
    return template, gh.add_pull(gh.repo, head_sha=template.head, base_sha=template.base)


def shared_store(branch: MemoryBranch) -> StoreOpener:
    """What `open_store` gives every job once the forge keeps results: one store branch for the repository."""

    def open_store(settings: Settings, ctx: RunContext, forge: object) -> RunStore:
        store = ResultStore(branch, history=settings.history)
        return RunStore(store, ctx.key(settings.key), layout.index_name(ctx.branch, ctx.pr_number), "main")

    return open_store


def test_matrix_jobs_run_the_whole_action_into_one_comment_that_links_each_check(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = fake_github
    template, number = pull_request(gh, tmp_path)
    store = shared_store(MemoryBranch())
    outcomes = [
        pipeline_job(gh, template, monkeypatch, key=key, acc=acc, number=number, store=store, thresholds="acc min 0.7")
        for key, acc in (("train/resnet", "0.91"), ("train/bert", "0.6"), ("train/gpt", "0.85"))
    ]
    assert [outcome.exit_code for outcome in outcomes] == [0, 0, 0]
    [comment] = gh.issue_comments(gh.repo, number)
    checks = gh.check_runs(gh.repo)
    assert len(checks) == 3  # check runs stay per job
    body = comment["body"]
    rows = body.split("\n\n")[2].splitlines()
    assert [cell.strip() for cell in rows[0].strip("|").split("|")] == ["Metric", "baseline", "train/bert",
                                                                        "train/gpt", "train/resnet"]  # fmt: skip
    assert [cell.strip() for cell in rows[2].strip("|").split("|")] == ["acc", "0.8", "0.6", "0.85", "0.91"]
    assert [cell.strip() for cell in rows[3].strip("|").split("|")][2:] == ["❌ 1 gate tripped", "✅ 1 gate passed",
                                                                           "✅ 1 gate passed"]  # fmt: skip
    for check in checks:
        assert f"[check]({check['html_url']})" in body
    assert [line for line in body.splitlines() if line.startswith("<details>")] == [
        "<details><summary>train/bert ❌</summary>", "<details><summary>train/gpt</summary>",
        "<details><summary>train/resnet</summary>"]  # fmt: skip
    assert outcomes[-1].comment is not None and outcomes[-1].comment.id == str(comment["id"])
    assert gh.violations == []


def test_a_group_without_a_store_warns_and_posts_per_key_comments_as_before(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = fake_github
    template, number = pull_request(gh, tmp_path)
    for key in ("train/a", "train/b"):
        assert pipeline_job(gh, template, monkeypatch, key=key, acc="0.9", number=number, store=None).exit_code == 0
    comments = gh.issue_comments(gh.repo, number)
    assert [marker(key) in c["body"] for c, key in zip(comments, ("train/a", "train/b"), strict=True)] == [True] * 2
    out = capsys.readouterr().out
    assert out.count("group 'models': the results store is off, so this job posts its own report "
                     "comment") == 2  # fmt: skip


def test_a_store_that_refuses_the_join_leaves_the_job_its_own_comment(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class ReadOnly(MemoryBranch):
        def update(self, message: str, change: Any) -> None:
            raise CmlError("results store: the token cannot write branch 'cml-assets'")

    gh = fake_github
    template, number = pull_request(gh, tmp_path)
    outcome = pipeline_job(gh, template, monkeypatch, key="train/a", acc="0.9", number=number,
                           store=shared_store(ReadOnly()))  # fmt: skip
    assert outcome.exit_code == 0
    [comment] = gh.issue_comments(gh.repo, number)
    assert marker("train/a") in comment["body"] and group_marker("models") not in comment["body"]
    assert ("group 'models': results store: the token cannot write branch 'cml-assets'; this job posts its own "
            "report comment") in capsys.readouterr().out  # fmt: skip
