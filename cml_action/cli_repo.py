"""`cml ci` (alias `cml repo prepare`): what CML did to a CI checkout before a job commits or compares history.

- A git identity for commits the job makes (`--user-name`, `--user-email`), written to the repository's own
  config (never the global one), as CML did.
- More history than a CI checkout's depth-1 clone: `--fetch-depth N` deepens to N commits, `--fetch-depth 0`
  (or CML's older `--unshallow`) fetches everything.

Unlike CML, the token is never written into the remote URL in `.git/config` (where any later step, or an uploaded
artifact of the workspace, could read it): the commands that push (`cml pr create`) pass it per command.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cml_action import gitrepo
from cml_action.errors import CmlError

DEFAULT_USER_NAME = "cml-action[bot]"
DEFAULT_USER_EMAIL = "cml-action[bot]@users.noreply.github.com"
DESCRIPTION = (
    "Prepare the CI checkout: set the git identity for commits the job makes and fetch more history (CML's 'cml ci')."
)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    ci = sub.add_parser("ci", help=DESCRIPTION, description=DESCRIPTION)
    _ci_flags(ci)
    repo = sub.add_parser("repo", help="Repository commands (CML's 'cml repo prepare').")
    repo_sub = repo.add_subparsers(dest="repo_command", required=True, metavar="COMMAND")
    _ci_flags(repo_sub.add_parser("prepare", help=DESCRIPTION, description=DESCRIPTION))


def _ci_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fetch-depth", type=int, default=None, metavar="N",
                        help="Commits of history to have: N deepens to N, 0 fetches all history of all "
                             "branches and tags (default: leave the clone as it is).")  # fmt: skip
    parser.add_argument("--unshallow", action="store_true", help="CML's older spelling of --fetch-depth 0.")
    parser.add_argument("--user-name", default=None, help=f"Git user name (default: {DEFAULT_USER_NAME}).")
    parser.add_argument("--user-email", default=None, help=f"Git user email (default: {DEFAULT_USER_EMAIL}).")
    for ignored in ("--repo", "--token", "--driver"):  # CML's global options: the checkout already knows them
        parser.add_argument(ignored, default=None, help=argparse.SUPPRESS)


def ci_command(args: argparse.Namespace, env: dict[str, str] | None = None) -> int:
    environ = dict(os.environ if env is None else env)
    workspace = Path(os.getcwd()).resolve()
    if not gitrepo.is_git_repo(workspace):
        raise CmlError(f"cml ci: {workspace} is not a git checkout (run it at the top of the cloned repository)")
    # CML_CI_* variables, as CML's yargs read them; flags win.
    name = args.user_name or environ.get("CML_CI_USER_NAME") or DEFAULT_USER_NAME
    email = args.user_email or environ.get("CML_CI_USER_EMAIL") or DEFAULT_USER_EMAIL
    depth = 0 if args.unshallow else args.fetch_depth
    if depth is None and environ.get("CML_CI_FETCH_DEPTH", "").strip():
        depth = _depth(environ["CML_CI_FETCH_DEPTH"])
    if depth is not None and depth < 0:
        raise CmlError(f"--fetch-depth: {depth} is below 0 (give a number of commits, or 0 for all history)")
    gitrepo.git(workspace, "config", "--local", "user.name", name)
    gitrepo.git(workspace, "config", "--local", "user.email", email)
    print(f"git identity: {name} <{email}>")
    if depth is not None:
        print(_fetch_history(workspace, depth))
    return 0


def _depth(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise CmlError(f"CML_CI_FETCH_DEPTH: '{raw}' is not a whole number (0 fetches all history)") from None


def _fetch_history(workspace: Path, depth: int) -> str:
    shallow = gitrepo.is_shallow(workspace)
    if depth == 0:
        if shallow:
            gitrepo.git(workspace, "fetch", "--quiet", "--unshallow", "--tags")
        gitrepo.git(workspace, "fetch", "--quiet", "--all", "--tags")
        return "history: complete"
    if not shallow:
        return "history: complete already (not a shallow clone)"
    gitrepo.git(workspace, "fetch", "--quiet", f"--depth={depth}")
    return f"history: {depth} commit(s) deep"
