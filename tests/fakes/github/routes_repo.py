"""Users, rate limit, repositories, pull requests and issues."""

from __future__ import annotations

import copy
import time
from typing import Any

from . import shapes
from .errors import not_accessible_by_integration, not_found
from .pagination import paginate
from .routing import Ctx, Response, route
from .spec import load_spec
from .state import RATE_LIMIT


def page_of(ctx: Ctx, items: list[Any]) -> Response:
    chunk, headers = paginate(items, ctx.query, ctx.api_base + ctx.path)
    return Response(200, chunk, headers)


@route("get", "/user")
def get_user(ctx: Ctx) -> Response:
    if ctx.token.kind == "app":
        # An installation token (GITHUB_TOKEN) is not a user: api.github.com refuses /user for it.
        raise not_accessible_by_integration()
    me = shapes.user(ctx, ctx.token.login, ctx.token.user_id, ctx.token.user_type)
    body = shapes.from_example("private-user-response-with-public-profile-information", ctx, "", **me)
    return Response(200, {**body, "name": None, "email": None, "company": None, "blog": "", "location": None})


@route("get", "/rate_limit")
def get_rate_limit(ctx: Ctx) -> Response:
    used = ctx.state.rate_used.get(ctx.token.value, 0)
    core = {"limit": RATE_LIMIT, "remaining": RATE_LIMIT - used, "reset": int(time.time()) + 3600, "used": used}
    example = load_spec().doc["components"]["examples"]["rate-limit-overview"]["value"]
    resources = {**copy.deepcopy(example["resources"]), "core": core}
    return Response(200, {"resources": resources, "rate": core})


@route("get", "/repos/{owner}/{repo}")
def get_repo(ctx: Ctx) -> Response:
    return Response(200, shapes.repository(ctx, ctx.repo()))


def _int_param(ctx: Ctx, name: str) -> int:
    try:
        return int(ctx.params[name])
    except ValueError:
        raise not_found() from None


@route("get", "/repos/{owner}/{repo}/pulls")
def list_pulls(ctx: Ctx) -> Response:
    repo = ctx.repo()
    state = ctx.q("state", "open")
    head, base = ctx.q("head"), ctx.q("base")
    pulls = []
    for pull in sorted(repo.pulls.values(), key=lambda p: -p.number):  # GitHub: newest first by default
        if state != "all" and pull.state != state:
            continue
        if head and head != f"{pull.head_repo.split('/')[0]}:{pull.head_ref}":
            continue
        if base and base != pull.base_ref:
            continue
        pulls.append(shapes.pull_request(ctx, repo, pull))
    return page_of(ctx, pulls)


@route("get", "/repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull(ctx: Ctx) -> Response:
    repo = ctx.repo()
    pull = repo.pulls.get(_int_param(ctx, "pull_number"))
    if pull is None:
        raise not_found()
    return Response(200, shapes.pull_request(ctx, repo, pull))


@route("get", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls")
def pulls_of_commit(ctx: Ctx) -> Response:
    repo = ctx.repo()
    sha = repo.resolve_commit(ctx.params["commit_sha"])
    found = [p for p in repo.pulls.values() if sha == p.head_sha or sha in p.commits]
    # GitHub lists open pull requests first, then closed ones.
    found.sort(key=lambda p: (p.state != "open", -p.number))
    return page_of(ctx, [shapes.pull_request(ctx, repo, p) for p in found])


@route("get", "/repos/{owner}/{repo}/issues/{issue_number}")
def get_issue(ctx: Ctx) -> Response:
    repo = ctx.repo()
    number = _int_param(ctx, "issue_number")
    if number not in repo.issues and number not in repo.pulls:
        raise not_found()
    return Response(200, shapes.issue(ctx, repo, number))
