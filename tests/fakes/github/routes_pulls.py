"""Opening and merging pull requests (`cml pr create`), and the one GraphQL mutation it uses.

GitHub facts reproduced: `POST /pulls` answers 422 "Validation Failed" (field `head`, code `invalid`) when the head
branch does not exist, and 422 "A pull request already exists for OWNER:BRANCH." for a second open PR of the same
branches; `PUT /pulls/{n}/merge` answers 405 "Pull Request is not mergeable" while required checks are pending;
GraphQL answers 200 with an `errors` list (never an HTTP error) for a refused `enablePullRequestAutoMerge`:
"Pull request is in clean status" when it can be merged now, "Auto merge is not allowed for this repository" when
the setting is off.
"""

from __future__ import annotations

from typing import Any

from ..git_mirror import branch_sha
from . import shapes
from .errors import ApiError, not_found, unprocessable, validation_failed
from .routing import Ctx, Response, created, route
from .state import Pull, Repo, iso_now

GRAPHQL_PATHS = ("/graphql", "/api/graphql")  # api.github.com/graphql; HOST/api/graphql on Enterprise Server
MERGE_METHODS = {"MERGE": "merge", "SQUASH": "squash", "REBASE": "rebase"}


def _head_sha(repo: Repo, branch: str) -> str | None:
    return repo.refs.get(f"heads/{branch}") or branch_sha(repo.git_mirror, branch)


@route("post", "/repos/{owner}/{repo}/pulls")
def create_pull(ctx: Ctx) -> Response:
    repo = ctx.repo()
    body = ctx.body or {}
    head, base = str(body["head"]), str(body["base"])
    head_ref = head.split(":", 1)[-1]
    sha = _head_sha(repo, head_ref)
    if sha is None:
        raise validation_failed("PullRequest", "head", "invalid")
    if f"heads/{base}" not in repo.refs and _head_sha(repo, base) is None:
        raise validation_failed("PullRequest", "base", "invalid")
    for pull in repo.pulls.values():
        if pull.state == "open" and pull.head_ref == head_ref and pull.base_ref == base:
            raise unprocessable(f"A pull request already exists for {repo.owner}:{head_ref}.")
    number = repo.take_number()
    login = ctx.token.login
    pull = Pull(number, str(body.get("title") or ""), sha, head_ref, repo.full_name, base,
                repo.refs.get(f"heads/{base}", sha), "open", login, [sha], iso_now(), body.get("body"))  # fmt: skip
    repo.pulls[number] = pull
    return created(shapes.pull_request(ctx, repo, pull))


@route("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge")
def merge_pull(ctx: Ctx) -> Response:
    repo = ctx.repo()
    pull = repo.pulls.get(int(ctx.params["pull_number"]))
    if pull is None:
        raise not_found()
    if pull.merged or pull.state != "open" or repo.required_checks_pending:
        raise ApiError(405, "Pull Request is not mergeable")
    expected = (ctx.body or {}).get("sha")
    if expected and expected != pull.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    pull.merged, pull.state = True, "closed"
    return Response(200, {"sha": pull.head_sha, "merged": True, "message": "Pull Request successfully merged"})


def graphql(ctx: Ctx) -> Response:
    """The `enablePullRequestAutoMerge` mutation (the only GraphQL call cml-action makes), checked field by field."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    query, variables = str(body.get("query", "")), body.get("variables") or {}
    if "enablePullRequestAutoMerge" not in query or "pullRequestId: $id" not in query:
        return _graphql_error(f"fake GitHub: unexpected GraphQL query: {query[:200]}")
    method = MERGE_METHODS.get(str(variables.get("method")))
    if method is None:
        return _graphql_error("Variable $method of type PullRequestMergeMethod! was provided invalid value")
    found = [(repo, pull) for repo in ctx.state.repos.values() for pull in repo.pulls.values()
             if shapes.pull_request(ctx, repo, pull)["node_id"] == variables.get("id")]  # fmt: skip
    if not found:
        return _graphql_error(f"Could not resolve to a node with the global id of '{variables.get('id')}'")
    repo, pull = found[0]
    if not repo.allow_auto_merge:
        return _graphql_error("Auto merge is not allowed for this repository")
    if not repo.required_checks_pending:
        return _graphql_error("Pull request is in clean status")
    pull.auto_merge = method
    return Response(200, {"data": {"enablePullRequestAutoMerge": {"pullRequest": {"number": pull.number}}}})


def _graphql_error(message: str) -> Response:
    error: dict[str, Any] = {"type": "UNPROCESSABLE", "path": ["enablePullRequestAutoMerge"], "message": message}
    return Response(200, {"data": {"enablePullRequestAutoMerge": None}, "errors": [error]})
