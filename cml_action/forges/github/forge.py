"""The GitHub forge (REST via `rest`): sticky PR/issue/commit comments, check runs, assets-branch images and results.

Requests are kept to what the report needs: no `GET /repos/{o}/{r}` (paths are built from the name), the sticky
search reads ceil(comments / 100) pages, and each report is one write; a create is followed by one more search, so
that runs of the same key racing each other leave one report (`_keep_newest`). Retries and pacing live in `retry`
(GitHub's verdicts and error lines in `failures`), token facts in `tokens`, the image commit in `assets`, the
results store in `store` (both on the assets branch, written by the one writer in `branch`).

Which comments are "ours": the marker must match AND the author must be the token's identity. An installation token
(the Actions `GITHUB_TOKEN`, or a GitHub App's) comments as a bot (`github-actions[bot]`, `<app>[bot]`) and cannot
call `GET /user`, so for it the author must be a bot; once this process has created a comment, its exact login is
used. For other tokens the login comes from one `GET /user` (cached), made only once a marker matched.

A create whose response was lost (connection dropped, timeout, 5xx) is not re-sent blindly: the comment (or check
run) is first looked for by marker, author and identical body. An unchanged report is not rewritten at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cml_action.context import RunContext
from cml_action.errors import CmlError, PublishError
from cml_action.forges.base import (
    CheckRequest,
    CommentRequest,
    ForgeOptions,
    Limits,
    PreparedImage,
    Published,
    PullRequestRequest,
    Traits,
)
from cml_action.forges.github.assets import AssetPublisher
from cml_action.forges.github.branch import BranchWriter
from cml_action.forges.github.failures import describe, github_retrier
from cml_action.forges.github.rest import ApiError, GitHubRest, RestError
from cml_action.forges.github.tokens import (
    fork_read_only_error,
    missing_token_error,
    personal_token_check_error,
    token_facts,
)
from cml_action.refnames import check_assets_branch
from cml_action.surface import current

if TYPE_CHECKING:
    from cml_action.store.branch import BranchFiles

# GitHub: issue/commit comment bodies up to 65 536 characters ("Body is too long (maximum is 65536 characters)");
# check-run output.summary "Maximum length: 65535 characters".
COMMENT_LIMIT = 65536
CHECK_SUMMARY_LIMIT = 65535


@dataclass(frozen=True)
class _Place:
    """Where comments live: an issue/PR conversation, or a commit."""

    kind: str  # "issue" or "commit"
    number: int | None = None
    sha: str = ""
    label: str = ""

    @property
    def comments(self) -> str:
        """The comment list, relative to /repos/{owner}/{repo}."""
        return f"/issues/{self.number}/comments" if self.kind == "issue" else f"/commits/{self.sha}/comments"

    def comment(self, comment: Mapping[str, Any]) -> str:
        """One comment, for edit and delete (issue and commit comments live under different paths)."""
        return f"/issues/comments/{comment['id']}" if self.kind == "issue" else f"/comments/{comment['id']}"


def _same_body(left: str | None, right: str) -> bool:
    return (left or "").replace("\r\n", "\n").strip() == right.replace("\r\n", "\n").strip()


class GitHubForge:
    name = "github"
    limits = Limits(comment=COMMENT_LIMIT, check=CHECK_SUMMARY_LIMIT, unit="chars", check_unit="chars")
    traits = Traits(check_holds_report=True, run_link_label="Workflow run", job_summary=True, writes_files=False,
                    runner_temp_reports=True, fork_bundles=True)  # fmt: skip

    def __init__(
        self,
        ctx: RunContext,
        options: ForgeOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self._options = options
        self._facts = token_facts(ctx.token)
        self._sleep = sleep
        self._clock = clock
        self._retrier = github_retrier(
            ctx.repo,
            max_attempts=options.max_attempts,
            max_backoff=options.max_backoff,
            write_interval=options.write_interval,
            sleep=sleep,
            clock=clock,
        )
        self._client: GitHubRest | None = None
        self._api = f"/repos/{ctx.repo}"
        self._login: str | None = None

    def shareable_url(self, url: str) -> str:
        return url  # GitHub answers absolute URLs

    # -- plumbing -------------------------------------------------------------------------------------------------

    @property
    def attempts(self) -> int:
        """Requests attempted through the retry layer (benchmarks and tests read it)."""
        return self._retrier.attempts

    def _github(self) -> GitHubRest:
        if self._client is None:
            # No retries inside the client: forges.retry owns the policy (writes are never re-sent blindly).
            self._client = GitHubRest(self._ctx.api_url, self._ctx.token, timeout=self._options.timeout)
        return self._client

    def _call(self, verb: str, path: str, body: Any = None) -> Any:
        return self._github().request(verb, self._api + path, body=body)

    def _guard(self, what: str, action: Callable[[], Published]) -> Published:
        try:
            return action()
        except RestError as exc:
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
        if wants_images:
            check_assets_branch(self._options.assets_branch, self._ctx.default_branch)

    # -- images ---------------------------------------------------------------------------------------------------

    def publish_images(self, images: Sequence[PreparedImage]) -> Mapping[str, str]:
        try:
            return AssetPublisher(self._branch_writer("images"), server_url=self._ctx.server_url).publish(images)
        except RestError as exc:
            raise PublishError(describe(exc, "images", self._ctx.repo)) from None

    # -- results store (docs/store.md) ----------------------------------------------------------------------------

    def results_branch(self) -> BranchFiles:
        """The assets branch, holding the results store too (no request until the store reads)."""
        from cml_action.forges.github.store import GitHubStoreBranch

        check_assets_branch(self._options.assets_branch, self._ctx.default_branch)
        return GitHubStoreBranch(self._branch_writer("results"), lambda exc: describe(exc, "results", self._ctx.repo))

    def _branch_writer(self, what: str) -> BranchWriter:
        return BranchWriter(self._github(), repo=self._ctx.repo, branch=self._options.assets_branch,
                            retrier=self._retrier, what=what, sleep=self._sleep, clock=self._clock)  # fmt: skip

    # -- comments -------------------------------------------------------------------------------------------------

    def post_comment(self, request: CommentRequest) -> Published:
        return self._guard("comment", lambda: self._post_comment(request))

    def _post_comment(self, request: CommentRequest) -> Published:
        place = self._resolve(request)
        if request.mode == "create":
            return self._published(self._create(place, request), place)
        ours = self._find_ours(place, request)
        if request.mode == "recreate":
            for comment in ours:
                self._delete(place, comment)
            return self._published(self._create_converged(place, request), place)
        if ours:
            updated = self._update(place, ours[-1], request.body)
            if updated is not None:
                # Duplicates an earlier race left behind are in this listing already: no extra request.
                return self._published(self._keep_newest(place, updated, ours), place)
        return self._published(self._create_converged(place, request), place)

    def edit_comment(self, request: CommentRequest, comment_id: str) -> Published | None:
        try:
            place = self._resolve(request)
            edited = self._update(place, {"id": comment_id}, request.body)
        except RestError as exc:
            raise PublishError(describe(exc, "comment", self._ctx.repo)) from None
        return None if edited is None else self._published(edited, place)

    def delete_comment(self, request: CommentRequest, comment_id: str) -> None:
        try:
            self._delete(self._resolve(request), {"id": comment_id})
        except RestError as exc:
            raise PublishError(describe(exc, "comment", self._ctx.repo)) from None

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
            said = current()
            raise CmlError(
                f"{said.setting('target')}: no open pull request has commit {self._ctx.head_sha[:7]} as its head "
                f"(use {said.assign('target', 'auto')} to fall back to a commit comment, or pr/N)"
            )
        return _Place("commit", sha=self._ctx.head_sha, label=f"commit {self._ctx.head_sha[:7]}")

    def _open_pull_of(self, sha: str) -> int | None:
        """The open PR whose head is `sha` (GET /repos/{o}/{r}/commits/{sha}/pulls), else None."""

        def lookup() -> int | None:
            for pull in self._github().pages(f"{self._api}/commits/{sha}/pulls"):
                if pull.get("state") == "open" and (pull.get("head") or {}).get("sha") == sha:
                    return int(pull["number"])
            return None

        return self._retrier.read("comment", lookup)

    def _is_ours(self, comment: Mapping[str, Any]) -> bool:
        user = comment.get("user")
        login = self._own_login()
        if login is not None:
            return bool(user is not None and user.get("login") == login)
        return bool(user is not None and user.get("type") == "Bot")

    def _own_login(self) -> str | None:
        """The token's login when knowable without guessing; None means 'any bot' (installation tokens)."""
        if self._login is None and not self._facts.is_app_installation:
            try:
                user = self._retrier.read("comment", lambda: self._github().request("GET", "/user"))
                self._login = str(user["login"])
            except ApiError:
                self._login = None  # an installation token of unknown format: GET /user is 403 for it
                self._facts = token_facts("ghs_")
        return self._login

    def _find_ours(self, place: _Place, request: CommentRequest) -> list[dict[str, Any]]:
        """Every comment with the marker (or one the request adopts) by us, oldest first, over all pages."""

        def search() -> list[dict[str, Any]]:
            comments = self._github().pages(self._api + place.comments)
            found = [c for c in comments if request.identifies(c.get("body") or "")]
            return [c for c in found if self._is_ours(c)]

        return self._retrier.read("comment", search)

    def _create(self, place: _Place, request: CommentRequest) -> dict[str, Any]:
        def refind() -> dict[str, Any] | None:
            same = [c for c in self._find_ours(place, request) if _same_body(c.get("body"), request.body)]
            return same[-1] if same else None

        created: dict[str, Any] = self._retrier.write(
            "comment", lambda: self._call("POST", place.comments, {"body": request.body}), refind=refind
        )
        user = created.get("user")
        if user is not None and user.get("type") == "Bot":
            self._login = str(user["login"])  # now exact: later searches in this process match this login only
        return created

    def _create_converged(self, place: _Place, request: CommentRequest) -> dict[str, Any]:
        """Create, then list once more: runs of the same key that searched before any of them had created each
        created one. Every run keeps the newest (highest id) and deletes the rest, so the run that created last,
        which sees every other, leaves exactly one; none ever deletes a newer one."""
        created = self._create(place, request)
        return self._keep_newest(place, created, self._find_ours(place, request))

    def _keep_newest(self, place: _Place, mine: dict[str, Any], ours: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The newest of `mine` and `ours` by the same author as `mine`; the others are deleted (best effort: a
        failure is a warning, the next run removes them)."""
        author = (mine.get("user") or {}).get("login")
        same = {int(c["id"]): c for c in ours if (c.get("user") or {}).get("login") == author}
        same[int(mine["id"])] = same.get(int(mine["id"]), mine)
        newest = max(same)
        for comment_id, comment in sorted(same.items()):
            if comment_id != newest:
                self._delete_duplicate(place, comment)
        return mine if int(mine["id"]) == newest else same[newest]

    def _delete_duplicate(self, place: _Place, comment: Mapping[str, Any]) -> None:
        try:
            self._delete(place, comment)
        except (RestError, PublishError) as exc:
            from cml_action import workflow

            reason = describe(exc, "comment", self._ctx.repo) if isinstance(exc, RestError) else str(exc)
            workflow.warning(f"{reason} (deleting the duplicate report {comment['html_url']}; the next run retries)")

    def _update(self, place: _Place, comment: dict[str, Any], body: str) -> dict[str, Any] | None:
        """The edited comment, or None when it vanished (deleted since the search): the caller creates anew."""
        if _same_body(comment.get("body"), body):
            return comment

        def refind() -> dict[str, Any] | None:
            # A PATCH whose answer was lost may have landed: the comment then already has our body.
            current: dict[str, Any] = self._call("GET", place.comment(comment))
            return current if _same_body(current.get("body"), body) else None

        try:
            edited: dict[str, Any] = self._retrier.write(
                "comment",
                lambda: self._call("PATCH", place.comment(comment), {"body": body}),
                refind=refind,
            )
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return edited

    def _delete(self, place: _Place, comment: Mapping[str, Any]) -> None:
        try:
            self._retrier.write("comment", lambda: self._call("DELETE", place.comment(comment)))
        except ApiError as exc:
            if exc.status != 404:  # already gone (a lost response, or someone else) is what we wanted
                raise

    def _published(self, comment: Mapping[str, Any], place: _Place) -> Published:
        return Published(url=str(comment["html_url"]), id=str(comment["id"]), where=place.label)

    # -- checks ---------------------------------------------------------------------------------------------------

    def post_check(self, request: CheckRequest) -> Published:
        if not self._facts.can_create_checks:
            raise personal_token_check_error(self._facts)
        return self._guard("check", lambda: self._post_check(request))

    def _post_check(self, request: CheckRequest) -> Published:
        output: dict[str, Any] = {"title": request.headline or request.title, "summary": request.summary}
        if request.images:
            output["images"] = [{"alt": alt, "image_url": url} for alt, url in request.images]
        body: dict[str, Any] = {"name": request.title, "head_sha": request.head_sha}
        if self._ctx.run_url:
            body["details_url"] = self._ctx.run_url
        if request.external_id:
            body["external_id"] = request.external_id
        body |= {"status": "completed", "conclusion": request.conclusion, "output": output}

        def refind() -> dict[str, Any] | None:
            runs = self._github().pages(
                f"{self._api}/commits/{request.head_sha}/check-runs",
                query={"check_name": request.title},
                key="check_runs",
            )
            same = [
                run
                for run in runs
                if (run.get("external_id") or "") == request.external_id
                and _same_body((run.get("output") or {}).get("summary"), request.summary)
            ]
            return same[-1] if same else None

        run: dict[str, Any] = self._retrier.write(
            "check", lambda: self._call("POST", "/check-runs", body), refind=refind
        )
        return Published(url=str(run["html_url"]), id=str(run["id"]), where=f"check '{request.title}'")

    # -- pull requests (`cml pr create`) --------------------------------------------------------------------------

    def git_credentials(self) -> tuple[str, str]:
        # GitHub takes the token as the password with any user name; actions/checkout uses this one.
        return ("x-access-token", self._ctx.token)

    def open_pull_request(self, request: PullRequestRequest) -> tuple[Published, str]:
        from cml_action.forges.github.pulls import GitHubPulls

        pulls = GitHubPulls(self._github(), self._retrier, self._ctx, timeout=self._options.timeout)
        try:
            return pulls.open(request)
        except RestError as exc:
            raise PublishError(describe(exc, "pull request", self._ctx.repo)) from None
