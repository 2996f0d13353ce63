"""The results store's branch on GitLab (docs/store.md): a branch of the project (the assets-branch input, default
`cml-assets`), read with the Files API and written with the Commits API (GitLab REST docs: "Repository files",
"Commits: Create a commit with multiple files and actions").

`read(path)` is `GET /projects/:id/repository/files/:path?ref=<branch>`: one request answering the file's content
AND its `last_commit_id` (the raw endpoint gives the bytes only), so a read inside an update costs nothing more.
404: no such file, or no branch yet.

`update` runs `change` on what it reads, then makes ONE commit (`POST /projects/:id/repository/commits`) whose actions
carry the compare-and-swap: a file that was read is an `update` with the `last_commit_id` read with it, so GitLab
refuses a stale writer ("The file has changed since you started editing it: <path>"); a file read as absent is a
`create`, refused when another job created it meanwhile ("A file with this name already exists"). A file read but
not changed goes along as an `update` with its own content and `last_commit_id`, so what `change` based itself on
is checked too. On a refusal `change` runs again on fresh reads, after a full-jitter backoff, for a time budget.
(`start_sha` cannot serve as the swap's guard: GitLab refuses it on an existing branch unless `force`, which would
rewrite the branch. GitLab checks the versions, then has Gitaly commit: docs/store.md says what that window means.)

The branch is created by the first write, from the default branch (`start_branch`; the head commit when the default
branch is unknown): GitLab's API cannot create a branch without history, so the store branch carries the project's
files as they were then, never changed by the store. Two first writers racing: the second is refused ("A branch
called ... already exists") and rebuilds on the branch the first made.

A commit whose answer was lost (a dropped connection, a 5xx) may have landed: its message carries a one-off
`cml-action-write:` line, looked for among the branch's newest commits (one request) before anything is sent again,
so a lost answer never commits the same change twice.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from cml_action.errors import PublishError
from cml_action.forges import retry
from cml_action.forges.retry import LostRaces, Retrier
from cml_action.store.branch import Change, Read

RACE_BUDGET_SECONDS = 300.0  # as on GitHub (forges/github/branch.py): about 50 racing jobs
RACE_BACKOFF_BASE_SECONDS = 1.0
RACE_BACKOFF_CAP_SECONDS = 8.0
LANDED_LOOKBACK = 100  # newest commits searched for a commit whose answer was lost
# GitLab's 400 answers that mean another job wrote first (Files::MultiService, Commits::CreateService, Gitaly's
# UserCommitFiles and its reference update): read again and rebuild.
RACE_MESSAGES = (
    "has changed since you started editing it",
    "a file with this name already exists",
    "a file with this name doesn't exist",
    "already exists. switch to that branch",
    "please refresh and try again",
)
NO_BRANCH_MESSAGE = "you can only create or edit files when you are on a branch"
FileRead = tuple[bytes, str] | None  # (content, last_commit_id), None when absent


class _Refused(Exception):
    """GitLab refused the commit because another job wrote first."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NoBranch(Exception):
    """The store branch does not exist yet: the commit must name where to start it."""


