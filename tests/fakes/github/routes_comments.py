"""Issue (and pull request) comments and commit comments."""

from __future__ import annotations

from . import shapes
from .errors import body_too_long, not_found
from .routes_repo import _int_param, page_of
from .routing import Ctx, Response, created, route
from .state import Comment, Repo, iso_now

COMMENT_BODY_LIMIT = 65536


def _checked_body(ctx: Ctx, resource: str) -> str:
    body = str(ctx.body["body"])
    if len(body) > COMMENT_BODY_LIMIT:
        raise body_too_long(resource, COMMENT_BODY_LIMIT)
    return body


def _new_comment(ctx: Ctx, body: str) -> Comment:
    now = iso_now()
    token = ctx.token
    return Comment(ctx.state.new_id(), body, token.login, token.user_id, token.user_type, now, now)


def _issue_number(ctx: Ctx, repo: Repo) -> int:
    number = _int_param(ctx, "issue_number")
    if number not in repo.issues and number not in repo.pulls:
        raise not_found()
    return number


@route("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_issue_comments(ctx: Ctx) -> Response:
    repo = ctx.repo()
    number = _issue_number(ctx, repo)
    since = ctx.q("since")
    comments = [
        shapes.issue_comment(ctx, repo, c)
        for c in sorted(repo.issue_comments.values(), key=lambda c: c.id)
        if c.issue_number == number and (since is None or c.updated_at >= since)
    ]
    return page_of(ctx, comments)


@route("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_issue_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    number = _issue_number(ctx, repo)
    comment = _new_comment(ctx, _checked_body(ctx, "IssueComment"))
    comment.issue_number = number
    repo.issue_comments[comment.id] = comment
    return created(shapes.issue_comment(ctx, repo, comment))


@route("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_issue_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "issue")
    return Response(200, shapes.issue_comment(ctx, repo, comment))


@route("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def update_issue_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "issue")
    comment.body = _checked_body(ctx, "IssueComment")
    comment.updated_at = iso_now()
    return Response(200, shapes.issue_comment(ctx, repo, comment))


@route("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def delete_issue_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "issue")
    del repo.issue_comments[comment.id]
    return Response(204)


@route("get", "/repos/{owner}/{repo}/commits/{commit_sha}/comments")
def list_commit_comments(ctx: Ctx) -> Response:
    repo = ctx.repo()
    sha = repo.resolve_commit(ctx.params["commit_sha"])
    comments = [
        shapes.commit_comment(ctx, repo, c)
        for c in sorted(repo.commit_comments.values(), key=lambda c: c.id)
        if c.commit_id == sha
    ]
    return page_of(ctx, comments)


@route("post", "/repos/{owner}/{repo}/commits/{commit_sha}/comments")
def create_commit_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    sha = repo.resolve_commit(ctx.params["commit_sha"])
    comment = _new_comment(ctx, _checked_body(ctx, "CommitComment"))
    comment.commit_id = sha
    comment.path = ctx.body.get("path")
    comment.position = ctx.body.get("position")
    comment.line = ctx.body.get("line")
    repo.commit_comments[comment.id] = comment
    return created(shapes.commit_comment(ctx, repo, comment))


@route("get", "/repos/{owner}/{repo}/comments/{comment_id}")
def get_commit_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "commit")
    return Response(200, shapes.commit_comment(ctx, repo, comment))


@route("patch", "/repos/{owner}/{repo}/comments/{comment_id}")
def update_commit_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "commit")
    comment.body = _checked_body(ctx, "CommitComment")
    comment.updated_at = iso_now()
    return Response(200, shapes.commit_comment(ctx, repo, comment))


@route("delete", "/repos/{owner}/{repo}/comments/{comment_id}")
def delete_commit_comment(ctx: Ctx) -> Response:
    repo = ctx.repo()
    comment = ctx.state.comment_by_id(repo, _int_param(ctx, "comment_id"), "commit")
    del repo.commit_comments[comment.id]
    return Response(204)
