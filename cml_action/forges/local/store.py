"""The results store of the local forge: a branch of the workspace's own git repository (docs/store.md).

Written with git plumbing only, so the working tree, the index and the checked-out branch never change: the files
become blobs (`hash-object -w`), a private index (`GIT_INDEX_FILE`) holds the tip's tree plus the changed files
(`read-tree`, `update-index --cacheinfo`, `write-tree`), `commit-tree` makes a commit whose only parent is the tip,
and `git update-ref refs/heads/<branch> <new> <old>` moves the branch only if it still points at `<old>` (all zeros:
only if it does not exist yet), which is git's own atomic compare-and-swap. When another process moved the branch
first, the change is rebuilt on the new tip. This is what lets `cml report --forge local` (and the README demo)
compare with earlier runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from cml_action.errors import CmlError, PublishError
from cml_action.forges.retry import LostRaces, full_jitter
from cml_action.gitrepo import ZERO_SHA, checked_ref, git, is_git_repo, rev_parse
from cml_action.store.branch import Change, Read

# Commits of the store name cml-action, not whoever runs the report (their identity may be unset in a container).
IDENTITY = {"GIT_AUTHOR_NAME": "cml-action", "GIT_AUTHOR_EMAIL": "cml-action@localhost",
            "GIT_COMMITTER_NAME": "cml-action", "GIT_COMMITTER_EMAIL": "cml-action@localhost"}  # fmt: skip
RACE_BUDGET_SECONDS = 60.0  # processes on one machine: a lost race costs milliseconds
RACE_BACKOFF_CAP_SECONDS = 0.2
# git's words (LC_ALL=C) when the ref is not at the old value we named, or another process holds its lock.
RACE_MESSAGES = ("but expected", "reference already exists", ".lock", "cannot lock ref")


class LocalStoreBranch:
    def __init__(self, workspace: Path, branch: str) -> None:
        self._workspace = workspace
        self._branch = branch
        self._ref = f"refs/heads/{checked_ref(branch)}"

    def read(self, path: str) -> bytes | None:
        if not is_git_repo(self._workspace):
            return None
        tip = rev_parse(self._workspace, self._ref)
        return self._read_at(tip, path) if tip else None

    def update(self, message: str, change: Change) -> None:
        self._check_writable()
        races = LostRaces(RACE_BUDGET_SECONDS, lambda rounds: full_jitter(rounds, 0.01, RACE_BACKOFF_CAP_SECONDS))
        while True:
            tip = rev_parse(self._workspace, self._ref)
            changed = change(self._reader(tip))
            if not changed:
                return
            if self._swap(tip, self._commit(tip, message, changed)):
                return
            races.lost(lambda rounds: (
                f"recording the results on the local branch '{self._branch}' failed: it kept moving under us for "
                f"{RACE_BUDGET_SECONDS:g} s ({rounds} attempts; run again)"))  # fmt: skip

    def _check_writable(self) -> None:
        if not is_git_repo(self._workspace):
            raise CmlError(
                f"the local results store is a branch of the workspace's git repository, and {self._workspace} is "
                "not in one (run `git init` there, or store: off)"
            )
        head = git(self._workspace, "symbolic-ref", "-q", "HEAD", check=False).decode().strip()
        if head == self._ref:
            raise CmlError(
                f"assets-branch '{self._branch}' is the checked-out branch: the results store never writes to it "
                "(choose another assets-branch, or store: off)"
            )

    def _swap(self, tip: str | None, commit: str) -> bool:
        """Move the branch from `tip` to `commit`; False when another writer moved it first (or holds its lock)."""
        try:
            git(self._workspace, "update-ref", "-m", "cml-action: results store", self._ref, commit, tip or ZERO_SHA,
                extra_env={"LC_ALL": "C"})  # fmt: skip
        except CmlError as exc:
            if any(race in str(exc) for race in RACE_MESSAGES):
                return False
            raise PublishError(f"recording the results on the local branch '{self._branch}' failed: {exc}") from None
        return True

    def _reader(self, tip: str | None) -> Read:
        return lambda path: self._read_at(tip, path) if tip else None

    def _read_at(self, commit: str, path: str) -> bytes | None:
        data = git(self._workspace, "cat-file", "blob", f"{commit}:{path}", check=False)
        if not data:  # absent (git answered nothing on stdout), or an empty file: both read as "no document"
            return None
        return data

    def _commit(self, tip: str | None, message: str, changed: Mapping[str, bytes]) -> str:
        with tempfile.TemporaryDirectory(prefix="cml-store-") as folder:
            index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            if tip:
                git(self._workspace, "read-tree", tip, extra_env=index)
            for path, data in sorted(changed.items()):
                blob = git(self._workspace, "hash-object", "-w", "--stdin", input_bytes=data).decode().strip()
                git(self._workspace, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", extra_env=index)
            tree = git(self._workspace, "write-tree", extra_env=index).decode().strip()
        parents = ["-p", tip] if tip else []
        return git(self._workspace, "commit-tree", tree, *parents, "-m", message, extra_env=IDENTITY).decode().strip()
