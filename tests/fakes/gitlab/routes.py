"""GitLab REST v4 routes the forge uses, with GitLab's answers (shapes from the REST docs and lib/api/*.rb)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import NOW, Issue, MergeRequest, Note, Project, State, Token, User

NOTE_LIMIT = 1_000_000  # Gitlab::Database::MAX_TEXT_SIZE_LIMIT
STATUS_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
DEVELOPER = 30
# Quick actions GitLab runs from a note line `/<name>` (a subset; unknown commands are left in the text).
QUICK_ACTIONS = ("approve", "close", "merge", "label", "assign", "reopen", "draft", "ready", "unapprove", "rebase")
_QUICK = re.compile(r"^/(" + "|".join(QUICK_ACTIONS) + r")\b.*$")


class ApiError(Exception):
    def __init__(self, status: int, message: Any, key: str = "message") -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.body = {key: message}


def not_found(what: str = "") -> ApiError:
    return ApiError(404, f"404 {what} Not Found" if what else "404 Not found")


def unauthorized() -> ApiError:
    return ApiError(401, "401 Unauthorized")


def forbidden() -> ApiError:
    return ApiError(403, "403 Forbidden")


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"400 Bad request - {detail}")


@dataclass
class Req:
    state: State
    method: str
    path: str  # after /api/v4, url-decoded per segment
    params: dict[str, str]  # path params
    query: dict[str, str]
    form: dict[str, Any]  # JSON body, form fields or multipart parts
    token: Token | None  # None: anonymous (no token, or a job token on a route that does not take it)
    web: str  # http://127.0.0.1:PORT
    extra: dict[str, Any] = field(default_factory=dict)

    def project(self) -> Project:
        project = self.state.project(self.params["id"])
        if project is None or not self._can_read(project):
            raise not_found("Project")
        return project

    def _can_read(self, project: Project) -> bool:
        return project.visibility == "public" or (self.token is not None and self.token.user.id in project.members)

    def writer(self, project: Project) -> User:
        if self.token is None:
            raise unauthorized()
        if self.token.kind == "project" and "api" not in self.token.scopes:
            raise forbidden()
        if project.members.get(self.token.user.id, 0) < DEVELOPER:
            raise forbidden()
        return self.token.user

    def body_text(self) -> str:
        body = self.form.get("body")
        if body is None or body == "":
            raise ApiError(400, "body is missing", key="error")
        return str(body)


Handler = Callable[[Req], tuple[int, Any]]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def param(match: re.Match[str]) -> str:
        return f"(?P<{match.group(1)}>{match.group(2)[1:-1] if match.group(2) else '[^/]+'})"

    pattern = re.compile("^" + re.sub(r":(\w+)(\([^)]*\))?", param, template) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, pattern, handler))
        return handler

    return register


def note_api(note: Note, project: Project, req: Req) -> dict[str, Any]:
    return {
        "id": note.id,
        "type": "DiscussionNote" if note.discussion_id else None,
        "body": note.body,
        "attachment": None,
        "author": note.author.api(req.web),
        "created_at": NOW,
        "updated_at": NOW,
        "system": note.system,
        "noteable_id": None if note.noteable_type == "Commit" else note.noteable_iid,
        "noteable_type": note.noteable_type,
        "noteable_iid": note.noteable_iid,
        "commit_id": note.commit_id,
        "project_id": project.id,
        "resolvable": False,
        "confidential": False,
        "internal": False,
    }


def strip_quick_actions(state: State, body: str) -> str:
    """GitLab runs `/command` lines outside code fences and removes them from the saved note."""
    kept: list[str] = []
    fenced = False
    for line in body.split("\n"):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and _QUICK.match(line):
            state.quick_actions.append(line)
            continue
        kept.append(line)
    return "\n".join(kept)


def edit_note(req: Req, project: Project, author: User, note: Note) -> tuple[int, Any]:
    """PUT on a note (MR/issue note or discussion note): only its author may edit; GitLab's length check applies."""
    if note.author.id != author.id:
        raise forbidden()
    body = req.body_text()
    check_length(body, "Failed to save note ")
    note.body = strip_quick_actions(req.state, body)
    note.updated += 1
    return 200, note_api(note, project, req)


def check_length(body: str, prefix: str) -> None:
    if len(body) > NOTE_LIMIT:
        raise bad_request(f'{prefix}{{:note=>["is too long (maximum is {NOTE_LIMIT} characters)"]}}')


# -- users -----------------------------------------------------------------------------------------------------------


