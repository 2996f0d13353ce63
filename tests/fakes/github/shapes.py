"""Response bodies shaped like GitHub's: the spec's example for the type, rebased onto the fake's URLs and
overridden with the fake's state (ids, bodies, shas, users). Fields PyGithub follows (``url``,
``issue_url``, ``html_url`` …) always point back at this server, with the ``/api/v3`` prefix when the
client came in through it."""

from __future__ import annotations

import functools
from typing import Any

from .routing import Ctx
from .spec import load_spec
from .state import CheckRun, Comment, Issue, Pull, Repo, node_id

EXAMPLE_REPO = "octocat/Hello-World"


def _rebase(node: Any, api_base: str, server_url: str, full_name: str) -> Any:
    if isinstance(node, str):
        text = node.replace("https://api.github.com", api_base).replace("https://github.com", server_url)
        return text.replace(EXAMPLE_REPO, full_name)
    if isinstance(node, list):
        return [_rebase(item, api_base, server_url, full_name) for item in node]
    if isinstance(node, dict):
        return {key: _rebase(value, api_base, server_url, full_name) for key, value in node.items()}
    return node


@functools.lru_cache(maxsize=256)
def _rebased_example(example_name: str, api_base: str, server_url: str, repo_full_name: str) -> dict[str, Any]:
    example = load_spec().doc["components"]["examples"][example_name]["value"]
    return dict(_rebase(example, api_base, server_url, repo_full_name))


def from_example(example_name: str, ctx: Ctx, repo_full_name: str, /, **overrides: Any) -> dict[str, Any]:
    """A shallow copy of the cached, rebased example with ``overrides`` on top.

    Nested values that come from the example are shared between responses: never mutate them, replace them.
    """
    return {**_rebased_example(example_name, ctx.api_base, ctx.server_url, repo_full_name), **overrides}


def user(ctx: Ctx, login: str, user_id: int, user_type: str = "User") -> dict[str, Any]:
    api = f"{ctx.api_base}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("User" if user_type == "User" else "Bot", user_id),
        "avatar_url": f"{ctx.server_url}/avatars/u/{user_id}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{ctx.server_url}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": user_type,
        "site_admin": False,
        "user_view_type": "public",
    }


def repo_api(ctx: Ctx, repo: Repo) -> str:
    return f"{ctx.api_base}/repos/{repo.full_name}"


def repo_html(ctx: Ctx, repo: Repo) -> str:
    return f"{ctx.server_url}/{repo.full_name}"


def repository(ctx: Ctx, repo: Repo) -> dict[str, Any]:
    body = from_example("full-repository-default-response", ctx, repo.full_name)
    for key in ("organization", "parent", "source", "template_repository"):
        body.pop(key, None)
    body.update(
        id=repo.id,
        node_id=node_id("Repository", repo.id),
        name=repo.name,
        full_name=repo.full_name,
        owner=user(ctx, repo.owner, ctx.state.user_id(repo.owner)),
        private=repo.private,
        visibility="private" if repo.private else "public",
        fork=False,
        language=None,
        license=None,
        default_branch=repo.default_branch,
        url=repo_api(ctx, repo),
        html_url=repo_html(ctx, repo),
        clone_url=f"{repo_html(ctx, repo)}.git",
        permissions={
            "admin": False,
            "maintain": False,
            "push": ctx.token.permission == "write",
            "triage": ctx.token.permission == "write",
            "pull": True,
        },
    )
    return body


def author_association(repo: Repo, login: str, user_type: str) -> str:
    if user_type == "Bot":
        return "NONE"
    return "OWNER" if login.lower() == repo.owner.lower() else "CONTRIBUTOR"


