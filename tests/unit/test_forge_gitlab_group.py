"""One comment for a matrix on the fake GitLab: eight jobs of one group write the merge request's one note at once,
with random delays, 502s and lost answers; one note remains, with 8 sections. On a commit (no merge request) the
note is the first of its own discussion, edited by id the same way."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from cml_action.forges.base import ForgeOptions, Target
from cml_action.group_publish import GroupJob, publish_group
from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.fakes.gitlab.fixtures import gitlab_forge
from tests.forge_support import run_at_once, without_nonce

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name

JOBS = 8
NOTES = r"/merge_requests/1/notes"
OPTIONS = ForgeOptions(timeout=5.0, max_attempts=6, max_backoff=0.01)


def member(gl: FakeGitLab, index: int) -> StoredRun:
    return StoredRun(key=f"report/model-{index}", head_sha=gl.head_sha, time="2026-12-07T00:00:00Z",
                     metrics={"metrics.json": {"acc": index / 10}}, section=f"Model {index}: accuracy went up.",
                     run_url=f"{gl.server_url}/group/project/-/pipelines/{500 + index}")  # fmt: skip


def run_group(gl: FakeGitLab, tmp: Path, store: ResultStore, runs: list[StoredRun], *, mr: bool = True) -> None:
    job = GroupJob(GroupComment("models", "CML Report", gl.head_sha), Target("auto"), limit=65536)

    def one(run: StoredRun) -> None:
        forge = gitlab_forge(gl, tmp, mr=mr, options=OPTIONS)
        publish_group(store, forge, job, store.join_group("models", run), warn=warnings.append)

    warnings: list[str] = []
    run_at_once(one, runs, jitter=0.05)
    assert not warnings


def expected(gl: FakeGitLab, store: ResultStore) -> str:
    comment = GroupComment("models", "CML Report", gl.head_sha)
    return render_group(comment, store.group("models", gl.head_sha).members, limit=65536).body


@pytest.mark.parametrize("seed", [1, 2])
def test_eight_jobs_with_502s_and_lost_answers_leave_one_note_with_eight_sections(
    fake_gitlab: FakeGitLab, tmp_path: Path, seed: int
) -> None:
    random.seed(seed)
    gl = fake_gitlab
    faults = [
        gl.faults.add("POST", NOTES + "$", "status", times=3, after=1, status=502),
        gl.faults.add("POST", NOTES + "$", "apply_then_drop", times=1, after=2),
        gl.faults.add("PUT", NOTES + r"/\d+$", "status", times=4, after=1, status=502),
        gl.faults.add("PUT", NOTES + r"/\d+$", "apply_then_drop", times=1, after=3),
        gl.faults.add("DELETE", NOTES + r"/\d+$", "status", times=1, status=502),
    ]
    branch = MemoryBranch()
    branch.before_swap = lambda: time.sleep(random.uniform(0, 0.01))
    store = ResultStore(branch)
    run_group(gl, tmp_path, store, [member(gl, index) for index in range(JOBS)])
    [note] = gl.mr_notes()
    assert without_nonce(note["body"]) == expected(gl, store)
    assert [f"Model {index}: accuracy went up." in note["body"] for index in range(JOBS)] == [True] * JOBS
    assert str(note["id"]) == store.group("models", gl.head_sha).comment_id
    assert sum(fault.fired for fault in faults) >= 5


def test_on_a_commit_the_group_note_is_one_discussion_edited_in_place(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    gl.state.projects[42].mrs[1].state = "merged"  # no open merge request: the report goes on the commit
    store = ResultStore(MemoryBranch())
    for index in range(3):
        run_group(gl, tmp_path, store, [member(gl, index)], mr=False)
    [discussion] = gl.commit_discussions()
    [note] = discussion["notes"]
    assert without_nonce(note["body"]) == expected(gl, store) and group_marker("models") in note["body"]
    assert note["body"].count("<details>") == 3
