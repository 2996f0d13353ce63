"""Which branch the action may write images to.

The assets branch receives a commit on every run that publishes images, so it must never be the branch people
work on: `assets-branch: main` used to fast-forward the default branch with an image commit. The name must also
be a valid branch name by git's rules (`git check-ref-format --branch`), checked here without running git.
"""

from __future__ import annotations

import re

# Names that are, by convention, protected or published: a commit there is never what the user wants.
PROTECTED_NAMES = frozenset({"main", "master", "trunk", "develop", "development", "production", "gh-pages", "stable"})
PROTECTED_PREFIXES = ("release/", "releases/", "hotfix/")
# git check-ref-format: no control characters, space, ~ ^ : ? * [ \ anywhere; no "..", "@{", "//".
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def _valid_branch_name(name: str) -> bool:
    if not name or name in ("@", "HEAD") or name.startswith(("-", "/")) or name.endswith(("/", ".")):
        return False
    if _FORBIDDEN.search(name):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))


def assets_branch_problem(branch: str, default_branch: str) -> str | None:
    """Why `branch` must not receive image commits (completes "'branch' …"), or None when it may."""
    if not _valid_branch_name(branch):
        return "is not a valid branch name"
    if branch.startswith("refs/"):
        return "must be a branch name, not a full ref"
    if default_branch and branch == default_branch:
        return "is the repository's default branch"
    lowered = branch.lower()
    if lowered in PROTECTED_NAMES or lowered.startswith(PROTECTED_PREFIXES):
        return "looks like a protected branch"
    return None


def check_assets_branch(branch: str, default_branch: str) -> None:
    from cml_action.errors import InputError

    problem = assets_branch_problem(branch, default_branch)
    if problem:
        fix = "use a branch only for images, such as the default cml-assets (git's branch-name rules apply)"
        raise InputError("assets-branch", f"'{branch}' {problem}", fix)
