"""Workflow runs and their artifacts: what a `workflow_run` job reads to publish a fork PR's report bundle.

`GET .../actions/artifacts/{id}/zip` answers 302 with a short-lived storage URL on another path of this server
(`/_artifact-storage/<id>/<secret>`), which takes no token, as GitHub's blob storage does.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import shapes
from .errors import ApiError, not_found
from .routing import Ctx, Response, route

if TYPE_CHECKING:
    from .fake import FakeGitHub
    from .state import State

STORAGE_PREFIX = "/_artifact-storage/"


@dataclass
class Artifact:
    id: int
    name: str
    data: bytes
    expired: bool = False
    size_in_bytes: int | None = None  # what the listing claims (default: the real size)


@dataclass
class WorkflowRun:
    id: int
    repo: str
    head_sha: str
    head_repo: str
    event: str = "pull_request"
    artifacts: list[Artifact] = field(default_factory=list)


@dataclass
class Actions:
    """The fake's runs and storage links, kept on its State (one per fake)."""

    runs: dict[int, WorkflowRun] = field(default_factory=dict)
    links: dict[str, bytes] = field(default_factory=dict)  # storage path -> zip bytes
    lock: threading.Lock = field(default_factory=threading.Lock)


def actions_of(state: State) -> Actions:
    with state.lock:
        found = getattr(state, "_actions", None)
        if found is None:
            found = Actions()
            state._actions = found  # type: ignore[attr-defined]
    assert isinstance(found, Actions)
    return found


def add_workflow_run(fake: FakeGitHub, repo: str, head_sha: str, *, head_repo: str | None = None,
                     artifacts: dict[str, bytes] | None = None, event: str = "pull_request",
                     run_id: int | None = None) -> int:  # fmt: skip
    actions = actions_of(fake.state)
    run_id = run_id or fake.state.new_id()
    run = WorkflowRun(run_id, repo, head_sha, head_repo or repo, event)
    for name, data in (artifacts or {}).items():
        run.artifacts.append(Artifact(fake.state.new_id(), name, data))
    with actions.lock:
        actions.runs[run_id] = run
    return run_id


def _run(ctx: Ctx) -> WorkflowRun:
    actions = actions_of(ctx.state)
    try:
        run = actions.runs.get(int(ctx.params["run_id"]))
    except ValueError:
        raise not_found() from None
    if run is None or run.repo.lower() != ctx.repo().full_name.lower():
        raise not_found()
    return run


def _repo_shape(ctx: Ctx, full_name: str) -> dict[str, Any]:
    owner, _, name = full_name.partition("/")
    base = shapes.from_example("workflow-run", ctx, full_name)["head_repository"]
    return {**base, "full_name": full_name, "name": name, "owner": {**base["owner"], "login": owner}}


@route("get", "/repos/{owner}/{repo}/actions/runs/{run_id}")
def get_run(ctx: Ctx) -> Response:
    run = _run(ctx)
    repo = ctx.repo()
    body = shapes.from_example("workflow-run", ctx, repo.full_name, id=run.id, head_sha=run.head_sha, event=run.event,
                               pull_requests=[], head_repository=_repo_shape(ctx, run.head_repo),
                               repository=_repo_shape(ctx, repo.full_name))  # fmt: skip
    return Response(200, body)


def _artifact_shape(ctx: Ctx, run: WorkflowRun, artifact: Artifact) -> dict[str, Any]:
    example = shapes.from_example("artifact-paginated", ctx, run.repo)["artifacts"][0]
    api = f"{ctx.api_base}/repos/{run.repo}/actions/artifacts/{artifact.id}"
    size = artifact.size_in_bytes if artifact.size_in_bytes is not None else len(artifact.data)
    workflow_run = {**example["workflow_run"], "id": run.id, "head_sha": run.head_sha}
    fields = {"id": artifact.id, "name": artifact.name, "size_in_bytes": size, "url": api, "expired": artifact.expired,
              "archive_download_url": f"{api}/zip", "workflow_run": workflow_run}  # fmt: skip
    return {**example, **fields}


@route("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts")
def list_artifacts(ctx: Ctx) -> Response:
    run = _run(ctx)
    name = ctx.q("name")
    found = [_artifact_shape(ctx, run, a) for a in run.artifacts if name is None or a.name == name]
    return Response(200, {"total_count": len(found), "artifacts": found})


@route("get", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}")
def download_artifact(ctx: Ctx) -> Response:
    actions = actions_of(ctx.state)
    repo = ctx.repo()
    if ctx.params["archive_format"] != "zip":
        raise not_found()
    for run in actions.runs.values():
        for artifact in run.artifacts:
            if str(artifact.id) == ctx.params["artifact_id"] and run.repo.lower() == repo.full_name.lower():
                if artifact.expired:
                    raise ApiError(410, "Artifact has expired")
                path = f"{STORAGE_PREFIX}{artifact.id}/{secrets.token_hex(8)}"
                with actions.lock:
                    actions.links[path] = artifact.data
                return Response(302, None, {"location": ctx.server_url + path})
    raise not_found()


def storage(state: State, path: str) -> Response:
    """The storage URL a download redirected to: no token needed, the bytes as a zip."""
    actions = actions_of(state)
    with actions.lock:
        data = actions.links.get(path)
    if data is None:
        return Response(404, b"BlobNotFound", {"content-type": "text/plain"})
    return Response(200, data, {"content-type": "application/zip"})
