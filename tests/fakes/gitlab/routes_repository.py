"""GitLab REST v4 repository routes the results store uses: the Files API (read, raw) and the Commits API (list,
create with actions), with GitLab's checks and messages (lib/api/files.rb, lib/api/commits.rb,
app/services/commits/create_service.rb, app/services/files/multi_service.rb, Gitaly's UserCommitFiles errors)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from .repository import NOW, RepoCommit, Repository
from .routes import DEVELOPER, ApiError, Req, not_found, route
from .state import Project

ACTIONS = ("create", "delete", "move", "update", "chmod")
PUSH_REFUSED = "403 Forbidden - You are not allowed to push into this branch"


def commit_api(commit: RepoCommit, project: Project, req: Req) -> dict[str, Any]:
    title = commit.message.split("\n", 1)[0]
    return {
        "id": commit.id,
        "short_id": commit.id[:8],
        "created_at": NOW,
        "parent_ids": list(commit.parent_ids),
        "title": title,
        "message": commit.message,
        "author_name": commit.author,
        "author_email": f"{commit.author}@example.com",
        "authored_date": NOW,
        "committer_name": commit.author,
        "committer_email": f"{commit.author}@example.com",
        "committed_date": NOW,
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{req.web}/{project.path}/-/commit/{commit.id}",
    }


def _ref(req: Req, repo: Repository) -> RepoCommit:
    ref = req.query.get("ref")
    if not ref:
        raise ApiError(400, "ref is missing", key="error")
    commit = repo.resolve(ref)
    if commit is None:
        raise not_found("Commit")
    return commit


@route("GET", "/projects/:id/repository/files/:file_path")
def get_file(req: Req) -> tuple[int, Any]:
    project = req.project()
    commit = _ref(req, project.repository)
    path = req.params["file_path"]
    found = commit.files.get(path)
    if found is None:
        raise not_found("File")
    return 200, {
        "file_name": path.rsplit("/", 1)[-1],
        "file_path": path,
        "size": len(found.data),
        "encoding": "base64",
        "content": base64.b64encode(found.data).decode(),
        "content_sha256": hashlib.sha256(found.data).hexdigest(),
        "ref": req.query["ref"],
        "blob_id": found.blob_id,
        "commit_id": commit.id,
        "last_commit_id": found.last_commit_id,
        "execute_filemode": False,
    }


@route("GET", "/projects/:id/repository/commits")
def list_commits(req: Req) -> tuple[int, Any]:
    project = req.project()
    ref = req.query.get("ref_name") or project.default_branch
    if project.repository.resolve(ref) is None:
        raise not_found("Reference")
    return 200, [commit_api(commit, project, req) for commit in project.repository.history(ref)]


def _may_push(req: Req, project: Project, branch: str) -> None:
    """`authorize_push_to_branch!`: Developer or higher, and the branch's push level when it is protected."""
    token = req.token
    if token is None:
        raise ApiError(401, "401 Unauthorized")
    if token.kind == "project" and "api" not in token.scopes:
        error = ApiError(403, "insufficient_scope", key="error")
        error.body |= {"error_description": "The request requires higher privileges than provided by the access "
                       "token.", "scope": "api"}  # fmt: skip
        raise error
    level = project.members.get(token.user.id, 0)
    if level < max(DEVELOPER, project.repository.protected.get(branch, 0)):
        raise ApiError(403, PUSH_REFUSED)


def _required(req: Req) -> tuple[str, str, list[dict[str, Any]]]:
    for name in ("branch", "commit_message", "actions"):
        if not req.form.get(name):
            raise ApiError(400, f"{name} is missing", key="error")
    actions = req.form["actions"]
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("action") not in ACTIONS:
            raise ApiError(400, f"actions[{index}][action] does not have a valid value", key="error")
        if not action.get("file_path"):
            raise ApiError(400, f"actions[{index}][file_path] is missing", key="error")
    return str(req.form["branch"]), str(req.form["commit_message"]), actions


def _start(req: Req, repo: Repository, branch: str) -> tuple[RepoCommit | None, bool]:
    """The commit the new one builds on, and whether it starts from somewhere else than `branch` itself."""
    start_branch, start_sha = req.form.get("start_branch"), req.form.get("start_sha")
    if start_branch and start_sha:
        raise ApiError(400, "You can't pass both start_branch and start_sha")
    if start_sha:
        commit = repo.commits.get(str(start_sha))
        if commit is None:
            raise ApiError(400, f"Cannot find start_sha '{start_sha}'")
        different = True
    else:
        start_branch = start_branch or branch
        if repo.commits and start_branch not in repo.branches:
            raise ApiError(400, "You can only create or edit files when you are on a branch")
        commit = repo.resolve(start_branch) if repo.commits else None
        different = start_branch != branch
    if different and branch in repo.branches and not req.form.get("force"):
        raise ApiError(400, f"A branch called '{branch}' already exists. Switch to that branch in order to make "
                       "changes")  # fmt: skip
    return commit, different


def _content(action: dict[str, Any]) -> bytes:
    text = str(action.get("content") or "")
    if action.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "Invalid base64 content") from None
    return text.encode()


def _changes(start: RepoCommit | None, actions: list[dict[str, Any]]) -> dict[str, bytes | None]:
    files = start.files if start else {}
    for action in actions:  # Files::MultiService#validate!: the optimistic lock, before Gitaly sees anything
        path, last = action["file_path"], action.get("last_commit_id")
        guarded = action["action"] in ("update", "move", "delete") and last and path in files
        if guarded and files[path].last_commit_id != last:
            raise ApiError(400, f"The file has changed since you started editing it: {path}")
    changes: dict[str, bytes | None] = {}
    for action in actions:  # Gitaly's UserCommitFiles
        path, kind = action["file_path"], action["action"]
        if kind == "create" and path in files:
            raise ApiError(400, "A file with this name already exists")
        if kind in ("update", "delete", "chmod") and path not in files:
            raise ApiError(400, "A file with this name doesn't exist")
        changes[path] = None if kind == "delete" else _content(action) if kind != "chmod" else files[path].data
    return changes


@route("POST", "/projects/:id/repository/commits")
def create_commit(req: Req) -> tuple[int, Any]:
    project = req.project()
    branch, message, actions = _required(req)
    _may_push(req, project, branch)
    repo = project.repository
    start, _ = _start(req, repo, branch)
    changes = _changes(start, actions)
    assert req.token is not None
    made = repo.commit(start.id if start else None, message, req.token.user.username, changes)
    repo.branches[branch] = made.id
    project.commits.add(made.id)
    body = commit_api(made, project, req) | {"stats": {"additions": len(changes), "deletions": 0,
                                                        "total": len(changes)}, "status": None,
                                              "project_id": project.id, "last_pipeline": None}  # fmt: skip
    return 201, body
