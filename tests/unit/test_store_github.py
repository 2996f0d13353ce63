"""The results store on GitHub's assets branch (Git Data API + contents API), against the fake GitHub."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from cml_action.errors import CmlError
from cml_action.forges.base import ForgeOptions
from cml_action.forges.github.branch import BranchWriter
from cml_action.forges.github.failures import describe
from cml_action.forges.github.forge import GitHubForge
from cml_action.forges.github.store import GitHubStoreBranch
from cml_action.store import layout
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.e2e.github_support import calls, context
from tests.fakes.github import FakeGitHub
from tests.forge_support import FakeClock, run_at_once

BRANCH = "cml-assets"
KEY = "cml/report"


def run(sha: str, accuracy: float = 0.9, key: str = KEY, section: str = "") -> StoredRun:
    return StoredRun(key=key, head_sha=sha, time="2026-12-07T00:00:00Z", branch="main", event="push",
                     metrics={"metrics.json": {"accuracy": accuracy}}, section=section)  # fmt: skip


def sha(number: int) -> str:
    return f"{number:040x}"


def forge(gh: FakeGitHub, token: str | None = None, clock: FakeClock | None = None) -> GitHubForge:
    options = ForgeOptions(write_interval=0.0, timeout=5.0, max_attempts=5, max_backoff=0.01)
    ctx = context(gh, token=token or gh.app_token, default_branch="main")
    clock = clock or FakeClock()
    return GitHubForge(ctx, options, sleep=clock.sleep, clock=clock)


def fast_branch(gh: FakeGitHub) -> GitHubStoreBranch:
    """A store branch whose lost races back off for milliseconds (real sleeps: threads really race)."""
    github = forge(gh)
    writer = BranchWriter(github._github(), repo=gh.repo, branch=BRANCH, retrier=github._retrier, what="results",
                          backoff=lambda rounds: random.uniform(0, 0.02))  # fmt: skip
    return GitHubStoreBranch(writer, lambda exc: describe(exc, "results", gh.repo))


def index_shas(gh: FakeGitHub, key: str = KEY) -> list[str]:
    tip = gh.ref(gh.repo, f"heads/{BRANCH}")
    assert tip is not None
    data = json.loads(gh.file_at(gh.repo, tip, layout.index_path(key, "main")))
    return [entry["head_sha"] for entry in data["entries"]]


def store_commits(gh: FakeGitHub) -> list[str]:
    """Messages of the branch's commits, oldest first (first parents from the tip)."""
    messages, commit = [], gh.ref(gh.repo, f"heads/{BRANCH}")
    while commit:
        found = gh.commit(gh.repo, commit)
        messages.append(found["message"].strip())
        commit = found["parents"][0] if found["parents"] else None
    return messages[::-1]


def test_a_recorded_run_reads_back_and_each_operation_costs_what_docs_store_md_says(fake_github: FakeGitHub) -> None:
    gh = fake_github
    store = ResultStore(forge(gh).results_branch())
    store.record(run(sha(1)), "main")  # no branch yet: created as an orphan, nothing read
    assert calls(gh) == [f"GET /commits/{BRANCH}", "POST /git/trees", "POST /git/commits", "POST /git/refs"]
    gh.clear_requests()
    store.record(run(sha(2), 0.95), "main")
    index = f"GET /contents/{layout.index_path(KEY, 'main')}"
    assert calls(gh) == [f"GET /commits/{BRANCH}", index, "POST /git/trees", "POST /git/commits",
                         f"PATCH /git/refs/heads/{BRANCH}"]  # fmt: skip
    first = gh.ref(gh.repo, f"heads/{BRANCH}")
    assert gh.requests[1].query == {"ref": [gh.commit(gh.repo, first or "")["parents"][0]]}  # pinned to the tip read
    gh.clear_requests()
    assert [entry.head_sha for entry in store.index(KEY, "main")] == [sha(1), sha(2)]
    assert store.run(KEY, sha(2)) == run(sha(2), 0.95)
    assert store.run(KEY, sha(3)) is None
    assert calls(gh) == [index, f"GET /contents/{layout.run_path(KEY, sha(2))}",
                         f"GET /contents/{layout.run_path(KEY, sha(3))}"]  # one request per read  # fmt: skip
    assert gh.requests[0].query == {"ref": [BRANCH]}  # a read outside an update names the branch
    assert store_commits(gh) == [
        f"cml-action: record {KEY} at {sha(1)[:7]}",
        f"cml-action: record {KEY} at {sha(2)[:7]}",
    ]
    assert gh.ref(gh.repo, "heads/main") == gh.main_sha  # the default branch is never touched


def test_reads_before_any_write_find_nothing(fake_github: FakeGitHub) -> None:
    store = ResultStore(forge(fake_github).results_branch())
    assert store.index(KEY, "main") == [] and store.run(KEY, sha(1)) is None


def test_a_stale_writer_is_refused_and_rebuilds_on_the_new_tip(fake_github: FakeGitHub) -> None:
    gh = fake_github
    store = ResultStore(forge(gh).results_branch())
    store.record(run(sha(1)), "main")
    other = ResultStore(forge(gh).results_branch())
    # Another job records between our read of the tip and our ref update: our swap must be refused.
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "hook", hook=lambda fake: other.record(run(sha(2)), "main"))
    gh.clear_requests()
    store.record(run(sha(3)), "main")
    patches = gh.api_requests("PATCH", r"/git/refs/heads/cml-assets$")
    assert [p.status for p in patches] == [200, 422, 200]  # the other's, our stale one refused, our rebuilt one
    assert index_shas(gh) == [sha(1), sha(2), sha(3)]  # nothing lost: `change` ran again on the new tip
    assert len(gh.api_requests("GET", r"/contents/results/.*/index/main.json$")) == 3


