"""A project's git repository as GitLab's repository APIs see it: branches -> commits -> files, each file remembering
the last commit that changed it (what the Files API answers as `last_commit_id` and the Commits API checks)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field

NOW = "2026-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class FileVersion:
    data: bytes
    last_commit_id: str  # the newest commit (on this history) that created or changed the file

    @property
    def blob_id(self) -> str:
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


@dataclass(frozen=True)
class RepoCommit:
    id: str
    parent_ids: tuple[str, ...]
    message: str
    author: str
    files: dict[str, FileVersion]


@dataclass
class Repository:
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit id
    commits: dict[str, RepoCommit] = field(default_factory=dict)
    protected: dict[str, int] = field(default_factory=dict)  # branch -> lowest access level allowed to push
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def commit(self, parent: str | None, message: str, author: str, files: dict[str, bytes | None],
               commit_id: str | None = None) -> RepoCommit:  # fmt: skip
        """A new commit on `parent` changing `files` (None deletes); the caller moves a branch to it."""
        sha = commit_id or hashlib.sha1(f"{parent}\n{message}\n{next(self._serial)}".encode()).hexdigest()
        tree = dict(self.commits[parent].files) if parent else {}
        for path, data in files.items():
            if data is None:
                tree.pop(path, None)
            else:
                tree[path] = FileVersion(data, sha)
        made = RepoCommit(sha, (parent,) if parent else (), message, author, tree)
        self.commits[sha] = made
        return made

    def resolve(self, ref: str) -> RepoCommit | None:
        """A branch name or a commit id (full, or a unique prefix of 7 or more)."""
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        if ref in self.commits:
            return self.commits[ref]
        matches = [c for c in self.commits if len(ref) >= 7 and c.startswith(ref.lower())]
        return self.commits[matches[0]] if len(matches) == 1 else None

    def history(self, ref: str) -> list[RepoCommit]:
        """First parents from `ref`, newest first."""
        found, commit = [], self.resolve(ref)
        while commit is not None:
            found.append(commit)
            commit = self.commits.get(commit.parent_ids[0]) if commit.parent_ids else None
        return found
