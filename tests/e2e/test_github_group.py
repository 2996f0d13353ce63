"""One comment for a matrix on the fake GitHub (issue 11): eight jobs of one group publish at once through the
GitHub forge, with random delays and injected 502s and lost responses; one comment remains, with 8 sections.

The jobs share one reference store branch (MemoryBranch) in this process: the store's GitHub backend is tested on
its own (the 8-process test in test_matrix_group.py runs the whole action once the forges keep results)."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

from cml_action.forges.base import Target
from cml_action.group_publish import GroupJob, publish_group
from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.e2e.github_support import context, forge
from tests.fakes.github import FakeGitHub

JOBS = 8
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
    failures: list[BaseException] = []

    def one(run: StoredRun) -> None:
        time.sleep(random.uniform(0, 0.05))
        try:
            github, _sleeps = forge(gh, context(gh, pr_number=number), max_attempts=6)
            publish_group(store, github, job, store.join_group("models", run), warn=warnings.append)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
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
    assert comment["body"] == render_group(GroupComment("models", "CML Report", gh.main_sha), group.members,
                                           limit=65536).body  # fmt: skip
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
    assert after["body"] == before["body"].replace("Model 1: accuracy went up.", "Model 1, re-run: accuracy went down.")
    assert [f"{r.method} {r.path.rsplit('/', 1)[-1]}" for r in gh.writes()] == [f"PATCH {before['id']}"]
