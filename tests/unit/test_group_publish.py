"""The group protocol (cml_action/group_publish.py) over the reference store branch and a forge that records every
comment write: in any interleaving, one comment remains and it has every job's section."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import pytest

from cml_action.errors import CmlError
from cml_action.forges.base import CommentRequest, Limits, Published, Target, Traits
from cml_action.group_publish import MAX_ROUNDS, PENDING_WAITS, GroupJob, publish_group
from cml_action.report.group import GroupComment, render_group
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.forge_support import run_at_once, without_nonce

SHA = "c" * 40
JOB = GroupJob(GroupComment("models", "CML Report", SHA), Target("auto"), limit=65536)
JOBS = 8


@dataclass
class CommentForge:
    """Comments by id, each operation after a random delay (so jobs interleave differently every time)."""

    name = "memory"
    limits = Limits(comment=65536, check=65535)
    traits = Traits(check_holds_report=True, run_link_label="Run", job_summary=False, writes_files=False)
    jitter: float = 0.0
    comments: dict[int, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    _next: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _pause(self) -> None:
        if self.jitter:
            time.sleep(random.uniform(0, self.jitter))

    def post_comment(self, request: CommentRequest) -> Published:
        assert request.mode == "create"
        self._pause()
        with self._lock:
            self._next += 1
            self.comments[self._next] = request.body
            self.log.append(f"create {self._next}")
            return Published(f"https://forge/c/{self._next}", str(self._next), "PR #1")

    def edit_comment(self, request: CommentRequest, comment_id: str) -> Published | None:
        self._pause()
        with self._lock:
            self.log.append(f"edit {comment_id}")
            if int(comment_id) not in self.comments:
                return None
            self.comments[int(comment_id)] = request.body
            return Published(f"https://forge/c/{comment_id}", comment_id, "PR #1")

    def delete_comment(self, request: CommentRequest, comment_id: str) -> None:
        self._pause()
        with self._lock:
            self.log.append(f"delete {comment_id}")
            self.comments.pop(int(comment_id), None)

    def shareable_url(self, url: str) -> str:
        return url

    def preflight(self, *, wants_comment: bool, wants_check: bool, wants_images: bool) -> None:
        return None

    def publish_images(self, images: object) -> dict[str, str]:
        return {}

    def post_check(self, request: object) -> Published:
        raise AssertionError("not used")


def member(key: str, section: str = "") -> StoredRun:
    return StoredRun(key=key, head_sha=SHA, time="2026-12-07T00:00:00Z", section=section or f"report of {key}",
                     metrics={"metrics.json": {"acc": 0.5}}, check_url=f"https://forge/checks/{key}")  # fmt: skip


def job(store: ResultStore, forge: CommentForge, run: StoredRun, warnings: list[str]) -> Published:
    view = store.join_group("models", run)
    return publish_group(store, forge, JOB, view, warn=warnings.append)


def run_jobs(store: ResultStore, forge: CommentForge, runs: list[StoredRun], warnings: list[str]) -> None:
    run_at_once(lambda run: job(store, forge, run, warnings), runs, jitter=forge.jitter)


def expected(store: ResultStore) -> str:
    return render_group(JOB.comment, store.group("models", SHA).members, limit=JOB.limit).body


@pytest.mark.parametrize("seed", range(12))
def test_eight_jobs_at_once_leave_one_comment_with_eight_sections(seed: int) -> None:
    random.seed(seed)
    branch = MemoryBranch()
    branch.before_swap = lambda: time.sleep(random.uniform(0, 0.004))  # writers lose compare-and-swap races
    store, forge, warnings = ResultStore(branch), CommentForge(jitter=0.01), []
    run_jobs(store, forge, [member(f"model-{n}") for n in range(JOBS)], warnings)
    [(comment_id, body)] = forge.comments.items()
    body = without_nonce(body)
    assert body == expected(store)
    assert [f"report of model-{n}" in body for n in range(JOBS)] == [True] * JOBS
    assert body.count("<details>") == JOBS
    assert store.group("models", SHA).comment_id == str(comment_id)
    assert not warnings


def test_a_job_whose_stale_write_lands_last_renders_again_with_the_later_member() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(), []
    view_a = store.join_group("models", member("a"))  # a joins first and is slow to write
    job(store, forge, member("b"), warnings)  # b joins and publishes meanwhile: the comment has a and b
    publish_group(store, forge, JOB, view_a, warn=warnings.append)  # a's first write has only a
    assert forge.log == ["create 101", "edit 101"]  # a found no comment named when it joined: b's, once named
    [(_, body)] = forge.comments.items()
    body = without_nonce(body)
    assert body == expected(store) and "report of a" in body and "report of b" in body


def test_jobs_that_all_find_no_comment_create_one_between_them() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(jitter=0.002), []
    barrier = threading.Barrier(JOBS)

    def together(run: StoredRun) -> None:
        view = store.join_group("models", run)
        barrier.wait(timeout=10)  # every job has joined, and found no comment, before any writes
        publish_group(store, forge, JOB, view, warn=warnings.append)

    run_at_once(together, [member(f"model-{n}") for n in range(JOBS)])
    assert [line for line in forge.log if not line.startswith("edit")] == ["create 101"]  # one notification
    [(winner, body)] = forge.comments.items()
    assert store.group("models", SHA).comment_id == str(winner) and without_nonce(body) == expected(store)


def test_a_job_whose_creator_seems_gone_takes_over_after_waiting_and_the_late_creator_gives_way() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(), []
    create = forge.post_comment
    waits: list[float] = []

    def slow_create(request: CommentRequest) -> Published:
        # While this job (it reserved the creation) is stuck creating, another job gives up waiting for it.
        forge.post_comment = create  # type: ignore[method-assign]
        other = store.join_group("models", member("model-1"))
        publish_group(store, forge, JOB, other, warn=warnings.append, sleep=waits.append)
        return create(request)

    forge.post_comment = slow_create  # type: ignore[method-assign]
    publish_group(store, forge, JOB, store.join_group("models", member("model-0")), warn=warnings.append)
    assert waits == list(PENDING_WAITS)  # one read of the group after each wait, then it created the comment
    # The late creator's comment is deleted at once; it edits the one named in the store instead.
    assert forge.log == ["create 101", "create 102", "delete 102", "edit 101"]
    [(_, body)] = forge.comments.items()
    assert without_nonce(body) == expected(store) and store.group("models", SHA).comment_id == "101"


def test_a_create_that_fails_for_good_releases_the_reservation() -> None:
    store, forge = ResultStore(MemoryBranch()), CommentForge()

    def refused(request: CommentRequest) -> Published:
        raise CmlError("comment: GitHub answered 403 Resource not accessible by integration")

    forge.post_comment = refused  # type: ignore[method-assign]
    view = store.join_group("models", member("model-0"))
    with pytest.raises(CmlError, match="403"):
        publish_group(store, forge, JOB, view, warn=lambda _: None)
    assert store.group("models", SHA).comment_id == ""  # the next job creates at once instead of waiting


def test_a_rerun_of_one_job_replaces_only_its_own_section() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(), []
    for n in range(3):
        job(store, forge, member(f"model-{n}"), warnings)
    [before] = forge.comments.values()
    job(store, forge, member("model-1", section="re-run: better"), warnings)
    [(_, after)] = forge.comments.items()
    assert after == without_nonce(before).replace("report of model-1", "re-run: better")
    assert forge.log == ["create 101", "edit 101", "edit 101", "edit 101"]  # one comment, edited in place


def test_a_comment_deleted_by_hand_is_created_again_and_claimed_in_its_place() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(), []
    job(store, forge, member("model-0"), warnings)
    forge.comments.clear()  # someone deleted the group's comment
    job(store, forge, member("model-1"), warnings)
    [(comment_id, body)] = forge.comments.items()
    assert comment_id == 102 and store.group("models", SHA).comment_id == "102"
    assert "report of model-0" in body and "report of model-1" in body


def test_a_job_that_follows_members_for_too_many_rounds_warns_and_keeps_what_it_wrote() -> None:
    store, forge, warnings = ResultStore(MemoryBranch()), CommentForge(), []
    view = store.join_group("models", member("model-0"))
    joined = iter(range(1, 100))
    create, edit = forge.post_comment, forge.edit_comment

    def create_while_others_join(request: CommentRequest) -> Published:
        store.join_group("models", member(f"late-{next(joined)}"))  # a new member lands during every write
        return create(request)

    def edit_while_others_join(request: CommentRequest, comment_id: str) -> Published | None:
        store.join_group("models", member(f"late-{next(joined)}"))
        return edit(request, comment_id)

    forge.post_comment = create_while_others_join  # type: ignore[method-assign]
    forge.edit_comment = edit_while_others_join  # type: ignore[method-assign]
    published = publish_group(store, forge, JOB, view, warn=warnings.append)
    assert published.id == "101" and len(forge.log) == MAX_ROUNDS
    assert warnings == [f"group 'models': members kept joining for {MAX_ROUNDS} rounds; the last job to finish "
                        "completes it"]  # fmt: skip


def test_a_store_that_refuses_the_claim_fails_the_comment_with_its_error() -> None:
    class Refusing(MemoryBranch):
        def update(self, message: str, change: object) -> None:
            if "comment" in message:
                raise CmlError("results store: the token cannot write the branch")
            super().update(message, change)  # type: ignore[arg-type]

    store, forge = ResultStore(Refusing()), CommentForge()
    view = store.join_group("models", member("model-0"))
    with pytest.raises(CmlError, match="cannot write"):
        publish_group(store, forge, JOB, view, warn=lambda _: None)
