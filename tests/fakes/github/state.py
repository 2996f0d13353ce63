"""The fake's mutable world: repos, tokens, pull requests, comments, check runs and git data.

One re-entrant lock guards all of it; the HTTP handler holds it for the whole of a request's handling so
every request is atomic (what concurrency tests need), and seeding/inspection helpers take it too.
"""

from __future__ import annotations

import threading
import time
from base64 import b64encode
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import not_found
from .gitstore import GitStore

TokenKind = Literal["app", "user"]
Permission = Literal["write", "read"]


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def node_id(kind: str, number: int) -> str:
    # GitHub's legacy global ids are base64 of "0NN:KindNUMBER"; realistic enough for clients that store them.
    raw = f"0{len(kind):02d}:{kind}{number}"
    return b64encode(raw.encode()).decode()


@dataclass
class Token:
    value: str
    login: str
    user_id: int
    kind: TokenKind
    permission: Permission

    @property
    def user_type(self) -> str:
        return "Bot" if self.login.endswith("[bot]") else "User"


@dataclass
class Comment:
    id: int
    body: str
    login: str
    user_id: int
    user_type: str
    created_at: str
    updated_at: str
    issue_number: int | None = None  # issue comments
    commit_id: str | None = None  # commit comments
    path: str | None = None
    position: int | None = None
    line: int | None = None


@dataclass
class Pull:
    number: int
    title: str
    head_sha: str
    head_ref: str
    head_repo: str  # full_name of the head repository (differs from the base repo for a fork)
    base_ref: str
    base_sha: str
    state: str
    login: str
    commits: list[str]
    created_at: str
    body: str | None = None
    merged: bool = False
    auto_merge: str | None = None  # merge method once auto-merge was enabled (GraphQL)


@dataclass
class Issue:
    number: int
    title: str
    login: str
    state: str
    created_at: str


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: str
    completed_at: str | None
    output: dict[str, Any]
    details_url: str | None
    external_id: str | None


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    private: bool
    default_branch: str
    git: GitStore = field(default_factory=GitStore)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" → sha
    pulls: dict[int, Pull] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    issue_comments: dict[int, Comment] = field(default_factory=dict)
    commit_comments: dict[int, Comment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    next_number: int = 1
    # Pull requests opened through the API: git pushes go to a real bare repository standing in for GitHub's git
    # storage (a test sets it), so `POST /pulls` can check that the head branch exists, as GitHub does.
    git_mirror: str = ""
    allow_auto_merge: bool = True  # the repository setting "Allow auto-merge"
    required_checks_pending: bool = True  # False: a new PR is mergeable at once ("clean status")

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def take_number(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def resolve_commit(self, ref: str) -> str:
        """A sha, ``heads/x``/``tags/x``, ``refs/heads/x`` or a bare branch name → commit sha (404 if none)."""
        if ref in self.git.commits:
            return ref
        name = ref.removeprefix("refs/")
        for candidate in (name, f"heads/{name}", f"tags/{name}"):
            if candidate in self.refs:
                return self.refs[candidate]
        matches = [sha for sha in self.git.commits if len(ref) >= 7 and sha.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        raise not_found()


RATE_LIMIT = 5000


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, Token] = {}
        self.logins: dict[str, int] = {}
        self.rate_used: dict[str, int] = {}  # token → requests counted against its core rate limit
        self._next_id = 1000

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def user_id(self, login: str) -> int:
        with self.lock:
            if login not in self.logins:
                # The real id of github-actions[bot]; a stable made-up one for everybody else.
                self.logins[login] = 41898282 if login == "github-actions[bot]" else self.new_id()
            return self.logins[login]

    def get_repo(self, full_name: str) -> Repo:
        repo = self.repos.get(full_name.lower())
        if repo is None:
            raise not_found()
        return repo

    def comment_by_id(self, repo: Repo, comment_id: int, kind: str) -> Comment:
        table = repo.issue_comments if kind == "issue" else repo.commit_comments
        comment = table.get(comment_id)
        if comment is None:
            raise not_found()
        return comment
