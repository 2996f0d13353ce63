"""The GitLab CI/CD run context, from the predefined `CI_*` variables alone (no request, no URL probing).

Facts used (GitLab docs, "Predefined CI/CD variables" and "Merge request pipelines"):
- `CI_API_V4_URL` / `CI_SERVER_URL` point at the instance that runs the job, self-managed included.
- `CI_MERGE_REQUEST_IID` and `CI_MERGE_REQUEST_DIFF_BASE_SHA` exist only in merge request pipelines
  (`CI_PIPELINE_SOURCE == "merge_request_event"`); the diff base is what the MR's "Changes" tab compares with.
- `CI_COMMIT_BEFORE_SHA` is the previous tip of the branch, all zeros for a new branch or a non-push pipeline.
- In a fork's MR pipeline that runs in the fork, `CI_PROJECT_ID` is the fork (the MR source project) while
  `CI_MERGE_REQUEST_PROJECT_ID` is the target project; the fork's variables cannot write to the target.
- `CI_JOB_TOKEN` cannot create notes, uploads or commit statuses (it is limited to the endpoints listed in
  "GitLab CI/CD job token"); GitLab answers such a request 401, so we refuse it before any request.
- Runners clone with `GIT_DEPTH` 20 by default ("Shallow cloning").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cml_action.context import RunContext, required_env
from cml_action.errors import CmlError
from cml_action.gitrepo import ZERO_SHA
from cml_action.surface import current

MR_EVENT = "merge_request_event"
PREVIOUS_COMMIT = "HEAD~1"
# Variables that may hold a usable token, best first (CML users have REPO_TOKEN or GITLAB_TOKEN set already).
TOKEN_VARIABLES = ("CML_TOKEN", "REPO_TOKEN", "GITLAB_TOKEN")
# token_source when the only credential around is the job token: the forge's preflight explains the fix.
JOB_TOKEN_SOURCE = "CI_JOB_TOKEN"
# Stable stand-in for GitHub's workflow name in the sticky key: GitLab has one pipeline configuration per project.
WORKFLOW_NAME = "gitlab-ci"


def _required(env: Mapping[str, str], name: str) -> str:
    return required_env(env, name, inside="a GitLab CI/CD job")


def pick_token(env: Mapping[str, str], given: str) -> tuple[str, str]:
    """(token, where it came from). The job token is never returned: it cannot write notes (see module doc)."""
    job_token = env.get("CI_JOB_TOKEN", "").strip()
    candidates: list[tuple[str, str]] = []
    if given.strip():
        # Settings fill `token` from INPUT_TOKEN (the template's input) or CML_TOKEN; name the right one.
        source = next((name for name in TOKEN_VARIABLES if env.get(name, "").strip() == given.strip()), "")
        candidates.append((given.strip(), source or current().setting("token")))
    candidates += [(env.get(name, "").strip(), name) for name in TOKEN_VARIABLES]
    for value, source in candidates:
        if not value:
            continue
        if job_token and value == job_token:
            return "", f"{JOB_TOKEN_SOURCE} (given as {source})"
        return value, source
    return "", JOB_TOKEN_SOURCE if job_token else ""


def _baseline(env: Mapping[str, str], is_mr: bool) -> tuple[str, ...]:
    if is_mr:
        diff_base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "").strip()
        return (diff_base,) if diff_base else (PREVIOUS_COMMIT,)
    before = env.get("CI_COMMIT_BEFORE_SHA", "").strip()
    if before and before != ZERO_SHA:
        return (before, PREVIOUS_COMMIT)
    return (PREVIOUS_COMMIT,)


def _mr_iid(env: Mapping[str, str]) -> int | None:
    raw = env.get("CI_MERGE_REQUEST_IID", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise CmlError(f"CI_MERGE_REQUEST_IID is '{raw}', not a number (leave it to GitLab to set)")
    return int(raw)


def _runs_in_fork(env: Mapping[str, str]) -> bool:
    source = env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "").strip()
    target = env.get("CI_MERGE_REQUEST_PROJECT_ID", "").strip()
    return bool(source and target and source != target and env.get("CI_PROJECT_ID", "").strip() == source)


def gitlab_context(env: Mapping[str, str], workspace: Path, *, head_sha: str = "", token: str = "") -> RunContext:
    """Build the RunContext of a GitLab CI/CD job; `head_sha` / `token` are the inputs (empty: from the env)."""
    api_url = _required(env, "CI_API_V4_URL").rstrip("/")
    server_url = (env.get("CI_SERVER_URL", "").strip() or api_url.removesuffix("/api/v4")).rstrip("/")
    project_id = _required(env, "CI_PROJECT_ID")
    sha = head_sha.strip() or env.get("CI_COMMIT_SHA", "").strip()
    if not sha:
        raise CmlError("CI_COMMIT_SHA is not set (run inside a GitLab CI/CD job, or set the 'head-sha' input)")
    iid = _mr_iid(env)
    event = env.get("CI_PIPELINE_SOURCE", "").strip() or ("merge_request_event" if iid else "push")
    chosen_token, source = pick_token(env, token)
    return RunContext(
        forge="gitlab",
        workspace=workspace,
        head_sha=sha,
        event=event,
        repo=env.get("CI_PROJECT_PATH", "").strip(),
        project_id=project_id,
        api_url=api_url,
        server_url=server_url,
        token=chosen_token,
        token_source=source,
        pr_number=iid,
        baseline_candidates=_baseline(env, is_mr=iid is not None),
        is_fork=_runs_in_fork(env),
        run_url=env.get("CI_PIPELINE_URL", "").strip(),
        workflow=WORKFLOW_NAME,
        job=env.get("CI_JOB_NAME", "").strip() or "report",
        run_id=env.get("CI_PIPELINE_ID", "").strip(),
        job_url=env.get("CI_JOB_URL", "").strip(),
        default_branch=env.get("CI_DEFAULT_BRANCH", "").strip(),
        branch=(env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or env.get("CI_COMMIT_BRANCH") or "").strip(),
    )