def issue_comment(ctx: Ctx, repo: Repo, comment: Comment) -> dict[str, Any]:
    return from_example(
        "issue-comment",
        ctx,
        repo.full_name,
        id=comment.id,
        node_id=node_id("IssueComment", comment.id),
        url=f"{repo_api(ctx, repo)}/issues/comments/{comment.id}",
        html_url=f"{repo_html(ctx, repo)}/pull/{comment.issue_number}#issuecomment-{comment.id}",
        issue_url=f"{repo_api(ctx, repo)}/issues/{comment.issue_number}",
        body=comment.body,
        user=user(ctx, comment.login, comment.user_id, comment.user_type),
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        author_association=author_association(repo, comment.login, comment.user_type),
        performed_via_github_app=None,
        minimized=None,
        pin=None,
    )


def commit_comment(ctx: Ctx, repo: Repo, comment: Comment) -> dict[str, Any]:
    return from_example(
        "commit-comment",
        ctx,
        repo.full_name,
        id=comment.id,
        node_id=node_id("CommitComment", comment.id),
        url=f"{repo_api(ctx, repo)}/comments/{comment.id}",
        html_url=f"{repo_html(ctx, repo)}/commit/{comment.commit_id}#commitcomment-{comment.id}",
        commit_id=comment.commit_id,
        body=comment.body,
        path=comment.path,
        position=comment.position,
        line=comment.line,
        user=user(ctx, comment.login, comment.user_id, comment.user_type),
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        author_association=author_association(repo, comment.login, comment.user_type),
    )


def _branch(ctx: Ctx, full_name: str, ref: str, sha: str) -> dict[str, Any]:
    owner = full_name.split("/")[0]
    repo = ctx.state.repos.get(full_name.lower())
    user_id = ctx.state.user_id(owner)
    return {
        "label": f"{owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(ctx, owner, user_id),
        # A fork we do not model as a Repo still gets a plausible repository object.
        "repo": repository(ctx, repo) if repo else _foreign_repo(ctx, full_name, user_id),
    }


def _foreign_repo(ctx: Ctx, full_name: str, user_id: int) -> dict[str, Any]:
    owner, name = full_name.split("/")
    stub = Repo(owner=owner, name=name, id=user_id + 1, private=False, default_branch="main")
    body = repository(ctx, stub)
    body["fork"] = True
    return body


def pull_request(ctx: Ctx, repo: Repo, pull: Pull) -> dict[str, Any]:
    api = f"{repo_api(ctx, repo)}/pulls/{pull.number}"
    html = f"{repo_html(ctx, repo)}/pull/{pull.number}"
    issue_api = f"{repo_api(ctx, repo)}/issues/{pull.number}"
    links = {
        "self": {"href": api},
        "html": {"href": html},
        "issue": {"href": issue_api},
        "comments": {"href": f"{issue_api}/comments"},
        "review_comments": {"href": f"{api}/comments"},
        "review_comment": {"href": f"{repo_api(ctx, repo)}/pulls/comments{{/number}}"},
        "commits": {"href": f"{api}/commits"},
        "statuses": {"href": f"{repo_api(ctx, repo)}/statuses/{pull.head_sha}"},
    }
    return from_example(
        "pull-request",
        ctx,
        repo.full_name,
        id=pull.number + repo.id * 1000,
        node_id=node_id("PullRequest", pull.number + repo.id * 1000),
        number=pull.number,
        url=api,
        html_url=html,
        diff_url=f"{html}.diff",
        patch_url=f"{html}.patch",
        issue_url=issue_api,
        commits_url=f"{api}/commits",
        review_comments_url=f"{api}/comments",
        review_comment_url=f"{repo_api(ctx, repo)}/pulls/comments{{/number}}",
        comments_url=f"{issue_api}/comments",
        statuses_url=f"{repo_api(ctx, repo)}/statuses/{pull.head_sha}",
        state=pull.state,
        title=pull.title,
        body=pull.body,
        user=user(ctx, pull.login, ctx.state.user_id(pull.login)),
        created_at=pull.created_at,
        updated_at=pull.created_at,
        closed_at=pull.created_at if pull.state == "closed" else None,
        merged_at=pull.created_at if pull.merged else None,
        merged=pull.merged,
        merged_by=None,
        merge_commit_sha=None,
        draft=False,
        locked=False,
        assignee=None,
        assignees=[],
        requested_reviewers=[],
        requested_teams=[],
        labels=[],
        milestone=None,
        auto_merge=_auto_merge(ctx, pull),
        head=_branch(ctx, pull.head_repo, pull.head_ref, pull.head_sha),
        base=_branch(ctx, repo.full_name, pull.base_ref, pull.base_sha),
        _links=links,
        author_association=author_association(repo, pull.login, "User"),
        comments=sum(1 for c in repo.issue_comments.values() if c.issue_number == pull.number),
    )


