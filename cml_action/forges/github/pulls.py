"""Pull requests on GitHub for `cml pr create`: find the open one for a branch, else open it; auto-merge on request.

Facts used (GitHub REST "Pulls" and GraphQL docs):
- `GET /repos/{o}/{r}/pulls?head=OWNER:BRANCH&base=BASE&state=open` lists the open PR of a branch.
- `POST /repos/{o}/{r}/pulls` answers 422 "A pull request already exists for OWNER:BRANCH." for a duplicate.
- Auto-merge exists only in GraphQL (`enablePullRequestAutoMerge`); GitHub refuses it with "Pull request is in
  clean status" when the PR can be merged right now (no required checks pending): then `PUT …/merge` merges it,
  as CML did. The GraphQL endpoint is `GITHUB_GRAPHQL_URL` on a runner: `https://api.github.com/graphql`, or
  `https://HOST/api/graphql` on GitHub Enterprise Server (whose REST base is `https://HOST/api/v3`).
"""

from __future__ import annotations

from typing import Any

from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import MergeMethod, Published, PullRequestRequest
from cml_action.forges.github.rest import ApiError, GitHubRest
from cml_action.forges.retry import Retrier

AUTO_MERGE_MUTATION = (
    "mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: "
    "{pullRequestId: $id, mergeMethod: $method}) { pullRequest { number } } }"
)
CLEAN_STATUS = "clean status"  # GitHub's answer when the PR is mergeable now


def graphql_url(api_url: str) -> str:
    base = api_url.rstrip("/")
    return base.removesuffix("/v3") + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


class GitHubPulls:
    def __init__(self, client: GitHubRest, retrier: Retrier, ctx: RunContext, *, timeout: float) -> None:
        self._client = client
        self._retrier = retrier
        self._ctx = ctx
        self._api = f"/repos/{ctx.repo}"
        self._timeout = timeout

    def open(self, request: PullRequestRequest) -> tuple[Published, str]:
        pull = self._find(request) or self._create(request)
        note = self._auto_merge(pull, request.auto_merge) if request.auto_merge else ""
        return Published(str(pull["html_url"]), str(pull["number"]), f"PR #{pull['number']}"), note

    def _find(self, request: PullRequestRequest) -> dict[str, Any] | None:
        owner = self._ctx.repo.split("/")[0]
        query = {"head": f"{owner}:{request.source}", "base": request.target, "state": "open"}

        def lookup() -> dict[str, Any] | None:
            return next(iter(self._client.pages(f"{self._api}/pulls", query=query)), None)

        return self._retrier.read("pull request", lookup)

    def _create(self, request: PullRequestRequest) -> dict[str, Any]:
        body = {"title": request.title, "head": request.source, "base": request.target, "body": request.body}
        created: dict[str, Any] = self._retrier.write(
            "pull request",
            lambda: self._client.request("POST", f"{self._api}/pulls", body=body),
            refind=lambda: self._find(request),  # a lost answer: the PR may exist already
        )
        return created

    def _auto_merge(self, pull: dict[str, Any], method: MergeMethod) -> str:
        graphql = GitHubRest(graphql_url(self._ctx.api_url), self._ctx.token, timeout=self._timeout)
        variables = {"id": pull["node_id"], "method": method.upper()}
        answer = self._retrier.write(
            "pull request",
            lambda: graphql.request("POST", "", body={"query": AUTO_MERGE_MUTATION, "variables": variables}),
        )
        errors = [str(e.get("message", "")) for e in (answer or {}).get("errors") or [] if isinstance(e, dict)]
        if not errors:
            return f"auto-merge ({method}) enabled: GitHub merges PR #{pull['number']} once its checks pass"
        if any(CLEAN_STATUS in message for message in errors):
            return self._merge_now(pull, method)
        return f"PR #{pull['number']} stays open: GitHub refused auto-merge ({errors[0]})"

    def _merge_now(self, pull: dict[str, Any], method: MergeMethod) -> str:
        path = f"{self._api}/pulls/{pull['number']}/merge"
        try:
            self._retrier.write(
                "pull request",
                lambda: self._client.request("PUT", path, body={"merge_method": method, "sha": pull["head"]["sha"]}),
            )
        except ApiError as exc:
            raise CmlError(f"PR #{pull['number']} was opened but could not be merged: {exc.message}") from None
        return f"PR #{pull['number']} merged ({method}): it was mergeable at once"
