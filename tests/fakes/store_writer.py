"""One job recording one run in the results store, as its own process (the concurrency tests start 8 at once):

    python -m tests.fakes.store_writer github|gitlab|local <api url> <token> <repo, project id or workspace> <key> <sha>

Races are backed off for at most 0.2 s here (the product waits up to 8 s), so that 8 processes finish in seconds.
Exit 0 when the run was recorded; 1 with the one-line error otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import ForgeOptions
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore

FAST_BACKOFF_CAP = 0.2


def results_branch(forge: str, api_url: str, token: str, where: str) -> object:
    options = ForgeOptions(write_interval=0.0, timeout=10.0, max_attempts=6, max_backoff=0.05)
    if forge == "github":
        from cml_action.forges.github import branch
        from cml_action.forges.github.forge import GitHubForge

        branch.REF_RACE_BACKOFF_CAP_SECONDS = FAST_BACKOFF_CAP
        branch.REF_RACE_BACKOFF_BASE_SECONDS = FAST_BACKOFF_CAP / 8
        ctx = RunContext("github", Path("."), "0" * 40, repo=where, api_url=api_url, server_url=api_url, token=token,
                         default_branch="main")  # fmt: skip
        return GitHubForge(ctx, options).results_branch()
    if forge == "gitlab":
        from cml_action.forges.gitlab import store
        from cml_action.forges.gitlab.forge import GitLabForge

        store.RACE_BACKOFF_CAP_SECONDS = FAST_BACKOFF_CAP
        ctx = RunContext("gitlab", Path("."), "0" * 40, project_id=where, api_url=api_url,
                         server_url=api_url.removesuffix("/api/v4"), token=token, default_branch="main")  # fmt: skip
        return GitLabForge(ctx, options).results_branch()
    from cml_action.forges.local.forge import LocalForge

    return LocalForge(RunContext("local", Path(where), "0" * 40), options).results_branch()


def main(argv: list[str]) -> int:
    forge, api_url, token, where, key, sha = argv
    store = ResultStore(results_branch(forge, api_url, token, where))  # type: ignore[arg-type]
    run = StoredRun(key=key, head_sha=sha, time="2026-12-07T00:00:00Z", branch="main", event="push",
                    metrics={"metrics.json": {"acc": int(sha[:6], 16) / 2**24}})  # fmt: skip
    try:
        store.record(run, "main")
        store.join_group("matrix", StoredRun(key=f"job-{sha[-6:]}", head_sha="f" * 40, time=run.time, section=sha))
    except CmlError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