def _auto_merge(ctx: Ctx, pull: Pull) -> dict[str, Any] | None:
    if pull.auto_merge is None:
        return None
    enabler = user(ctx, ctx.token.login, ctx.token.user_id, ctx.token.user_type)
    return {"enabled_by": enabler, "merge_method": pull.auto_merge, "commit_title": "", "commit_message": ""}


def issue(ctx: Ctx, repo: Repo, number: int) -> dict[str, Any]:
    item: Issue | Pull | None = repo.issues.get(number) or repo.pulls.get(number)
    assert item is not None
    api = f"{repo_api(ctx, repo)}/issues/{number}"
    kind = "pull" if isinstance(item, Pull) else "issues"
    body = from_example(
        "issue",
        ctx,
        repo.full_name,
        id=number + repo.id * 1000,
        node_id=node_id("Issue", number + repo.id * 1000),
        number=number,
        url=api,
        repository_url=repo_api(ctx, repo),
        labels_url=f"{api}/labels{{/name}}",
        comments_url=f"{api}/comments",
        events_url=f"{api}/events",
        html_url=f"{repo_html(ctx, repo)}/{kind}/{number}",
        title=item.title,
        state=item.state,
        user=user(ctx, item.login, ctx.state.user_id(item.login)),
        body=None,
        created_at=item.created_at,
        updated_at=item.created_at,
        closed_at=None,
        closed_by=None,
        locked=False,
        active_lock_reason=None,
        assignee=None,
        assignees=[],
        labels=[],
        milestone=None,
        comments=sum(1 for c in repo.issue_comments.values() if c.issue_number == number),
        author_association=author_association(repo, item.login, "User"),
    )
    body.pop("pull_request", None)
    if isinstance(item, Pull):
        html = f"{repo_html(ctx, repo)}/pull/{number}"
        body["pull_request"] = {
            "url": f"{repo_api(ctx, repo)}/pulls/{number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        }
    return body


GITHUB_ACTIONS_APP = {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"}


def check_run(ctx: Ctx, repo: Repo, run: CheckRun) -> dict[str, Any]:
    api = f"{repo_api(ctx, repo)}/check-runs/{run.id}"
    output = {
        "title": run.output.get("title"),
        "summary": run.output.get("summary"),
        "text": run.output.get("text"),
        "annotations_count": len(run.output.get("annotations", [])),
        "annotations_url": f"{api}/annotations",
    }
    body = from_example(
        "check-run",
        ctx,
        repo.full_name,
        id=run.id,
        node_id=node_id("CheckRun", run.id),
        name=run.name,
        head_sha=run.head_sha,
        external_id=run.external_id or "",
        url=api,
        html_url=f"{repo_html(ctx, repo)}/runs/{run.id}",
        details_url=run.details_url or f"{repo_html(ctx, repo)}/runs/{run.id}",
        status=run.status,
        conclusion=run.conclusion,
        started_at=run.started_at,
        completed_at=run.completed_at,
        output=output,
        check_suite={"id": run.id + 7},
        pull_requests=[],
    )
    body["app"] = {**body["app"], **GITHUB_ACTIONS_APP, "html_url": f"{ctx.server_url}/apps/github-actions"}
    return body
