"""The results store on a GitLab branch (Files API reads, Commits API writes), against the fake GitLab."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from cml_action.errors import CmlError
from cml_action.forges.base import ForgeOptions
from cml_action.forges.gitlab import store as gitlab_store
from cml_action.store import layout
from cml_action.store.branch import Read
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.forge_support import FakeClock

BRANCH = "cml-assets"
KEY = "gitlab-ci/report"
FILES = "/projects/42/repository/files/"
COMMITS = "/projects/42/repository/commits"


def run(number: int, section: str = "") -> StoredRun:
    return StoredRun(key=KEY, head_sha=(f"{number:x}" * 40)[:40], time="2026-12-07T00:00:00Z", branch="main",
                     metrics={"metrics.json": {"accuracy": number / 10}}, section=section)  # fmt: skip


def store_of(gl: FakeGitLab, tmp_path: Path, token: str = "") -> ResultStore:
    options = ForgeOptions(timeout=10.0, max_attempts=5, max_backoff=0.01)
    env = {"CI_DEFAULT_BRANCH": "main"} | ({"token": token} if token else {})
    forge = fixtures.gitlab_forge(gl, tmp_path, mr=False, options=options, **env)
    return ResultStore(forge.results_branch())


def quoted(path: str) -> str:
    return FILES + path.replace("/", "%2F")


def index_shas(gl: FakeGitLab) -> list[str]:
    raw = gl.branch_file(42, BRANCH, layout.index_path(KEY, "main"))
    assert raw is not None
    return [entry["head_sha"] for entry in json.loads(raw)["entries"]]


def records(gl: FakeGitLab) -> list[str]:
    """The store's commit titles on the branch, oldest first."""
    return [m.split("\n")[0] for m in reversed(gl.branch_log(42, BRANCH)) if m.startswith("cml-action:")]


@pytest.fixture(autouse=True)
def fast_races(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitlab_store, "RACE_BACKOFF_CAP_SECONDS", 0.02)