class GitLabStoreBranch:
    def __init__(
        self,
        gl: Callable[[], Any],
        *,
        project_id: str,
        branch: str,
        start_from: tuple[str, str],  # ("start_branch", default branch) or ("start_sha", head sha)
        retrier: Retrier,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._gl = gl
        self._project = f"/projects/{quote(project_id, safe='')}"
        self._branch = branch
        self._start_from = start_from
        self._retrier = retrier
        self._sleep = sleep
        self._clock = clock

    def read(self, path: str) -> bytes | None:
        found = self._read(path)
        return found[0] if found else None

    def update(self, message: str, change: Change) -> None:
        marker = f"cml-action-write: {uuid.uuid4().hex}"
        races, probe = LostRaces(RACE_BUDGET_SECONDS, _backoff, self._sleep, self._clock), False
        while True:
            seen: dict[str, FileRead] = {}
            changed = change(self._reader(seen))
            if not changed:
                return
            if probe:  # a file written unread was there after all (a re-run): learn what exists, and its version
                for path in changed:
                    self._reader(seen)(path)
            payload = {"branch": self._branch, "commit_message": f"{message}\n\n{marker}",
                       "actions": _actions(changed, seen)}  # fmt: skip
            try:
                self._commit_or_start(payload, marker)
                return
            except _Refused as refused:
                probe = probe or "already exists" in refused.message.lower()
                races.lost(lambda rounds: self._failed(
                    f"the branch kept moving under us for {RACE_BUDGET_SECONDS:g} s ({rounds} attempts; re-run the "
                    "job, or use a separate assets-branch per pipeline)"))  # fmt: skip

    # -- reads -----------------------------------------------------------------------------------------------------

    def _reader(self, seen: dict[str, FileRead]) -> Read:
        def read(path: str) -> bytes | None:
            if path not in seen:
                seen[path] = self._read(path)
            found = seen[path]
            return found[0] if found else None

        return read

    def _read(self, path: str) -> FileRead:
        import gitlab

        def fetch() -> FileRead:
            try:
                found = self._gl().http_get(f"{self._project}/repository/files/{quote(path, safe='')}",
                                            query_data={"ref": self._branch})  # fmt: skip
            except gitlab.exceptions.GitlabHttpError as exc:
                if exc.response_code == 404:  # no such file, or no branch yet
                    return None
                raise
            if not isinstance(found, Mapping) or found.get("encoding") != "base64":
                return None
            return base64.b64decode(str(found.get("content") or "")), str(found.get("last_commit_id") or "")

        return self._retrier.read(f"read the results store (branch '{self._branch}')", fetch)

    # -- the commit ------------------------------------------------------------------------------------------------

    def _commit_or_start(self, payload: dict[str, Any], marker: str) -> None:
        """The commit; the first write ever learns from GitLab that the branch is missing and names its start (what
        was read stands: a missing branch has no files), without a wait or a read more."""
        try:
            self._commit(payload, marker)
        except _NoBranch:
            name, value = self._start_from
            try:
                self._commit(payload | {name: value}, marker)
            except _NoBranch:
                raise PublishError(self._failed(f"no such branch, and no {name} '{value}' to start it from")) from None

    def _commit(self, payload: dict[str, Any], marker: str) -> None:
        import gitlab

        attempts: list[None] = []

        def post() -> Any:
            attempts.append(None)
            try:
                return self._gl().http_post(f"{self._project}/repository/commits", post_data=payload)
            except gitlab.exceptions.GitlabHttpError as exc:
                text = _text(exc.error_message)
                if exc.response_code == 400 and NO_BRANCH_MESSAGE in text.lower():
                    raise _NoBranch() from None
                if exc.response_code == 400 and any(race in text.lower() for race in RACE_MESSAGES):
                    raise _Refused(text) from None
                if exc.response_code == 403:
                    raise PublishError(self._failed(f"403 {text} ({self._push_fix})")) from None
                raise

        what = f"record the results on branch '{self._branch}'"
        try:
            self._retrier.write(what, post, refind=lambda: self._landed(marker))
        except (_Refused, _NoBranch):
            # Refused after a retry: the earlier attempt may have landed with its answer lost.
            if len(attempts) > 1 and self._retrier.read(what, lambda: self._landed(marker)):
                return
            raise

    def _landed(self, marker: str) -> Mapping[str, Any] | None:
        """Our commit among the branch's newest ones (one request), else None."""
        import gitlab

        try:
            query = {"ref_name": self._branch, "per_page": LANDED_LOOKBACK}
            commits = self._gl().http_get(f"{self._project}/repository/commits", query_data=query)
        except gitlab.exceptions.GitlabHttpError as exc:
            if exc.response_code == 404:
                return None
            raise
        for commit in commits if isinstance(commits, list) else []:
            if isinstance(commit, Mapping) and marker in str(commit.get("message") or ""):
                return commit
        return None

    @property
    def _push_fix(self) -> str:
        return (f"the token needs the 'api' scope and a role allowed to push to '{self._branch}': Developer, or "
                "what the branch's protection asks; or store: off")  # fmt: skip

    def _failed(self, reason: str) -> str:
        return f"GitLab: recording the results on branch '{self._branch}' failed: {reason}"


def _backoff(round_number: int) -> float:
    return retry.full_jitter(round_number, RACE_BACKOFF_BASE_SECONDS, RACE_BACKOFF_CAP_SECONDS)


def _actions(changed: Mapping[str, bytes], seen: Mapping[str, FileRead]) -> list[dict[str, Any]]:
    """The commit's actions: every changed file (create, or update guarded by its version), then every file read
    and left as it was (an update to the same content, guarded by its version: the read is checked too)."""
    actions = []
    for path, data in sorted(changed.items()):
        found = seen.get(path)
        action = {"action": "update", "last_commit_id": found[1]} if found else {"action": "create"}
        actions.append(action | {"file_path": path} | _content(data))
    for path, found in sorted(seen.items()):
        if found is not None and path not in changed:
            actions.append({"action": "update", "file_path": path, "last_commit_id": found[1]} | _content(found[0]))
    return actions


def _content(data: bytes) -> dict[str, str]:
    try:
        return {"content": data.decode("utf-8"), "encoding": "text"}
    except UnicodeDecodeError:
        return {"content": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def _text(message: object) -> str:
    if isinstance(message, bytes):
        message = message.decode(errors="replace")
    return " ".join(str(message or "").split())
