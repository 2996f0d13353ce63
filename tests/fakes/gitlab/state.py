"""In-memory GitLab state: users and tokens, projects, merge requests, issues, notes, commit discussions, uploads and
commit statuses. Handlers run with `State.lock` held, so every change here is atomic."""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from .repository import Repository

NOW = "2026-01-01T00:00:00.000Z"


@dataclass
class User:
    id: int
    username: str
    name: str
    bot: bool = False

    def api(self, web: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": f"{web}/{self.username}",
            "bot": self.bot,
        }


@dataclass
class Token:
    value: str
    kind: str  # "project" (project access token), "personal", "job"
    user: User
    scopes: tuple[str, ...] = ("api",)


@dataclass
class Note:
    id: int
    body: str
    author: User
    noteable_type: str  # "MergeRequest", "Issue", "Commit"
    noteable_iid: int | None = None
    commit_id: str | None = None
    discussion_id: str = ""
    system: bool = False
    updated: int = 0  # how many times PUT changed it


@dataclass
class Discussion:
    id: str  # 40 hex characters, like GitLab's
    notes: list[Note] = field(default_factory=list)


@dataclass
class MergeRequest:
    iid: int
    sha: str
    source_branch: str
    target_branch: str
    state: str = "opened"
    commits: tuple[str, ...] = ()
    notes: list[Note] = field(default_factory=list)
    title: str = ""
    description: str = ""
    merge_when_pipeline_succeeds: bool = False
    squash: bool = False


@dataclass
class Issue:
    iid: int
    title: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class Upload:
    id: int
    secret: str
    filename: str
    data: bytes

    @property
    def url(self) -> str:
        return f"/uploads/{self.secret}/{self.filename}"


@dataclass
class Status:
    id: int
    sha: str
    name: str
    state: str
    target_url: str | None
    description: str | None
    ref: str | None
    author: User


@dataclass
class Project:
    id: int
    path: str  # "group/project"
    visibility: str = "private"
    default_branch: str = "main"
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level (30 developer, 40 maintainer)
    commits: set[str] = field(default_factory=set)
    mrs: dict[int, MergeRequest] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    discussions: dict[str, list[Discussion]] = field(default_factory=dict)  # commit sha -> discussions
    uploads: list[Upload] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    next_iid: int = 1
    git_mirror: str = ""  # a bare repository standing in for the project's git storage (`cml pr create` pushes)
    repository: Repository = field(default_factory=Repository)  # what the Files and Commits APIs read and write


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[int, User] = {}
        self.tokens: dict[str, Token] = {}
        self.projects: dict[int, Project] = {}
        self._ids = itertools.count(1001)
        self.quick_actions: list[str] = []  # quick-action lines GitLab would have executed

    def next_id(self) -> int:
        return next(self._ids)

    def discussion_id(self) -> str:
        return hashlib.sha1(f"discussion-{self.next_id()}".encode()).hexdigest()

    def project(self, ref: str) -> Project | None:
        """By numeric id or by (already url-decoded) path, as GitLab's `:id` accepts both."""
        if ref.isdigit():
            return self.projects.get(int(ref))
        return next((p for p in self.projects.values() if p.path == ref), None)

    def find_commit(self, project: Project, sha: str) -> str | None:
        if sha in project.commits:
            return sha
        matches = [c for c in project.commits if len(sha) >= 7 and c.startswith(sha.lower())]
        return matches[0] if len(matches) == 1 else None
