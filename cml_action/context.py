"""Where we run: which forge, which repository and commit, which PR/MR, what to compare against.

`detect()` picks the CI from the environment and delegates to `forges.github.context` / `forges.gitlab.context`;
with no CI env the local context is used (compare the working tree with HEAD, like DVC).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from cml_action import gitrepo
from cml_action.errors import CmlError, InputError

ForgeName = Literal["local", "github", "gitlab"]


@dataclass(frozen=True)
class RunContext:
    forge: ForgeName
    workspace: Path
    head_sha: str  # the commit reported on (the working tree is "current")
    event: str = "local"  # push, pull_request, merge_request_event, ...
    repo: str = ""  # owner/name (GitHub) or group/project path (GitLab)
    project_id: str = ""  # GitLab CI_PROJECT_ID
    api_url: str = ""
    server_url: str = ""
    token: str = field(default="", repr=False)
    token_source: str = ""  # which variable held the token (for error messages)
    pr_number: int | None = None  # PR (GitHub) or MR IID (GitLab) from the event
    baseline_candidates: tuple[str, ...] = ()  # refs/shas to try for baseline 'auto', best first
    merge_base_of: tuple[str, str] | None = None  # (base sha, head sha): baseline is their merge-base
    is_fork: bool = False  # PR from a fork: the token is read-only
    run_url: str = ""
    workflow: str = "cml"
    job: str = "report"
    run_id: str = ""
    job_url: str = ""
    default_branch: str = ""  # the repository's default branch, when the CI says (never an assets branch)
    branch: str = ""  # the branch pushed to, or a pull request's head branch ("" for tags and unknown)

    def key(self, template: str) -> str:
        """Expand the sticky-report key placeholders."""
        return template.replace("{workflow}", self.workflow).replace("{job}", self.job).replace("{run}", self.run_id)


def required_env(env: Mapping[str, str], name: str, *, inside: str) -> str:
    """A CI variable that must be set; one clear line when it is not."""
    value = env.get(name, "").strip()
    if not value:
        raise CmlError(f"{name} is not set (run inside {inside}, or export {name} for a local test)")
    return value


def detect_forge(env: Mapping[str, str], requested: str = "auto") -> ForgeName:
    if requested in ("local", "github", "gitlab"):
        return requested  # type: ignore[return-value]
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return "local"


def workspace_from_env(env: Mapping[str, str]) -> Path:
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        if env.get(name):
            return Path(env[name])
    return Path(os.getcwd())


def token_problem(token: str) -> str | None:
    """Why a token cannot go into an Authorization header, without quoting any of it; None when it can.
    Real tokens are one line of visible ASCII; anything else was pasted wrong, and the HTTP library's own
    error would print the header, token included."""
    for position, char in enumerate(token, start=1):
        if char in "\r\n":
            return f"contains a line break (character {position})"
        if not "!" <= char <= "~":
            return f"contains a character that is not visible ASCII (character {position})"
    return None


def check_token(token: str, source: str) -> None:
    problem = token_problem(token)
    if problem:
        where = source or "the 'token' input"
        raise CmlError(f"the token from {where} {problem}; store the token again as one line, exactly as issued")


def detect(env: Mapping[str, str], *, requested_forge: str = "auto", head_sha: str = "", token: str = "") -> RunContext:
    forge = detect_forge(env, requested_forge)
    workspace = workspace_from_env(env).resolve()
    if forge == "github":
        from cml_action.forges.github.context import github_context

        ctx = github_context(env, workspace, head_sha=head_sha, token=token)
        check_token(ctx.token, ctx.token_source)
        return ctx
    if forge == "gitlab":
        from cml_action.forges.gitlab.context import gitlab_context

        ctx = gitlab_context(env, workspace, head_sha=head_sha, token=token)
        check_token(ctx.token, ctx.token_source)
        return ctx
    return local_context(workspace, head_sha=head_sha)


def local_context(workspace: Path, *, head_sha: str = "") -> RunContext:
    if not gitrepo.is_git_repo(workspace):
        raise CmlError(f"{workspace} is not a git repository (run inside a git checkout, or 'git init' first)")
    sha = head_sha or gitrepo.rev_parse(workspace, "HEAD") or ""
    if not sha:
        raise CmlError("the repository has no commits yet (commit once so there is a baseline)")
    return RunContext(forge="local", workspace=workspace, head_sha=sha, baseline_candidates=("HEAD",))


def in_project_folder(ctx: RunContext, folder: str) -> RunContext:
    """The run seen from the project folder (`working-directory`, for monorepos): relative paths in inputs, dvc.yaml
    and every DVC command start there, and nothing outside it is read. It is what `cd folder` does before a run,
    which a Docker action cannot do. Git works from any folder of the checkout, so git calls are unaffected."""
    wanted = folder.strip()
    if wanted in ("", "."):
        return ctx
    root = ctx.workspace.resolve()
    # resolve() follows symlinks: a link inside the checkout that points out of it is outside too.
    path = (root / wanted).resolve()
    if not path.is_relative_to(root):
        fix = "give a folder of the repository checkout, relative to its root"
        raise InputError("working-directory", f"'{wanted}' is outside the workspace", fix)
    if not path.is_dir():
        fix = "give the folder of the project (where its dvc.yaml is), relative to the repository root"
        raise InputError("working-directory", f"'{wanted}' is not a folder in the workspace", fix)
    return replace(ctx, workspace=path)
