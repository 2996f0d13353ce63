"""Reading files without the Git Data API: the contents API, and the commits of a branch (newest first)."""

from __future__ import annotations

import base64
from typing import Any

from . import shapes_git
from .errors import ApiError, not_found
from .gitstore import TreeEntry
from .routes_repo import page_of
from .routing import Ctx, Response, route
from .shapes import repo_api, repo_html
from .state import Repo

# GitHub: "Between 1-100 MB: Only the raw or object custom media types are supported" -- the JSON answer of a larger
# file has an empty `content` and `encoding: none`.
CONTENT_LIMIT = 1024 * 1024


def _file(ctx: Ctx, repo: Repo, path: str, ref: str, entry: TreeEntry) -> dict[str, Any]:
    data = repo.git.blobs[entry.sha]
    small = len(data) <= CONTENT_LIMIT
    api = f"{repo_api(ctx, repo)}/contents/{path}?ref={ref}"
    html = f"{repo_html(ctx, repo)}/blob/{ref}/{path}"
    git = f"{repo_api(ctx, repo)}/git/blobs/{entry.sha}"
    return {
        "type": "file",
        "encoding": "base64" if small else "none",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.encodebytes(data).decode() if small else "",
        "sha": entry.sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": f"{ctx.server_url}/{repo.full_name}/raw/{ref}/{path}",
        "_links": {"self": api, "git": git, "html": html},
    }


@route("get", "/repos/{owner}/{repo}/contents/{path}")
def get_contents(ctx: Ctx) -> Response:
    repo = ctx.repo()
    ref = ctx.q("ref") or repo.default_branch
    try:
        sha = repo.resolve_commit(ref)
    except ApiError:
        raise ApiError(404, f"No commit found for the ref {ref}") from None
    path = ctx.params["path"].strip("/")
    entry = repo.git.flatten(repo.git.commits[sha].tree).get(path)
    if entry is None or entry.type != "blob":  # directories are not served: cml-action reads files only
        raise not_found()
    return Response(200, _file(ctx, repo, path, ref, entry))


@route("get", "/repos/{owner}/{repo}/commits")
def list_commits(ctx: Ctx) -> Response:
    repo = ctx.repo()
    start = repo.resolve_commit(ctx.q("sha") or repo.default_branch)
    listed: list[str] = []
    pending, seen = [start], set()
    while pending:  # parents before grandparents: newest first, as GitHub lists a linear history
        sha = pending.pop(0)
        if sha in seen or sha not in repo.git.commits:
            continue
        seen.add(sha)
        listed.append(sha)
        pending.extend(repo.git.commits[sha].parents)
    return page_of(ctx, [shapes_git.commit(ctx, repo, repo.git.commits[sha]) for sha in listed])