def test_a_recorded_run_reads_back_and_each_operation_costs_what_docs_store_md_says(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gl = fake_gitlab
    store = store_of(gl, tmp_path)
    index = quoted(layout.index_path(KEY, "main"))
    store.record(run(1), "main")  # no branch yet: GitLab says so, and the commit names where to start it
    assert gl.sequence() == [f"GET {index}", f"POST {COMMITS}", f"POST {COMMITS}"]
    first, second = gl.api_requests("POST", COMMITS + "$")
    assert (first.status, "start_branch" in first.body, second.status, second.body["start_branch"]) == (
        400, False, 201, "main")  # fmt: skip
    assert [a["action"] for a in second.body["actions"]] == ["create", "create"]
    gl.clear_requests()
    store.record(run(2), "main")
    assert gl.sequence() == [f"GET {index}", f"POST {COMMITS}"]  # a read and a commit: 2 requests
    [post] = gl.api_requests("POST")
    index_action = next(a for a in post.body["actions"] if a["file_path"] == layout.index_path(KEY, "main"))
    assert index_action["action"] == "update"
    gl.clear_requests()
    assert [entry.head_sha for entry in store.index(KEY, "main")] == [run(1).head_sha, run(2).head_sha]
    assert store.run(KEY, run(2).head_sha) == run(2) and store.run(KEY, run(3).head_sha) is None
    assert gl.sequence() == [f"GET {index}", f"GET {quoted(layout.run_path(KEY, run(2).head_sha))}",
                             f"GET {quoted(layout.run_path(KEY, run(3).head_sha))}"]  # fmt: skip
    assert gl.api_requests()[0].query == {"ref": BRANCH}
    assert records(gl) == [f"cml-action: record {KEY} at 1111111", f"cml-action: record {KEY} at 2222222"]
    assert gl.branch_file(42, "main", layout.index_path(KEY, "main")) is None  # the default branch is untouched
    assert gl.branch_file(42, BRANCH, "README.md") == b"# project\n"  # started from it: GitLab has no orphans


def test_the_index_update_carries_the_version_it_read(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    store = store_of(gl, tmp_path)
    store.record(run(1), "main")
    tip = gl.api_requests("POST", COMMITS + "$")[-1]
    gl.clear_requests()
    store.record(run(2), "main")
    [post] = gl.api_requests("POST")
    actions = {a["file_path"]: a for a in post.body["actions"]}
    assert actions[layout.index_path(KEY, "main")]["action"] == "update"
    assert actions[layout.index_path(KEY, "main")]["last_commit_id"] == _commit_id(gl, tip)
    assert actions[layout.run_path(KEY, run(2).head_sha)]["action"] == "create"


def _commit_id(gl: FakeGitLab, request: Any) -> str:
    with gl.state.lock:
        history = gl.state.projects[42].repository.history(BRANCH)
    return next(c.id for c in history if c.message == request.body["commit_message"])


def test_a_stale_writer_is_refused_and_rebuilds(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    store = store_of(gl, tmp_path)
    store.record(run(1), "main")
    other = store_of(gl, tmp_path)
    gl.faults.add("POST", COMMITS + "$", "hook", hook=lambda fake: other.record(run(2), "main"))
    gl.clear_requests()
    store.record(run(3), "main")
    posts = gl.api_requests("POST", COMMITS + "$")
    assert [p.status for p in posts] == [201, 400, 201]  # the other's, ours refused as stale, ours rebuilt
    assert index_shas(gl) == [run(1).head_sha, run(2).head_sha, run(3).head_sha]


def test_a_file_read_but_not_changed_is_guarded_too(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    store = store_of(gl, tmp_path)
    store.record(run(1), "main")
    branch = store._files  # the branch under the store
    calls: list[bytes | None] = []

    def change(read: Read) -> dict[str, bytes]:
        calls.append(read(layout.index_path(KEY, "main")))
        if len(calls) == 1:  # another job changes what we based our write on, before we commit
            gl.commit_files(42, BRANCH, {layout.index_path(KEY, "main"): b"{}"})
        return {"derived.txt": b"from the index"}

    branch.update("cml-action: derived", change)
    assert len(calls) == 2 and calls[1] == b"{}"


def test_a_rerun_of_the_same_commit_replaces_its_document(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    store = store_of(gl, tmp_path)
    store.record(run(1, section="first"), "main")
    store.record(run(1, section="re-run"), "main")
    stored = store.run(KEY, run(1).head_sha)
    assert stored is not None and stored.section == "re-run"
    assert index_shas(gl) == [run(1).head_sha]


def test_eight_writers_at_once_with_502s_and_lost_answers_lose_and_duplicate_nothing(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gl = fake_gitlab
    store_of(gl, tmp_path).record(run(15), "main")
    gl.faults.add("POST", COMMITS + "$", "status", status=502, times=3, after=1)
    gl.faults.add("POST", COMMITS + "$", "apply_then_drop", times=2, after=2)
    gl.faults.add("GET", r"/repository/files/", "status", status=502, times=2)
    errors: list[BaseException] = []

    def job(number: int) -> None:
        try:
            store_of(gl, tmp_path).record(run(number), "main")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(number,)) for number in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(index_shas(gl)) == sorted(run(n).head_sha for n in (15, *range(1, 9)))
    # One commit per record: a commit whose answer was lost was found by its marker, not made again.
    assert sorted(records(gl)[1:]) == sorted(f"cml-action: record {KEY} at {run(n).head_sha[:7]}" for n in range(1, 9))
    assert len([r for r in gl.api_requests("POST", COMMITS + "$") if r.status == 400]) > 0  # the jobs did race


def test_eight_processes_at_once_lose_nothing(fake_gitlab: FakeGitLab) -> None:
    gl = fake_gitlab
    gl.commit_files(42, BRANCH, {"seed.txt": b"x"}, start="main")
    gl.faults.add("POST", COMMITS + "$", "status", status=502, times=2, after=3)
    gl.faults.add("POST", COMMITS + "$", "apply_then_drop", times=1, after=6)
    shas = [f"{n:040x}" for n in range(1, 9)]
    root = Path(__file__).resolve().parents[2]
    jobs = [subprocess.Popen([sys.executable, "-m", "tests.fakes.store_writer", "gitlab", gl.api_url,
                              gl.project_token, "42", KEY, sha], cwd=root, stderr=subprocess.PIPE, text=True)
            for sha in shas]  # fmt: skip
    failures = [job.communicate(timeout=120)[1] for job in jobs if job.wait(timeout=120) != 0]
    assert failures == []
    assert sorted(index_shas(gl)) == shas
    group = json.loads(gl.branch_file(42, BRANCH, layout.group_path("matrix", "f" * 40)) or b"{}")
    assert sorted(group["members"]) == sorted(f"job-{sha[-6:]}" for sha in shas) and group["revision"] == 8
    assert len(records(gl)) == 16  # each process: one record, one group write


def test_a_reporter_token_reads_but_cannot_write_and_says_what_it_needs(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gl = fake_gitlab
    store_of(gl, tmp_path).record(run(1), "main")
    store = store_of(gl, tmp_path, token=gl.reporter_token)
    assert [entry.head_sha for entry in store.index(KEY, "main")] == [run(1).head_sha]
    with pytest.raises(CmlError) as caught:
        store.record(run(2), "main")
    assert str(caught.value) == (
        f"GitLab: recording the results on branch '{BRANCH}' failed: 403 403 Forbidden - You are not allowed to push "
        f"into this branch (the token needs the 'api' scope and a role allowed to push to '{BRANCH}': Developer, or "
        "what the branch's protection asks; or store: off)"
    )


def test_a_protected_store_branch_refuses_a_developer(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    store_of(gl, tmp_path).record(run(1), "main")
    gl.protect_branch(42, BRANCH)  # Maintainers only
    with pytest.raises(CmlError, match="You are not allowed to push into this branch"):
        store_of(gl, tmp_path, token=gl.user_token).record(run(2), "main")  # alice: Developer
    store_of(gl, tmp_path).record(run(3), "main")  # the project bot: Maintainer
    assert index_shas(gl) == [run(1).head_sha, run(3).head_sha]


def test_the_store_refuses_the_default_branch_before_any_request(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    options = ForgeOptions(assets_branch="main")
    forge = fixtures.gitlab_forge(gl, tmp_path, mr=False, options=options, CI_DEFAULT_BRANCH="main")
    with pytest.raises(CmlError, match="assets-branch"):
        forge.results_branch()
    assert gl.requests == []


def test_a_branch_that_never_stops_moving_fails_after_the_time_budget(
    fake_gitlab: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gl = fake_gitlab
    store_of(gl, tmp_path).record(run(1), "main")
    monkeypatch.setattr(gitlab_store, "RACE_BUDGET_SECONDS", 0.5)
    index = layout.index_path(KEY, "main")
    gl.faults.add("POST", COMMITS + "$", "hook", times=10**6, hook=lambda fake: fake.commit_files(42, BRANCH, {
        index: b'{"format": 1, "entries": []}'}))  # fmt: skip
    clock = FakeClock()  # only the store's sleeps move it
    forge = fixtures.gitlab_forge(gl, tmp_path, mr=False, CI_DEFAULT_BRANCH="main")
    branch = gitlab_store.GitLabStoreBranch(forge._gl, project_id="42", branch=BRANCH, start_from=("start_branch",
                                            "main"), retrier=forge.retrier, sleep=clock.sleep, clock=clock)  # fmt: skip
    gl.clear_requests()
    with pytest.raises(CmlError) as caught:
        ResultStore(branch).record(run(2), "main")
    rounds = len(gl.api_requests("POST", COMMITS + "$"))
    assert str(caught.value) == (
        f"GitLab: recording the results on branch '{BRANCH}' failed: the branch kept moving under us for 0.5 s "
        f"({rounds} attempts; re-run the job, or use a separate assets-branch per pipeline)"
    )
    assert sum(clock.sleeps) == pytest.approx(0.5) and max(clock.sleeps) <= 0.02 and rounds > 10
