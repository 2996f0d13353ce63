"""The Git Data API: blobs, trees, commits and refs, with git's real object ids and fast-forward rules."""

from __future__ import annotations

import base64
import binascii
import calendar
import time
from typing import Any

from . import shapes_git as shapes
from .errors import ApiError, not_found, unprocessable, validation_failed
from .gitstore import FILE_MODES, TREE_MODE, Person, TreeEntry
from .routing import Ctx, Response, created, route
from .state import Repo, iso_now


@route("post", "/repos/{owner}/{repo}/git/blobs")
def create_blob(ctx: Ctx) -> Response:
    repo = ctx.repo()
    encoding = ctx.body.get("encoding", "utf-8")
    content = ctx.body["content"]
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise validation_failed("Blob", "content", "invalid") from None
    elif encoding in ("utf-8", "utf8"):
        data = content.encode("utf-8")
    else:
        raise validation_failed("Blob", "encoding", "invalid", f"encoding {encoding} is not supported")
    sha = repo.git.put_blob(data)
    return created(shapes.short_blob(ctx, repo, sha))


@route("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(ctx: Ctx) -> Response:
    repo = ctx.repo()
    data = repo.git.blobs.get(ctx.params["file_sha"])
    if data is None:
        raise not_found()
    encoded = base64.encodebytes(data).decode()  # GitHub wraps base64 at 60 columns with newlines
    return Response(200, shapes.blob(ctx, repo, ctx.params["file_sha"], encoded, len(data)))


def _apply_tree_entry(repo: Repo, files: dict[str, TreeEntry], item: dict[str, Any]) -> None:
    path, mode, kind = item["path"].strip("/"), item["mode"], item["type"]
    has_sha, has_content = "sha" in item, "content" in item
    if has_sha and has_content:
        raise unprocessable("tree.sha and tree.content cannot both be set")
    if has_sha and item["sha"] is None:  # sha: null deletes the path (file or whole directory)
        for existing in [p for p in files if p == path or p.startswith(path + "/")]:
            del files[existing]
        return
    if kind == "tree":
        sha = item.get("sha")
        if mode != TREE_MODE or sha not in repo.git.trees:
            raise unprocessable(f"tree.sha {sha} is not a valid tree")
        for existing in [p for p in files if p.startswith(path + "/")]:
            del files[existing]
        for sub_path, entry in repo.git.flatten(sha).items():
            files[f"{path}/{sub_path}"] = entry
        return
    if kind == "blob" and mode in FILE_MODES:
        sha = repo.git.put_blob(item["content"].encode()) if has_content else item.get("sha")
        if sha not in repo.git.blobs:
            raise unprocessable(f"tree.sha {sha} is not a valid blob")
        files[path] = TreeEntry(path, mode, "blob", sha)
        return
    raise unprocessable(f"tree.mode {mode} is not valid for a {kind}")


@route("post", "/repos/{owner}/{repo}/git/trees")
def create_tree(ctx: Ctx) -> Response:
    repo = ctx.repo()
    base = ctx.body.get("base_tree")
    if base is not None and base not in repo.git.trees:
        raise unprocessable("base_tree is not a valid tree oid")
    files = repo.git.flatten(base) if base else {}
    for item in ctx.body["tree"]:
        _apply_tree_entry(repo, files, item)
    sha = repo.git.build_tree(files)
    return created(shapes.tree(ctx, repo, sha, recursive=False))


@route("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(ctx: Ctx) -> Response:
    repo = ctx.repo()
    ref = ctx.params["tree_sha"]
    sha = ref if ref in repo.git.trees else repo.git.commits[repo.resolve_commit(ref)].tree
    recursive = ctx.q("recursive") not in (None, "", "0", "false")
    return Response(200, shapes.tree(ctx, repo, sha, recursive))


def person(raw: dict[str, Any] | None, fallback: Person) -> Person:
    if raw is None:
        return fallback
    date = raw.get("date") or fallback.date
    timestamp = calendar.timegm(time.strptime(date[:19], "%Y-%m-%dT%H:%M:%S"))
    return Person(raw["name"], raw["email"], date, timestamp)


def default_person(ctx: Ctx) -> Person:
    login = ctx.token.login
    email = f"{ctx.token.user_id}+{login}@users.noreply.github.com"
    return Person(login, email, iso_now(), int(time.time()))


@route("post", "/repos/{owner}/{repo}/git/commits")
def create_commit(ctx: Ctx) -> Response:
    repo = ctx.repo()
    tree = ctx.body["tree"]
    if tree not in repo.git.trees:
        raise unprocessable("Tree SHA does not exist")
    parents = tuple(ctx.body.get("parents", []))
    if any(p not in repo.git.commits for p in parents):
        raise unprocessable("Parent SHA does not exist or is not a commit object")
    author = person(ctx.body.get("author"), default_person(ctx))
    committer = person(ctx.body.get("committer"), author)
    commit = repo.git.put_commit(tree, parents, ctx.body["message"], author, committer)
    return created(shapes.git_commit(ctx, repo, commit))


@route("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_git_commit(ctx: Ctx) -> Response:
    repo = ctx.repo()
    commit = repo.git.commits.get(ctx.params["commit_sha"])
    if commit is None:
        raise not_found()
    return Response(200, shapes.git_commit(ctx, repo, commit))


@route("get", "/repos/{owner}/{repo}/commits/{ref}")
def get_commit(ctx: Ctx) -> Response:
    repo = ctx.repo()
    try:
        sha = repo.resolve_commit(ctx.params["ref"])
    except ApiError:
        raise unprocessable(f"No commit found for SHA: {ctx.params['ref']}") from None
    return Response(200, shapes.commit(ctx, repo, repo.git.commits[sha]))


@route("get", "/repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(ctx: Ctx) -> Response:
    repo = ctx.repo()
    name = ctx.params["ref"]
    if name not in repo.refs:
        raise not_found()
    return Response(200, shapes.git_ref(ctx, repo, name, repo.refs[name]))


@route("post", "/repos/{owner}/{repo}/git/refs")
def create_ref(ctx: Ctx) -> Response:
    repo = ctx.repo()
    full, sha = ctx.body["ref"], ctx.body["sha"]
    if not full.startswith("refs/") or full.count("/") < 2:
        raise unprocessable("Reference name must start with 'refs/' and have at least two slashes.")
    name = full.removeprefix("refs/")
    if name in repo.refs:
        raise unprocessable("Reference already exists")
    if sha not in repo.git.commits:
        raise unprocessable("Object does not exist")
    repo.refs[name] = sha
    return created(shapes.git_ref(ctx, repo, name, sha))


@route("patch", "/repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(ctx: Ctx) -> Response:
    repo = ctx.repo()
    name, sha = ctx.params["ref"], ctx.body["sha"]
    if name not in repo.refs:
        raise unprocessable("Reference does not exist")
    if sha not in repo.git.commits:
        raise unprocessable("Object does not exist")
    if not ctx.body.get("force", False) and not repo.git.is_ancestor(repo.refs[name], sha):
        raise unprocessable("Update is not a fast forward")
    repo.refs[name] = sha
    return Response(200, shapes.git_ref(ctx, repo, name, sha))
