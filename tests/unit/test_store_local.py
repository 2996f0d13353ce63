"""The local forge's results store: a branch of the workspace's repository, written with git plumbing only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import ForgeOptions
from cml_action.forges.local.forge import LocalForge
from cml_action.store import layout
from cml_action.store.branch import Read
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.gitutil import commit_files, git, init_repo

KEY = "cml/report"
REF = "refs/heads/cml-assets"


def run(number: int) -> StoredRun:
    return StoredRun(key=KEY, head_sha=(f"{number:x}" * 40)[:40], time="2026-12-07T00:00:00Z", branch="main",
                     metrics={"metrics.json": {"accuracy": number / 10}})  # fmt: skip


def local_store(workspace: Path) -> ResultStore:
    return ResultStore(LocalForge(RunContext("local", workspace, "0" * 40), ForgeOptions()).results_branch())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    workspace = init_repo(tmp_path / "project")
    commit_files(workspace, {"train.py": "print(1)\n", "metrics.json": '{"accuracy": 0.5}\n'})
    (workspace / "metrics.json").write_text('{"accuracy": 0.9}\n')  # an uncommitted change: must stay as it is
    return workspace


def index_shas(workspace: Path) -> list[str]:
    data = json.loads(git(workspace, "cat-file", "blob", f"{REF}:{layout.index_path(KEY, 'main')}"))
    return [entry["head_sha"] for entry in data["entries"]]


def test_a_recorded_run_reads_back_and_nothing_in_the_checkout_changes(repo: Path) -> None:
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    store = local_store(repo)
    assert store.index(KEY, "main") == []  # no branch yet
    store.record(run(1), "main")
    store.record(run(2), "main")
    assert [entry.head_sha for entry in store.index(KEY, "main")] == [run(1).head_sha, run(2).head_sha]
    assert local_store(repo).run(KEY, run(2).head_sha) == run(2)  # a later process reads it back
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")) == (head, status)
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo, "log", "--format=%s", REF).splitlines() == [
        f"cml-action: record {KEY} at 2222222", f"cml-action: record {KEY} at 1111111"]  # fmt: skip
    assert git(repo, "log", "--format=%an", "-1", REF) == "cml-action"
    # The store branch holds only the store: not the project's files.
    assert "train.py" not in git(repo, "ls-tree", "-r", "--name-only", REF).splitlines()


def test_a_stale_writer_is_refused_by_update_ref_and_rebuilt(repo: Path) -> None:
    store, other = local_store(repo), local_store(repo)
    store.record(run(1), "main")
    branch = LocalForge(RunContext("local", repo, "0" * 40), ForgeOptions()).results_branch()
    calls: list[int] = []

    def change(read: Read) -> dict[str, bytes]:
        calls.append(1)
        if len(calls) == 1:
            other.record(run(2), "main")  # another process lands after our read, before our swap
        return {"results/marker.txt": b"ours\n"}

    branch.update("cml-action: test", change)
    assert len(calls) == 2  # refused once, rebuilt on the new tip
    assert index_shas(repo) == [run(1).head_sha, run(2).head_sha]  # the other write survived
    assert git(repo, "cat-file", "blob", f"{REF}:results/marker.txt") == "ours"


def test_eight_processes_at_once_lose_nothing(repo: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    shas = [f"{n:040x}" for n in range(1, 9)]
    jobs = [subprocess.Popen([sys.executable, "-m", "tests.fakes.store_writer", "local", "-", "-", str(repo), KEY,
                              sha], cwd=root, stderr=subprocess.PIPE, text=True) for sha in shas]  # fmt: skip
    failures = [job.communicate(timeout=120)[1] for job in jobs if job.wait(timeout=120) != 0]
    assert failures == []
    assert sorted(index_shas(repo)) == shas
    assert len(git(repo, "log", "--format=%H", REF).splitlines()) == 16  # a record and a group write each


def test_outside_a_git_repository_a_write_fails_with_one_line(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    assert store.index(KEY, "main") == []
    with pytest.raises(CmlError) as caught:
        store.record(run(1), "main")
    assert "not in one (run `git init` there, or store: off)" in str(caught.value)


def test_the_checked_out_branch_is_never_written(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "cml-assets")
    with pytest.raises(CmlError, match="is the checked-out branch"):
        local_store(repo).record(run(1), "main")
