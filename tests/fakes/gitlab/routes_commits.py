"""GitLab REST v4 routes on commits (discussions, statuses) and project uploads; registered into routes.ROUTES."""

from __future__ import annotations

import secrets
from typing import Any

from .routes import (
    ApiError,
    Req,
    _commit,
    _find_note,
    check_length,
    edit_note,
    forbidden,
    not_found,
    note_api,
    route,
    strip_quick_actions,
)
from .state import NOW, Discussion, Note, Project, Status, Upload

STATUS_STATES = ("pending", "running", "success", "failed", "canceled", "skipped")


# -- commits: discussions and statuses -------------------------------------------------------------------------------


def discussion_api(discussion: Discussion, project: Project, req: Req) -> dict[str, Any]:
    return {
        "id": discussion.id,
        "individual_note": False,
        "notes": [note_api(n, project, req) for n in discussion.notes],
    }


@route("GET", "/projects/:id/repository/commits/:sha/discussions")
def list_discussions(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    return 200, [discussion_api(d, project, req) for d in project.discussions.get(sha, [])]


@route("POST", "/projects/:id/repository/commits/:sha/discussions")
def create_discussion(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    author = req.writer(project)
    body = req.body_text()
    check_length(body, "Note ")
    discussion = Discussion(req.state.discussion_id())
    note = Note(req.state.next_id(), strip_quick_actions(req.state, body), author, "Commit", commit_id=sha,
                discussion_id=discussion.id)  # fmt: skip
    discussion.notes.append(note)
    project.discussions.setdefault(sha, []).append(discussion)
    return 201, discussion_api(discussion, project, req)


def _discussion(req: Req, project: Project, sha: str) -> Discussion:
    found = next((d for d in project.discussions.get(sha, []) if d.id == req.params["did"]), None)
    if found is None:
        raise not_found()
    return found


@route("PUT", "/projects/:id/repository/commits/:sha/discussions/:did/notes/:note_id")
def update_discussion_note(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    author = req.writer(project)
    return edit_note(req, project, author, _find_note(_discussion(req, project, sha).notes, req.params["note_id"]))


@route("DELETE", "/projects/:id/repository/commits/:sha/discussions/:did/notes/:note_id")
def delete_discussion_note(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    author = req.writer(project)
    discussion = _discussion(req, project, sha)
    note = _find_note(discussion.notes, req.params["note_id"])
    if note.author.id != author.id:
        raise forbidden()
    discussion.notes.remove(note)
    if not discussion.notes:
        project.discussions[sha].remove(discussion)
    return 204, None


def status_api(status: Status, req: Req) -> dict[str, Any]:
    return {
        "id": status.id,
        "sha": status.sha,
        "ref": status.ref,
        "status": status.state,
        "name": status.name,
        "target_url": status.target_url,
        "description": status.description,
        "created_at": NOW,
        "started_at": None,
        "finished_at": NOW,
        "allow_failure": False,
        "coverage": None,
        "author": status.author.api(req.web),
    }


@route("POST", "/projects/:id/statuses/:sha")
def create_status(req: Req) -> tuple[int, Any]:
    project = req.project()
    author = req.writer(project)
    sha = _commit(req, project)
    state = str(req.form.get("state") or "")
    if not state:
        raise ApiError(400, "state is missing", key="error")
    if state not in STATUS_STATES:
        raise ApiError(400, "state does not have a valid value", key="error")
    description = req.form.get("description")
    if description is not None and len(str(description)) > 255:
        raise ApiError(400, {"description": ["is too long (maximum is 255 characters)"]})
    status = Status(req.state.next_id(), sha, str(req.form.get("name") or "default"), state,
                    req.form.get("target_url"), description, req.form.get("ref"), author)  # fmt: skip
    project.statuses.append(status)
    return 201, status_api(status, req)


@route("GET", "/projects/:id/repository/commits/:sha/statuses")
def list_statuses(req: Req) -> tuple[int, Any]:
    project = req.project()
    sha = _commit(req, project)
    found = [s for s in project.statuses if s.sha == sha]
    if req.query.get("name"):
        found = [s for s in found if s.name == req.query["name"]]
    return 200, [status_api(s, req) for s in reversed(found)]


# -- uploads ---------------------------------------------------------------------------------------------------------


@route("POST", "/projects/:id/uploads")
def create_upload(req: Req) -> tuple[int, Any]:
    project = req.project()
    req.writer(project)
    part = req.form.get("file")
    if not isinstance(part, tuple):
        raise ApiError(400, "file is missing", key="error")
    filename, data = part
    upload = Upload(req.state.next_id(), secrets.token_hex(16), filename, data)
    project.uploads.append(upload)
    alt = filename.rsplit(".", 1)[0]
    return 201, {
        "id": upload.id,
        "alt": alt,
        "url": upload.url,
        "full_path": f"/-/project/{project.id}{upload.url}",
        "markdown": f"![{alt}]({upload.url})",
    }
