"""The GitHub forge (PyGithub): sticky PR/issue/commit comments, check runs, images on the assets branch.

Requests are kept to what the report needs: the repository object is lazy (no `GET /repos/{o}/{r}`), the sticky
search reads ceil(comments / 100) pages, and each report is one write. Retries, pacing and error lines live in
`github_http`, token facts in `github_tokens`, the image commit in `github_assets`.

Which comments are "ours": the marker must match AND the author must be the token's identity. An installation token
(the Actions `GITHUB_TOKEN`, or a GitHub App's) comments as a bot (`github-actions[bot]`, `<app>[bot]`) and cannot
call `GET /user`, so for it the author must be a bot; once this process has created a comment, its exact login is
used. For other tokens the login comes from one `GET /user` (cached), made only once a marker matched.

A create whose response was lost (connection dropped, timeout, 5xx) is not re-sent blindly: the comment (or check
run) is first looked for by marker, author and identical body. An unchanged report is not rewritten at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cml_action.context import RunContext
from cml_action.errors import CmlError, PublishError
from cml_action.forges.base import CheckRequest, CommentRequest, ForgeOptions, Limits, PreparedImage, Published
from cml_action.forges.github_assets import AssetPublisher
from cml_action.forges.github_http import Caller, describe
from cml_action.forges.github_tokens import (
    fork_read_only_error,
    missing_token_error,
    personal_token_check_error,
    token_facts,
)

# GitHub: issue/commit comment bodies up to 65 536 characters ("Body is too long (maximum is 65536 characters)");
# check-run output.summary "Maximum length: 65535 characters".
COMMENT_LIMIT = 65536
CHECK_SUMMARY_LIMIT = 65535
PER_PAGE = 100  # the REST maximum page size


@dataclass(frozen=True)
class _Place:
    """Where comments live: an issue/PR conversation, or a commit."""

    kind: str  # "issue" or "commit"
    number: int | None = None
    sha: str = ""
    label: str = ""


def _same_body(left: str | None, right: str) -> bool:
    return (left or "").replace("\r\n", "\n").strip() == right.replace("\r\n", "\n").strip()


class GitHubForge:
    name = "github"
    limits = Limits(comment=COMMENT_LIMIT, check=CHECK_SUMMARY_LIMIT, unit="chars", check_unit="chars")

    def __init__(self, ctx: RunContext, options: ForgeOptions, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._ctx = ctx
        self._options = options
        self._facts = token_facts(ctx.token)
        self._caller = Caller(
            max_attempts=options.max_attempts,
            max_backoff=options.max_backoff,
            write_interval=options.write_interval,
            sleep=sleep,
        )
        self._client: Any = None
        self._repo_obj: Any = None
        self._login: str | None = None
        self.can_publish = not ctx.is_fork
        self.skip_reason = str(fork_read_only_error()) if ctx.is_fork else ""

    # -- plumbing -------------------------------------------------------------------------------------------------

    @property
    def attempts(self) -> int:
        """Requests attempted through the retry layer (benchmarks and tests read it)."""
        return self._caller.attempts

    def _github(self) -> Any:
        if self._client is None:
            from github import Auth, Github

            self._client = Github(
                base_url=self._ctx.api_url,
                auth=Auth.Token(self._ctx.token),
                per_page=PER_PAGE,
                retry=None,  # our own policy (github_http): PyGithub must not retry writes blindly
                timeout=max(1, math.ceil(self._options.timeout)),  # PyGithub insists on whole seconds
                seconds_between_requests=None,
                seconds_between_writes=None,  # paced by github_http.Caller
                lazy=True,
            )
        return self._client

    def _repo(self) -> Any:
        if self._repo_obj is None:
            self._repo_obj = self._github().get_repo(self._ctx.repo)
        return self._repo_obj

    def _guard(self, what: str, action: Callable[[], Published]) -> Published:
        from github.GithubException import GithubException

        try:
            return action()
        except GithubException as exc:
            raise PublishError(describe(exc, what, self._ctx.repo)) from None

    # -- preflight ------------------------------------------------------------------------------------------------

    def preflight(self, *, wants_comment: bool, wants_check: bool, wants_images: bool) -> None:
        if not (wants_comment or wants_check or wants_images):
            return
        if self._ctx.is_fork:
            raise fork_read_only_error()
        if not self._ctx.token:
            raise missing_token_error(self._ctx.token_source or "the 'token' input")
        if wants_check and not self._facts.can_create_checks:
            raise personal_token_check_error(self._facts)

    # -- images ---------------------------------------------------------------------------------------------------

    def publish_images(self, images: Sequence[PreparedImage]) -> Mapping[str, str]:
        from github.GithubException import GithubException

        publisher = AssetPublisher(
            self._github().requester,
            repo=self._ctx.repo,
            server_url=self._ctx.server_url,
            branch=self._options.assets_branch,
            caller=self._caller,
        )
        try:
            return publisher.publish(images)
        except GithubException as exc:
            raise PublishError(describe(exc, "images", self._ctx.repo)) from None

    # -- comments -------------------------------------------------------------------------------------------------

    def post_comment(self, request: CommentRequest) -> Published:
        return self._guard("comment", lambda: self._post_comment(request))

    def _post_comment(self, request: CommentRequest) -> Published:
        place = self._resolve(request)
        if request.mode == "create":
            return self._create(place, request)
        ours = self._find_ours(place, request.marker)
        if request.mode == "recreate":
            for comment in ours:
                self._delete(comment)
            return self._create(place, request)
        if ours:
            updated = self._update(ours[-1], request.body)
            if updated is not None:
                return self._published(updated, place)
        return self._create(place, request)

    def _resolve(self, request: CommentRequest) -> _Place:
        target = request.target
        if target.kind == "issue":
            return _Place("issue", number=target.number, label=f"issue #{target.number}")
        if target.kind == "pr" and target.number is not None:
            return _Place("issue", number=target.number, label=f"PR #{target.number}")
        if target.kind == "commit":
            sha = target.sha or self._ctx.head_sha
            return _Place("commit", sha=sha, label=f"commit {sha[:7]}")
        number = self._ctx.pr_number or self._open_pull_of(self._ctx.head_sha)
        if number is not None:
            return _Place("issue", number=number, label=f"PR #{number}")
        if target.kind == "pr":
            raise CmlError(
                f"input 'target': no open pull request has commit {self._ctx.head_sha[:7]} as its head "
                "(use target: auto to fall back to a commit comment, or pr/N)"
            )
        return _Place("commit", sha=self._ctx.head_sha, label=f"commit {self._ctx.head_sha[:7]}")

    def _open_pull_of(self, sha: str) -> int | None:
        """The open PR whose head is `sha` (GET /repos/{o}/{r}/commits/{sha}/pulls), else None."""

        def lookup() -> int | None:
            for pull in self._repo().get_commit(sha).get_pulls():
                if pull.state == "open" and pull.head.sha == sha:
                    return int(pull.number)
            return None

        return self._caller.read("comment", self._ctx.repo, lookup)

    def _thread(self, place: _Place) -> Any:
        repo = self._repo()
        return repo.get_issue(place.number) if place.kind == "issue" else repo.get_commit(place.sha)

    def _is_ours(self, comment: Any) -> bool:
        user = comment.user
        login = self._own_login()
        if login is not None:
            return bool(user is not None and user.login == login)
        return bool(user is not None and user.type == "Bot")

    def _own_login(self) -> str | None:
        """The token's login when knowable without guessing; None means 'any bot' (installation tokens)."""
        if self._login is None and not self._facts.is_app_installation:
            from github.GithubException import GithubException

            try:
                self._login = self._caller.read("comment", self._ctx.repo, lambda: self._github().get_user().login)
            except GithubException:
                self._login = None  # an installation token of unknown format: GET /user is 403 for it
                self._facts = token_facts("ghs_")
        return self._login

    def _find_ours(self, place: _Place, marker: str) -> list[Any]:
        """Every comment with the marker by us, oldest first, over all pages."""

        def search() -> list[Any]:
            found = [c for c in self._thread(place).get_comments() if marker in (c.body or "")]
            return [c for c in found if self._is_ours(c)]

        return self._caller.read("comment", self._ctx.repo, search)

    def _create(self, place: _Place, request: CommentRequest) -> Published:
        def refind() -> Any | None:
            same = [c for c in self._find_ours(place, request.marker) if _same_body(c.body, request.body)]
            return same[-1] if same else None

        created = self._caller.write(
            "comment", self._ctx.repo, lambda: self._thread(place).create_comment(request.body), refind=refind
        )
        if created.user is not None and created.user.type == "Bot":
            self._login = created.user.login  # now exact: later searches in this process match this login only
        return self._published(created, place)

    def _update(self, comment: Any, body: str) -> Any | None:
        """The edited comment, or None when it vanished (deleted since the search): the caller creates anew."""
        from github.GithubException import GithubException

        if _same_body(comment.body, body):
            return comment
        try:
            self._caller.write("comment", self._ctx.repo, lambda: comment.edit(body))
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise
        return comment

    def _delete(self, comment: Any) -> None:
        from github.GithubException import GithubException

        try:
            self._caller.write("comment", self._ctx.repo, comment.delete)
        except GithubException as exc:
            if exc.status != 404:  # already gone (a lost response, or someone else) is what we wanted
                raise

    def _published(self, comment: Any, place: _Place) -> Published:
        return Published(url=str(comment.html_url), id=str(comment.id), where=place.label)

    # -- checks ---------------------------------------------------------------------------------------------------

    def post_check(self, request: CheckRequest) -> Published:
        if not self._facts.can_create_checks:
            raise personal_token_check_error(self._facts)
        return self._guard("check", lambda: self._post_check(request))

    def _post_check(self, request: CheckRequest) -> Published:
        output: dict[str, Any] = {"title": request.title, "summary": request.summary}
        if request.images:
            output["images"] = [{"alt": alt, "image_url": url} for alt, url in request.images]
        extra: dict[str, Any] = {"external_id": request.external_id} if request.external_id else {}
        if self._ctx.run_url:
            extra["details_url"] = self._ctx.run_url

        def create() -> Any:
            return self._repo().create_check_run(
                name=request.title,
                head_sha=request.head_sha,
                status="completed",
                conclusion=request.conclusion,
                output=output,
                **extra,
            )

        def refind() -> Any | None:
            runs = self._repo().get_commit(request.head_sha).get_check_runs(check_name=request.title)
            same = [
                run
                for run in runs
                if (run.external_id or "") == request.external_id and _same_body(run.output.summary, request.summary)
            ]
            return same[-1] if same else None

        run = self._caller.write("check", self._ctx.repo, create, refind=refind)
        return Published(url=str(run.html_url), id=str(run.id), where=f"check '{request.title}'")
