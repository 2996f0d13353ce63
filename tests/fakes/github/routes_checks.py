"""Check runs (GitHub App tokens only, as on api.github.com)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import shapes
from .errors import ApiError, SpecViolation, must_be_github_app, not_found, unprocessable
from .pagination import paginate
from .routes_repo import _int_param
from .routing import Ctx, Response, created, route
from .state import CheckRun, iso_now

SUMMARY_LIMIT = 65535  # "Maximum length: 65535 characters" — counted in characters (len), as documented


def _require_app(ctx: Ctx) -> None:
    if ctx.token.kind != "app":
        raise must_be_github_app()


def _check_output(output: dict[str, Any]) -> None:
    for name in ("summary", "text"):
        value = output.get(name)
        if isinstance(value, str) and len(value) > SUMMARY_LIMIT:
            raise ApiError(
                422, f"Invalid request.\n\nOnly {SUMMARY_LIMIT} characters are allowed; {len(value)} were supplied."
            )


def _apply(run: CheckRun, body: dict[str, Any]) -> None:
    """Apply create/update fields; ``conclusion`` implies ``completed`` exactly as GitHub documents."""
    if "output" in body:
        _check_output(body["output"])
        run.output = dict(body["output"])
    for name in ("name", "details_url", "external_id", "started_at", "completed_at"):
        if name in body:
            setattr(run, name, body[name])
    if "status" in body:
        run.status = body["status"]
    if "conclusion" in body:
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if run.status == "completed" and run.conclusion is None:
        raise SpecViolation("`conclusion` is required when `status` is `completed`.")
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = iso_now()


@route("post", "/repos/{owner}/{repo}/check-runs")
def create_check_run(ctx: Ctx) -> Response:
    _require_app(ctx)
    repo = ctx.repo()
    sha = ctx.body["head_sha"]
    if sha not in repo.git.commits:
        raise unprocessable(f"No commit found for SHA: {sha}")
    run = CheckRun(
        id=ctx.state.new_id(),
        name=ctx.body["name"],
        head_sha=sha,
        status="queued",
        conclusion=None,
        started_at=iso_now(),
        completed_at=None,
        output={},
        details_url=None,
        external_id=None,
    )
    _apply(run, ctx.body)
    repo.check_runs[run.id] = run
    return created(shapes.check_run(ctx, repo, run))


@route("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
def update_check_run(ctx: Ctx) -> Response:
    _require_app(ctx)
    repo = ctx.repo()
    run = repo.check_runs.get(_int_param(ctx, "check_run_id"))
    if run is None:
        raise not_found()
    updated = replace(run)  # apply to a copy so a rejected update leaves the run untouched
    _apply(updated, ctx.body)
    repo.check_runs[run.id] = updated
    return Response(200, shapes.check_run(ctx, repo, updated))


@route("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs")
def list_check_runs(ctx: Ctx) -> Response:
    repo = ctx.repo()
    sha = repo.resolve_commit(ctx.params["ref"])
    name, status = ctx.q("check_name"), ctx.q("status")
    runs = [
        run
        for run in sorted(repo.check_runs.values(), key=lambda r: -r.id)
        if run.head_sha == sha and name in (None, run.name) and status in (None, run.status)
    ]
    chunk, headers = paginate(runs, ctx.query, ctx.api_base + ctx.path)
    body = {"total_count": len(runs), "check_runs": [shapes.check_run(ctx, repo, r) for r in chunk]}
    return Response(200, body, headers)
