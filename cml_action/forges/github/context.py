"""The GitHub Actions run context: repository, commit, PR and baseline from `GITHUB_*` env and the event payload.

Facts used (GitHub docs, "Variables" and "Events that trigger workflows"):
- `GITHUB_EVENT_PATH` holds the webhook payload of the triggering event.
- For `pull_request` / `pull_request_target`, `GITHUB_SHA` is the merge commit (or the base branch tip); the
  commit the PR shows is `pull_request.head.sha`.
- `push` payloads carry `before`, all zeros when the branch was just created.
- `GITHUB_API_URL` / `GITHUB_SERVER_URL` point at the right host on GitHub Enterprise Server; the defaults below are
  used only when they are unset (a local run of the action).
- `actions/checkout` fetches depth 1 by default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard

from cml_action.context import RunContext, required_env
from cml_action.errors import CmlError
from cml_action.gitrepo import ZERO_SHA
from cml_action.surface import current
from cml_action.workspace import MIB, UnreadableFile, read_regular

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
PR_EVENTS = ("pull_request", "pull_request_target")
# checkout's default fetch-depth on GitHub.
PREVIOUS_COMMIT = "HEAD~1"
# GitHub caps webhook payloads at 25 MB; a bigger (or endless, /dev/zero) "payload" is not an event.
MAX_EVENT_BYTES = 32 * MIB


def _required(env: Mapping[str, str], name: str) -> str:
    return required_env(env, name, inside="GitHub Actions")


def read_event_payload(env: Mapping[str, str]) -> dict[str, Any]:
    """The event payload as a dict; one clear line when it is missing or not a JSON object."""
    path_text = env.get("GITHUB_EVENT_PATH", "").strip()
    if not path_text:
        raise CmlError(
            "GITHUB_EVENT_PATH is not set (run inside GitHub Actions, or point GITHUB_EVENT_PATH at an event JSON file)"
        )
    path = Path(path_text)
    try:
        raw = read_regular(path, MAX_EVENT_BYTES)
    except UnreadableFile as exc:
        raise CmlError(
            f"the event payload {path} {exc.problem} (GITHUB_EVENT_PATH must name a readable file of at most "
            f"{MAX_EVENT_BYTES // MIB} MiB)"
        ) from None
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise CmlError(
            f"the event payload {path} is not valid JSON: {exc} (GITHUB_EVENT_PATH must hold the webhook JSON)"
        ) from None
    if not isinstance(payload, dict):
        raise CmlError(f"the event payload {path} is not a JSON object (GITHUB_EVENT_PATH must hold the webhook JSON)")
    return payload


def _dig(payload: Mapping[str, Any], *keys: str) -> Any:
    node: Any = payload
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_number(value: object) -> TypeGuard[int]:
    """A PR number: a positive int. `true` is an int in Python (bool subclasses int) but not a PR number."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _pull_request_facts(event: str, payload: Mapping[str, Any]) -> tuple[int, str, str, bool]:
    """(number, head sha, base sha, is_fork) of a pull_request* payload."""
    number = _dig(payload, "pull_request", "number") or payload.get("number")
    head = _dig(payload, "pull_request", "head", "sha")
    base = _dig(payload, "pull_request", "base", "sha")
    if not _is_number(number) or not isinstance(head, str) or not isinstance(base, str):
        raise CmlError(
            f"the {event} event payload lacks pull_request.number/head.sha/base.sha "
            "(GITHUB_EVENT_PATH must hold the webhook JSON of this event)"
        )
    head_repo = _dig(payload, "pull_request", "head", "repo", "full_name")
    base_repo = _dig(payload, "pull_request", "base", "repo", "full_name")
    # A deleted fork leaves head.repo null: still not our repository. Only `pull_request` gets the read-only
    # token for forks; `pull_request_target` runs in the base repository with its normal token.
    is_fork = event == "pull_request" and head_repo != base_repo
    return number, head, base, is_fork


def _push_baseline(payload: Mapping[str, Any]) -> tuple[str, ...]:
    before = payload.get("before")
    if isinstance(before, str) and before and before != ZERO_SHA:
        return (before,)
    return (PREVIOUS_COMMIT,)


def _workflow_run_facts(payload: Mapping[str, Any]) -> tuple[str, int | None]:
    """(head sha, first PR number) of a workflow_run payload: the run that triggered us, not the default branch."""
    head = _dig(payload, "workflow_run", "head_sha")
    pulls = _dig(payload, "workflow_run", "pull_requests")
    number = None
    if isinstance(pulls, list) and pulls and isinstance(pulls[0], Mapping) and _is_number(pulls[0].get("number")):
        number = pulls[0]["number"]
    return (head if isinstance(head, str) else ""), number


def github_context(env: Mapping[str, str], workspace: Path, *, head_sha: str = "", token: str = "") -> RunContext:
    """Build the RunContext of a GitHub Actions run; `head_sha` / `token` are the inputs (empty: from the env)."""
    repo = _required(env, "GITHUB_REPOSITORY")
    event = _required(env, "GITHUB_EVENT_NAME")
    payload = read_event_payload(env)
    server_url = (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")

    event_head = env.get("GITHUB_SHA", "").strip()
    pr_number: int | None = None
    merge_base_of: tuple[str, str] | None = None
    candidates: tuple[str, ...] = (PREVIOUS_COMMIT,)
    is_fork = False
    if event in PR_EVENTS:
        pr_number, event_head, base_sha, is_fork = _pull_request_facts(event, payload)
        merge_base_of = (base_sha, head_sha or event_head)
        candidates = ()
    elif event == "push":
        candidates = _push_baseline(payload)
    elif event == "workflow_run":
        run_head, pr_number = _workflow_run_facts(payload)
        event_head = run_head or event_head

    sha = head_sha.strip() or event_head
    if not sha:
        raise CmlError("GITHUB_SHA is not set and the event names no commit (set the 'head-sha' input)")
    if merge_base_of is not None:
        merge_base_of = (merge_base_of[0], sha)

    run_id = env.get("GITHUB_RUN_ID", "")
    given_token = token.strip()
    return RunContext(
        forge="github",
        workspace=workspace,
        head_sha=sha,
        event=event,
        repo=repo,
        api_url=api_url,
        server_url=server_url,
        token=given_token or env.get("GITHUB_TOKEN", "").strip(),
        token_source=current().setting("token") if given_token else "GITHUB_TOKEN",
        pr_number=pr_number,
        baseline_candidates=candidates,
        merge_base_of=merge_base_of,
        is_fork=is_fork,
        run_url=f"{server_url}/{repo}/actions/runs/{run_id}" if run_id else "",
        workflow=env.get("GITHUB_WORKFLOW") or "cml",
        job=env.get("GITHUB_JOB") or "report",
        run_id=run_id,
        default_branch=_text(_dig(payload, "repository", "default_branch")),
        branch=_branch(env),
    )


def _branch(env: Mapping[str, str]) -> str:
    """The pushed branch, or a pull request's head branch (GITHUB_HEAD_REF); "" for a tag."""
    head_ref = env.get("GITHUB_HEAD_REF", "").strip()
    if head_ref:
        return head_ref
    ref = env.get("GITHUB_REF", "").strip()
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""