def test_a_lost_answer_to_the_ref_update_is_found_landed_under_a_newer_commit(fake_github: FakeGitHub) -> None:
    gh = fake_github
    store = ResultStore(forge(gh).results_branch())
    store.record(run(sha(1)), "main")
    other = ResultStore(forge(gh).results_branch())
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "apply_then_drop")  # our swap lands, its answer is lost
    # ... and another job lands on top of it before we look (the look-up is the branch's commit list).
    gh.faults.add("GET", r"/commits$", "hook", hook=lambda fake: other.record(run(sha(2)), "main"))
    store.record(run(sha(3)), "main")
    assert index_shas(gh) == [sha(1), sha(3), sha(2)]
    assert store_commits(gh) == [f"cml-action: record {KEY} at {n[:7]}" for n in (sha(1), sha(3), sha(2))]


def test_eight_writers_at_once_with_502s_and_lost_answers_lose_and_duplicate_nothing(fake_github: FakeGitHub) -> None:
    gh = fake_github
    ResultStore(fast_branch(gh)).record(run(sha(99)), "main")
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "status", status=502, times=3)
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "apply_then_drop", times=2, after=2)
    gh.faults.add("POST", r"/git/commits$", "status", status=502, times=2, after=1)
    gh.faults.add("GET", r"/contents/", "status", status=502, times=2)
    shas = [sha(n) for n in range(1, 9)]
    run_at_once(lambda head: ResultStore(fast_branch(gh)).record(run(head), "main"), shas)
    assert sorted(index_shas(gh)) == sorted([sha(99), *shas])
    # One commit per record: a lost answer to a ref update was found landed, not committed again.
    assert sorted(store_commits(gh)[1:]) == sorted(f"cml-action: record {KEY} at {head[:7]}" for head in shas)
    assert len(gh.api_requests("PATCH", r"/git/refs/")) > 8  # the jobs did race


def test_eight_processes_at_once_lose_nothing(fake_github: FakeGitHub) -> None:
    gh = fake_github
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "status", status=502, times=2, after=3)
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "apply_then_drop", times=1, after=6)
    shas = [sha(n) for n in range(1, 9)]
    root = Path(__file__).resolve().parents[2]
    jobs = [subprocess.Popen([sys.executable, "-m", "tests.fakes.store_writer", "github", gh.api_url, gh.app_token,
                              gh.repo, KEY, head], cwd=root, stderr=subprocess.PIPE, text=True)
            for head in shas]  # fmt: skip
    failures = [job.communicate(timeout=120)[1] for job in jobs if job.wait(timeout=120) != 0]
    assert failures == []
    assert sorted(index_shas(gh)) == shas
    tip = gh.ref(gh.repo, f"heads/{BRANCH}") or ""
    group = json.loads(gh.file_at(gh.repo, tip, layout.group_path("matrix", "f" * 40)))
    assert sorted(group["members"]) == sorted(f"job-{head[-6:]}" for head in shas) and group["revision"] == 8
    assert len(store_commits(gh)) == 16  # each process: one record, one group write


def test_a_read_only_token_reads_but_a_write_fails_with_one_line_naming_the_permission(
    fake_github: FakeGitHub,
) -> None:
    gh = fake_github
    ResultStore(forge(gh).results_branch()).record(run(sha(1)), "main")
    store = ResultStore(forge(gh, token=gh.read_token).results_branch())
    assert [entry.head_sha for entry in store.index(KEY, "main")] == [sha(1)]
    with pytest.raises(CmlError) as caught:
        store.record(run(sha(2)), "main")
    text = str(caught.value)
    assert text.startswith(f"publishing the results to {gh.repo} failed: GitHub answered 403 Resource not accessible")
    assert "`permissions: contents: write`" in text and "\n" not in text


def test_the_store_refuses_the_default_branch_before_any_request(fake_github: FakeGitHub) -> None:
    gh = fake_github
    ctx = context(gh, default_branch="main")
    github = GitHubForge(ctx, ForgeOptions(assets_branch="main", write_interval=0.0))
    with pytest.raises(CmlError, match="assets-branch"):
        github.results_branch()
    assert gh.requests == []


def test_a_record_waits_once_for_githubs_write_pacing_only_before_the_ref_moves(fake_github: FakeGitHub) -> None:
    # GitHub asks >= 1 s between content writes: the tree and the commit are objects nobody sees until the ref
    # moves, so only the ref update (right after another write, as after the report's comment) waits.
    gh, clock = fake_github, FakeClock()
    ctx = context(gh, token=gh.app_token, default_branch="main")
    github = GitHubForge(ctx, ForgeOptions(write_interval=1.0, timeout=5.0), sleep=clock.sleep, clock=clock)
    store = ResultStore(github.results_branch())
    store.record(run(sha(1)), "main")  # creates the branch: its first write waits for nothing
    assert clock.sleeps == []
    store.record(run(sha(2)), "main")  # no time passed since the last write (the fake clock stands still)
    assert clock.sleeps == [pytest.approx(1.0)]
    assert [c for c in calls(gh) if not c.startswith("GET")][-3:] == [
        "POST /git/trees", "POST /git/commits", "PATCH /git/refs/heads/cml-assets"]  # fmt: skip
