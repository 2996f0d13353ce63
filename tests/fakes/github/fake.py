"""FakeGitHub: starts the loopback server and offers the seeding and inspection API tests use."""

from __future__ import annotations

import copy
import queue
import re
import secrets
import threading
import time
from types import TracebackType
from typing import Any

from . import shapes
from .errors import ApiError
from .faults import Faults
from .gitstore import GitCommit, Person
from .routing import Ctx, Response
from .server import FakeGitHubServer, RecordedRequest, web_file
from .spec import Operation, Spec, load_spec
from .state import Comment as _Comment
from .state import Issue, Permission, Pull, Repo, State, Token, TokenKind, iso_now

DEFAULT_REPO = "octo-org/hello-world"
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


class FakeGitHub:
    def __init__(self, seed_defaults: bool = True, spec: Spec | None = None, validate_responses: bool = True) -> None:
        self.state = State()
        self.faults = Faults()
        self.spec = spec or load_spec()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.validate_responses = validate_responses
        self._mismatches: list[str] = []
        self._response_queue: queue.Queue[tuple[Operation, int, Any] | None] = queue.Queue()
        self._validator_thread: threading.Thread | None = None
        self.internal_errors: list[str] = []  # exceptions inside the fake (answered 500); always a fake bug
        self.record_lock = threading.Lock()
        self._server: FakeGitHubServer | None = None
        self._thread: threading.Thread | None = None
        self.repo = DEFAULT_REPO
        self.app_token = "ghs_" + secrets.token_hex(18)
        self.user_token = "ghp_" + secrets.token_hex(18)
        self.read_token = "ghs_" + secrets.token_hex(18)
        self.main_sha = ""
        if seed_defaults:
            self.add_token(self.app_token, "github-actions[bot]", kind="app")
            self.add_token(self.user_token, "octocat", kind="user")
            self.add_token(self.read_token, "github-actions[bot]", kind="app", permission="read")
            self.main_sha = self.add_repo(DEFAULT_REPO)

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._server = FakeGitHubServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-github", daemon=True
        )
        self._thread.start()
        self._validator_thread = threading.Thread(
            target=self._validate_responses, name="fake-github-check", daemon=True
        )
        self._validator_thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._validator_thread is not None:
            self._response_queue.put(None)
            self._validator_thread.join()
            self._validator_thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeGitHub is not started"
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def enterprise_api_url(self) -> str:
        return f"{self.api_url}/api/v3"

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- recording (called by the server) -------------------------------------------------------------

    def add_violations(self, method: str, path: str, problems: list[str]) -> None:
        with self.record_lock:
            self.violations.extend(f"{method} {path}: {problem}" for problem in problems)

    def add_internal_error(self, problem: str) -> None:
        with self.record_lock:
            self.internal_errors.append(problem)

    def check_response_later(self, op: Operation, status: int, body: Any) -> None:
        # Response checks are informational and cost ~10 ms each: run them off the request path.
        if self.validate_responses:
            self._response_queue.put((op, status, body))

    def _validate_responses(self) -> None:
        while (item := self._response_queue.get()) is not None:
            try:
                problems = self.spec.response_problems(*item)
                if problems:
                    with self.record_lock:
                        self._mismatches.extend(problems)
            finally:
                self._response_queue.task_done()
        self._response_queue.task_done()

    @property
    def response_mismatches(self) -> list[str]:
        """Where our responses differ from the spec's schemas (waits for pending checks)."""
        self._response_queue.join()
        with self.record_lock:
            return list(self._mismatches)

    def web_raw(self, owner: str, name: str, commit_sha: str, path: str) -> Response:
        with self.state.lock:
            try:
                data: bytes | None = self.file_at(f"{owner}/{name}", commit_sha, path)
            except (ApiError, KeyError):
                data = None
        return web_file(data, path)

    # -- seeding ----------------------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        login: str,
        kind: TokenKind = "app",
        permission: Permission = "write",
        user_id: int | None = None,
    ) -> None:
        with self.state.lock:
            uid = user_id if user_id is not None else self.state.user_id(login)
            self.state.logins[login] = uid
            self.state.tokens[token] = Token(token, login, uid, kind, permission)

    def add_repo(self, full_name: str, private: bool = False, default_branch: str = "main") -> str:
        owner, name = full_name.split("/")
        with self.state.lock:
            repo = Repo(owner, name, self.state.new_id(), private, default_branch)
            self.state.repos[full_name.lower()] = repo
            readme = f"# {name}\n".encode()
            return self.add_commit(
                full_name, {"README.md": readme}, parents=[], message="Initial commit", branch=default_branch
            )

    def add_commit(
        self,
        repo_name: str,
        files: dict[str, bytes] | None = None,
        parents: list[str] | None = None,
        message: str = "A commit",
        branch: str | None = None,
    ) -> str:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            if parents is None:
                head = repo.refs.get(f"heads/{branch or repo.default_branch}")
                parents = [head] if head else []
            tree = repo.git.tree_from_files(files or {})
            now = int(time.time())
            who = Person("Monalisa Octocat", "octocat@github.com", iso_now(), now)
            commit = repo.git.put_commit(tree, tuple(parents), message + "\n", who, who)
            if branch is not None:
                repo.refs[f"heads/{branch}"] = commit.sha
            return commit.sha

    def register_commit(self, repo_name: str, sha: str, parents: list[str] | None = None) -> str:
        """Make a commit that exists only in a local clone (e.g. an e2e test's temp repo) known to the fake.

        Its id is taken as given (not recomputed) and its tree is empty; enough for comments, checks and
        ``commits/{sha}/pulls`` on that sha.
        """
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            who = Person("Monalisa Octocat", "octocat@github.com", iso_now(), int(time.time()))
            tree = repo.git.tree_from_files({})
            repo.git.commits[sha] = GitCommit(sha, tree, tuple(parents or []), "A local commit\n", who, who)
            return sha

    def set_ref(self, repo_name: str, ref: str, sha: str) -> None:
        with self.state.lock:
            self.state.get_repo(repo_name).refs[ref.removeprefix("refs/")] = sha

    def add_pull(
        self,
        repo_name: str,
        head_sha: str,
        number: int | None = None,
        head_ref: str = "feature",
        base_ref: str = "main",
        base_sha: str | None = None,
        head_repo: str | None = None,
        state: str = "open",
        commits: list[str] | None = None,
        user: str = "octocat",
        title: str = "Add feature",
    ) -> int:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            number = number if number is not None else repo.take_number()
            repo.next_number = max(repo.next_number, number + 1)
            base = base_sha or repo.refs.get(f"heads/{base_ref}", head_sha)
            pull = Pull(
                number,
                title,
                head_sha,
                head_ref,
                head_repo or repo.full_name,
                base_ref,
                base,
                state,
                user,
                list(commits or []),
                iso_now(),
            )
            repo.pulls[number] = pull
            return number

    def add_issue(self, repo_name: str, title: str = "An issue", number: int | None = None) -> int:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            number = number if number is not None else repo.take_number()
            repo.next_number = max(repo.next_number, number + 1)
            repo.issues[number] = Issue(number, title, "octocat", "open", iso_now())
            return number

    def _seed_comment(self, body: str, user: str, user_type: str) -> _Comment:
        now = iso_now()
        return _Comment(self.state.new_id(), body, user, self.state.user_id(user), user_type, now, now)

    def add_issue_comment(
        self, repo_name: str, number: int, body: str, user: str = "octocat", user_type: str = "User"
    ) -> int:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            comment = self._seed_comment(body, user, user_type)
            comment.issue_number = number
            repo.issue_comments[comment.id] = comment
            return comment.id

    def add_commit_comment(
        self, repo_name: str, sha: str, body: str, user: str = "octocat", user_type: str = "User"
    ) -> int:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            comment = self._seed_comment(body, user, user_type)
            comment.commit_id = sha
            repo.commit_comments[comment.id] = comment
            return comment.id

    def delete_issue_comment(self, repo_name: str, comment_id: int) -> None:
        with self.state.lock:
            self.state.get_repo(repo_name).issue_comments.pop(comment_id, None)

    # -- inspection -------------------------------------------------------------------------------------

    def _ctx(self) -> Ctx:
        inspector = Token("", "inspector", 0, "app", "write")
        base = self.api_url if self._server else "http://127.0.0.1:0"
        return Ctx(self.state, "GET", "/", {}, {}, None, inspector, base, base)

    def api_requests(self, method: str | None = None, path_regex: str | None = None) -> list[RecordedRequest]:
        with self.record_lock:
            found = list(self.requests)
        if method is not None:
            found = [r for r in found if r.method == method.upper()]
        if path_regex is not None:
            found = [r for r in found if re.search(path_regex, r.path)]
        return found

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.api_requests() if r.method in WRITE_METHODS]

    def clear_requests(self) -> None:
        with self.record_lock:
            self.requests.clear()

    def issue_comments(self, repo_name: str, number: int) -> list[dict[str, Any]]:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            found = sorted((c for c in repo.issue_comments.values() if c.issue_number == number), key=lambda c: c.id)
            return [shapes.issue_comment(self._ctx(), repo, c) for c in found]

    def commit_comments(self, repo_name: str, sha: str) -> list[dict[str, Any]]:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            found = sorted((c for c in repo.commit_comments.values() if c.commit_id == sha), key=lambda c: c.id)
            return [shapes.commit_comment(self._ctx(), repo, c) for c in found]

    def check_runs(self, repo_name: str) -> list[dict[str, Any]]:
        with self.state.lock:
            repo = self.state.get_repo(repo_name)
            return [
                shapes.check_run(self._ctx(), repo, r) for r in sorted(repo.check_runs.values(), key=lambda r: r.id)
            ]

    def check_run_output(self, repo_name: str, check_run_id: int) -> dict[str, Any]:
        """The ``output`` object exactly as the client sent it (``images`` included; GitHub never echoes them)."""
        with self.state.lock:
            return copy.deepcopy(self.state.get_repo(repo_name).check_runs[check_run_id].output)

    def ref(self, repo_name: str, ref: str) -> str | None:
        with self.state.lock:
            return self.state.get_repo(repo_name).refs.get(ref.removeprefix("refs/"))

    def commit(self, repo_name: str, sha: str) -> dict[str, Any]:
        with self.state.lock:
            commit = self.state.get_repo(repo_name).git.commits[sha]
            return {"sha": commit.sha, "tree": commit.tree, "parents": list(commit.parents), "message": commit.message}

    def tree_paths(self, repo_name: str, commit_sha: str) -> list[str]:
        with self.state.lock:
            git = self.state.get_repo(repo_name).git
            return sorted(git.flatten(git.commits[commit_sha].tree))

    def file_at(self, repo_name: str, commit_sha: str, path: str) -> bytes:
        with self.state.lock:
            git = self.state.get_repo(repo_name).git
            entry = git.flatten(git.commits[commit_sha].tree)[path]
            return git.blobs[entry.sha]

    def blob_count(self, repo_name: str) -> int:
        with self.state.lock:
            return len(self.state.get_repo(repo_name).git.blobs)
