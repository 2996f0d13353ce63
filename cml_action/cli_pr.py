"""`cml pr create [PATH ...]`: commit the files a job changed to a new branch and open a pull/merge request.

What CML 0.20 did, with its flags, and two differences that matter in CI:
- The checkout is left as it is: the commit is built in a temporary index on top of the reported commit, so the
  job's working tree, branch and index are untouched (CML checked out new branches in the workspace).
- The token travels in one git command's configuration (an `Authorization` header for the remote's URL), never
  in `.git/config` or a remote URL.
Running it twice for the same commit prints the same pull request: the branch `<target>-cml-pr-<sha8>` exists,
so nothing is pushed again and the open pull request of that branch is found.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_action import gitrepo
from cml_action.cli_repo import DEFAULT_USER_EMAIL, DEFAULT_USER_NAME
from cml_action.errors import CmlError
from cml_action.forges.base import MergeMethod, OpensPullRequests, PullRequestRequest

DEFAULT_PATHS = ("dvc.lock", ".gitignore")  # CML's default when no path is given
ENV_PREFIX = "CML_PR"


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    pr = sub.add_parser("pr", help="Pull/merge request commands (CML-compatible).")
    pr_sub = pr.add_subparsers(dest="pr_command", required=True, metavar="COMMAND")
    create = pr_sub.add_parser("create", help="Commit changed files to a new branch and open a pull request.",
                               description=__doc__.split("\n\n")[0] if __doc__ else None)  # fmt: skip
    create.add_argument("paths", nargs="*", metavar="PATH",
                        help="Files or globs to commit (default: dvc.lock .gitignore).")  # fmt: skip
    create.add_argument("--md", action="store_true", help="Print a markdown link instead of the URL.")
    merge = create.add_mutually_exclusive_group()
    merge.add_argument("--merge", "--auto-merge", dest="merge", action="store_const", const="merge",
                       help="Merge the pull request once the forge allows it.")  # fmt: skip
    merge.add_argument("--rebase", dest="merge", action="store_const", const="rebase", help="Same, rebase-merging.")
    merge.add_argument("--squash", dest="merge", action="store_const", const="squash", help="Same, squash-merging.")
    create.add_argument("--skip-ci", action="store_true", help="Add [skip ci] to the commit message.")
    create.add_argument("--branch", default=None, help="Branch to create (default: <target>-cml-pr-<sha8>).")
    create.add_argument("--target-branch", default=None, help="Branch to merge into (default: the job's branch).")
    create.add_argument("--title", default=None, help="Pull request title.")
    create.add_argument("--body", default=None, help="Pull request description.")
    create.add_argument("--message", default=None, help="Commit message (default: 'CML PR for <sha8>').")
    create.add_argument("--remote", default="origin", help="Git remote to push to (default: origin).")
    create.add_argument("--user-name", default=None, help=f"Commit author name (default: {DEFAULT_USER_NAME}).")
    create.add_argument("--user-email", default=None, help=f"Commit author email (default: {DEFAULT_USER_EMAIL}).")
    create.add_argument("--token", "--repo-token", "--driver-token", dest="token", default=None,
                        help="Forge token (default: as 'cml comment create').")  # fmt: skip
    create.add_argument("--forge", default=None, choices=("auto", "github", "gitlab"), help=argparse.SUPPRESS)
    for ignored in ("--repo", "--driver", "--log"):  # CML's global options: the CI environment already says
        create.add_argument(ignored, default=None, help=argparse.SUPPRESS)


@dataclass(frozen=True)
class Plan:
    workspace: Path
    base_sha: str  # the commit the new branch starts from
    target: str
    source: str
    paths: tuple[str, ...]
    remote: str


def pr_create_command(args: argparse.Namespace, env: dict[str, str] | None = None) -> int:
    environ = dict(os.environ if env is None else env)
    _apply_env_defaults(args, environ)
    workspace = Path(os.getcwd()).resolve()
    if not gitrepo.is_git_repo(workspace):
        raise CmlError(f"cml pr create: {workspace} is not a git checkout")
    forge, ctx_sha, repo_url = _open_forge(args, environ)
    changed = _changed_paths(workspace, tuple(args.paths) or DEFAULT_PATHS)
    if not changed:
        print("cml pr create: none of the given paths changed: nothing to do", file=sys.stderr)
        return 0
    plan = _plan(args, environ, workspace, ctx_sha, changed)
    user, password = forge.git_credentials()
    auth = _auth_env(gitrepo.git(workspace, "remote", "get-url", "--", plan.remote).decode().strip(), user, password)
    if not _remote_has_branch(plan, auth):
        _push_branch(plan, args, auth)
    short = plan.base_sha[:8]
    request = PullRequestRequest(
        source=plan.source,
        target=plan.target,
        title=args.title or f"CML PR for {plan.target} {short}",
        body=args.body or f"Automated commits for {repo_url}/commit/{plan.base_sha} created by cml-action.",
        auto_merge=args.merge,
    )
    published, note = forge.open_pull_request(request)
    if note:
        print(note, file=sys.stderr)
    print(f"[CML's {forge.traits.pull_request_noun}]({published.url})" if args.md else published.url, flush=True)
    return 0


def _apply_env_defaults(args: argparse.Namespace, env: dict[str, str]) -> None:
    """CML_PR_* variables (CML's yargs `.env('CML_PR')`) for options not given as flags."""
    for name in ("branch", "target_branch", "title", "body", "message", "user_name", "user_email"):
        if getattr(args, name) is None and env.get(f"{ENV_PREFIX}_{name.upper()}", "").strip():
            setattr(args, name, env[f"{ENV_PREFIX}_{name.upper()}"])
    for method in ("merge", "rebase", "squash"):
        if args.merge is None and env.get(f"{ENV_PREFIX}_{method.upper()}", "").lower() in ("1", "true"):
            args.merge = method
    if not args.skip_ci and env.get(f"{ENV_PREFIX}_SKIP_CI", "").lower() in ("1", "true"):
        args.skip_ci = True


def _open_forge(args: argparse.Namespace, env: dict[str, str]) -> tuple[OpensPullRequests, str, str]:
    from cml_action.cli_compat_run import open_session

    namespace = argparse.Namespace(token=args.token, forge=args.forge, output_dir=None, max_image_width=None)
    session = open_session(namespace, env=env)
    forge: Any = session.forge
    if not hasattr(forge, "open_pull_request"):
        raise CmlError("cml pr create opens a pull request on GitHub or GitLab: run it in their CI jobs")
    forge.preflight(wants_comment=True, wants_check=False, wants_images=False)  # a usable token, before any push
    ctx = session.ctx
    return forge, ctx.head_sha, f"{ctx.server_url.rstrip('/')}/{ctx.repo}"


def _changed_paths(workspace: Path, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Changed, added or deleted files (tracked or not) matching the paths or globs, as git names them."""
    specs = [
        f":(glob){pattern}" if any(c in pattern for c in "*?[") else f":(literal){pattern}" for pattern in patterns
    ]
    out = gitrepo.git(workspace, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *specs)
    entries = [entry for entry in out.decode("utf-8", "surrogateescape").split("\0") if entry]
    paths = []
    skip_next = False
    for entry in entries:
        if skip_next:  # the old name of a rename follows its entry
            skip_next = False
            continue
        skip_next = entry[0] in "RC"
        paths.append(entry[3:])
    return tuple(sorted(set(paths)))


def _plan(args: argparse.Namespace, env: dict[str, str], workspace: Path, head_sha: str,
          paths: tuple[str, ...]) -> Plan:  # fmt: skip
    base = gitrepo.rev_parse(workspace, head_sha) if head_sha else None
    base = base or gitrepo.rev_parse(workspace, "HEAD")
    if base is None:
        raise CmlError("cml pr create: the checkout has no commit to start the branch from")
    target = args.target_branch or _job_branch(env, workspace)
    source = args.branch or f"{target}-cml-pr-{base[:8]}"
    for flag, name in (("--target-branch", target), ("--branch", source)):
        done = gitrepo.git(workspace, "check-ref-format", "--branch", name, check=False)
        if not done.strip() or name.startswith("-"):
            raise CmlError(f"{flag}: '{name}' is not a valid branch name")
    return Plan(workspace, base, target, source, paths, args.remote)


def _job_branch(env: dict[str, str], workspace: Path) -> str:
    """The branch the job ran for: a PR's head branch, else the pushed branch, else the checkout's branch."""
    for name in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH", "GITHUB_REF_NAME"):
        if env.get(name, "").strip():
            return env[name].strip()
    current = gitrepo.git(workspace, "branch", "--show-current", check=False).decode().strip()
    if not current:
        raise CmlError("cml pr create: no branch to merge into (detached checkout): pass --target-branch")
    return current


def _auth_env(url: str, user: str, password: str) -> dict[str, str]:
    """Config for one git command: our Authorization header for the remote's host, replacing any other one (the
    one actions/checkout persists) so that exactly one is sent."""
    if not url.startswith(("https://", "http://")) or not password:
        return {}
    scheme, rest = url.split("://", 1)
    key = f"http.{scheme}://{rest.split('/', 1)[0]}/.extraheader"
    credentials = base64.b64encode(f"{user}:{password}".encode()).decode()
    pairs = [(key, ""), (key, f"AUTHORIZATION: basic {credentials}")]
    env = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for index, (name, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{index}"] = name
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _remote_has_branch(plan: Plan, auth: dict[str, str]) -> bool:
    out = _git(plan.workspace, auth, "ls-remote", "--heads", "--", plan.remote, f"refs/heads/{plan.source}")
    return bool(out.strip())


def _push_branch(plan: Plan, args: argparse.Namespace, auth: dict[str, str]) -> None:
    message = args.message or f"CML PR for {plan.base_sha[:8]}"
    if args.skip_ci and "[skip ci]" not in message:
        message += " [skip ci]"
    identity = {
        "GIT_AUTHOR_NAME": args.user_name or DEFAULT_USER_NAME,
        "GIT_AUTHOR_EMAIL": args.user_email or DEFAULT_USER_EMAIL,
        "GIT_COMMITTER_NAME": args.user_name or DEFAULT_USER_NAME,
        "GIT_COMMITTER_EMAIL": args.user_email or DEFAULT_USER_EMAIL,
    }
    with tempfile.TemporaryDirectory(prefix="cml-pr-") as scratch:
        # A private index: the job's own index, branch and working tree stay exactly as they were.
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(plan.workspace, index, "read-tree", plan.base_sha)
        _git(plan.workspace, index, "add", "--all", "--", *plan.paths)
        tree = _git(plan.workspace, index, "write-tree").strip()
        commit = _git(plan.workspace, identity, "commit-tree", tree, "-p", plan.base_sha, "-m", message).strip()
    _git(plan.workspace, auth, "push", "--quiet", "--", plan.remote, f"{commit}:refs/heads/{plan.source}")


def _git(workspace: Path, extra_env: dict[str, str], *args: str) -> str:
    """git with extra variables for this one command (a private index, an identity, the remote's credentials)."""
    return gitrepo.git(workspace, *args, extra_env=extra_env).decode()


__all__ = ["MergeMethod", "add_parsers", "pr_create_command"]
