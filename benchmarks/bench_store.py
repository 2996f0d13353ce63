"""Benchmark: what the results store costs on each forge, in requests and wall time (docs/store.md quotes it).

Against the fake GitHub and the fake GitLab (loopback, so the times are the client's and the fake's work, not a
network's) and the local forge's git branch: the first record (the branch is created), a record on an existing
branch, a read of an index and of a run document; then 8 writers at once (threads) recording on one branch.
Writes are not paced here (`write_interval` 0); on GitHub the action spaces content writes 1 s apart, and of a
record's writes only the ref update is paced, so a record adds at most 1 s of waiting there.

Run: .venv/bin/python benchmarks/bench_store.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cml_action.context import RunContext  # noqa: E402
from cml_action.forges.base import ForgeOptions  # noqa: E402
from cml_action.forges.github.forge import GitHubForge  # noqa: E402
from cml_action.forges.gitlab.forge import GitLabForge  # noqa: E402
from cml_action.forges.local.forge import LocalForge  # noqa: E402
from cml_action.store.branch import BranchFiles  # noqa: E402
from cml_action.store.model import StoredRun  # noqa: E402
from cml_action.store.records import ResultStore  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.gitlab import FakeGitLab  # noqa: E402

KEY = "cml/report"
OPTIONS = ForgeOptions(write_interval=0.0, timeout=10.0, max_backoff=0.05)


def stored(number: int) -> StoredRun:
    metrics = {"metrics.json": {"accuracy": number / 1000, "loss": 1 - number / 1000, "f1": 0.5}}
    return StoredRun(key=KEY, head_sha=f"{number:040x}", time="2026-12-07T00:00:00Z", branch="main", event="push",
                     run_id=str(number), metrics=metrics, section="## Report\n\n| metric | value |\n")  # fmt: skip


def measure(count: Callable[[], int], action: Callable[[], object], repeat: int) -> tuple[int, float]:
    """(requests of one call, median milliseconds) over `repeat` calls."""
    spans, requests = [], []
    for _ in range(repeat):
        before, started = count(), time.perf_counter()
        action()
        spans.append((time.perf_counter() - started) * 1000)
        requests.append(count() - before)
    return max(requests), statistics.median(spans)


def report(name: str, branch: Callable[[], BranchFiles], count: Callable[[], int], repeat: int) -> None:
    store = ResultStore(branch())
    first = measure(count, lambda: store.record(stored(1), "main"), 1)
    numbers = iter(range(2, 10_000))
    record = measure(count, lambda: store.record(stored(next(numbers)), "main"), repeat)
    index = measure(count, lambda: store.index(KEY, "main"), repeat)
    one = measure(count, lambda: store.run(KEY, stored(2).head_sha), repeat)
    members = iter(StoredRun(key=f"job-{n}", head_sha="f" * 40, time="2026-12-07T00:00:00Z") for n in range(repeat))
    join = measure(count, lambda: store.join_group("matrix", next(members)), repeat)
    before, started = count(), time.perf_counter()
    threads = [threading.Thread(target=ResultStore(branch()).record, args=(stored(5000 + n), "main")) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    racing = (count() - before, (time.perf_counter() - started) * 1000)
    landed = len([e for e in store.index(KEY, "main") if int(e.head_sha, 16) >= 5000])
    print(f"{name}:")
    for label, (requests, ms) in (("first record (creates the branch)", first), ("record", record),
                                  ("read the index", index), ("read a run", one), ("join a group", join)):  # fmt: skip
        print(f"  {label:<34} {requests:>2} requests  {ms:7.1f} ms")
    print(f"  8 writers at once                  {racing[0]:>3} requests  {racing[1]:7.1f} ms, {landed}/8 landed")


@contextmanager
def local_repo() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cml-bench-store-") as folder:
        subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
        yield Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    from cml_action.forges.github import branch as github_branch
    from cml_action.forges.gitlab import store as gitlab_store

    # Lost races back off for milliseconds here (the action: up to 8 s), so the 8 writers measure requests, not waits.
    github_branch.REF_RACE_BACKOFF_CAP_SECONDS = gitlab_store.RACE_BACKOFF_CAP_SECONDS = 0.05
    with FakeGitHub(validate_responses=False) as gh:
        ctx = RunContext("github", ROOT, gh.main_sha, repo=gh.repo, api_url=gh.api_url, server_url=gh.server_url,
                         token=gh.app_token, default_branch="main")  # fmt: skip
        report("GitHub (Git Data API, contents API)", lambda: GitHubForge(ctx, OPTIONS).results_branch(),
               lambda: len(gh.requests), repeat)  # fmt: skip
    with FakeGitLab() as gl:
        ctx = RunContext("gitlab", ROOT, gl.head_sha, project_id="42", api_url=gl.api_url, server_url=gl.server_url,
                         token=gl.project_token, default_branch="main")  # fmt: skip
        report("GitLab (Files API, Commits API)", lambda: GitLabForge(ctx, OPTIONS).results_branch(),
               lambda: len(gl.requests), repeat)  # fmt: skip
    with local_repo() as folder:
        local = RunContext("local", folder, "0" * 40)
        report("local (git plumbing; counts are not requests)", lambda: LocalForge(local, OPTIONS).results_branch(),
               lambda: 0, repeat)  # fmt: skip


if __name__ == "__main__":
    main()