@route("GET", "/user")
def get_user(req: Req) -> tuple[int, Any]:
    if req.token is None:
        raise unauthorized()
    return 200, req.token.user.api(req.web)


# -- merge requests, issues and their notes --------------------------------------------------------------------------


def _mr(req: Req, project: Project) -> MergeRequest:
    mr = project.mrs.get(int(req.params["iid"])) if req.params["iid"].isdigit() else None
    if mr is None:
        raise not_found()
    return mr


def _issue(req: Req, project: Project) -> Issue:
    issue = project.issues.get(int(req.params["iid"])) if req.params["iid"].isdigit() else None
    if issue is None:
        raise not_found()
    return issue


def _noteable(req: Req) -> tuple[Project, list[Note], str, int]:
    project = req.project()
    if req.params["kind"] == "merge_requests":
        mr = _mr(req, project)
        return project, mr.notes, "MergeRequest", mr.iid
    issue = _issue(req, project)
    return project, issue.notes, "Issue", issue.iid


def _sorted_notes(req: Req, notes: list[Note]) -> list[Note]:
    # GitLab's default is order_by=created_at, sort=desc (newest first).
    return list(notes) if req.query.get("sort", "desc") == "asc" else list(reversed(notes))


@route("GET", "/projects/:id/:kind(merge_requests|issues)/:iid/notes")
def list_notes(req: Req) -> tuple[int, Any]:
    project, notes, _, _ = _noteable(req)
    return 200, [note_api(n, project, req) for n in _sorted_notes(req, notes)]


@route("POST", "/projects/:id/:kind(merge_requests|issues)/:iid/notes")
def create_note(req: Req) -> tuple[int, Any]:
    project, notes, kind, iid = _noteable(req)
    author = req.writer(project)
    body = req.body_text()
    check_length(body, "Note ")
    note = Note(req.state.next_id(), strip_quick_actions(req.state, body), author, kind, noteable_iid=iid)
    notes.append(note)
    return 201, note_api(note, project, req)


def _find_note(notes: list[Note], raw_id: str) -> Note:
    note = next((n for n in notes if str(n.id) == raw_id), None)
    if note is None:
        raise not_found("Note")
    return note


@route("GET", "/projects/:id/:kind(merge_requests|issues)/:iid/notes/:note_id")
def get_note(req: Req) -> tuple[int, Any]:
    project, notes, _, _ = _noteable(req)
    return 200, note_api(_find_note(notes, req.params["note_id"]), project, req)


@route("PUT", "/projects/:id/:kind(merge_requests|issues)/:iid/notes/:note_id")
def update_note(req: Req) -> tuple[int, Any]:
    project, notes, _, _ = _noteable(req)
    author = req.writer(project)
    return edit_note(req, project, author, _find_note(notes, req.params["note_id"]))


@route("DELETE", "/projects/:id/:kind(merge_requests|issues)/:iid/notes/:note_id")
def delete_note(req: Req) -> tuple[int, Any]:
    project, notes, _, _ = _noteable(req)
    author = req.writer(project)
    note = _find_note(notes, req.params["note_id"])
    if note.author.id != author.id:
        raise forbidden()
    notes.remove(note)
    return 204, None


@route("GET", "/projects/:id/repository/commits/:sha/merge_requests")
def commit_merge_requests(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    found = [mr for mr in project.mrs.values() if sha == mr.sha or sha in mr.commits]
    if req.query.get("state"):
        found = [mr for mr in found if mr.state == req.query["state"]]
    return 200, [mr_api(mr, project, req) for mr in found]


ANONYMOUS_OK: set[Handler] = {commit_merge_requests}


def mr_api(mr: MergeRequest, project: Project, req: Req) -> dict[str, Any]:
    return {
        "id": 50000 + mr.iid,
        "iid": mr.iid,
        "project_id": project.id,
        "title": mr.title or f"MR {mr.iid}",
        "description": mr.description,
        "merge_when_pipeline_succeeds": mr.merge_when_pipeline_succeeds,
        "squash": mr.squash,
        "state": mr.state,
        "sha": mr.sha,
        "source_branch": mr.source_branch,
        "target_branch": mr.target_branch,
        "web_url": f"{req.web}/{project.path}/-/merge_requests/{mr.iid}",
    }


def _commit(req: Req, project: Project) -> str:
    sha = req.state.find_commit(project, req.params["sha"])
    if sha is None:
        raise not_found("Commit")
    return sha
