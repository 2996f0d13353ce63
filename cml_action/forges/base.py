"""The small protocol every forge implements, and the values that cross it.

The pipeline hands a forge finished markdown and prepared image files; a forge never parses inputs and never
builds report text (it only knows its own size limits and link forms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cml_action.store.branch import BranchFiles

Conclusion = Literal["success", "failure", "neutral"]


@dataclass(frozen=True)
class PreparedImage:
    """An image ready to publish: validated, downscaled and optimised by images.py."""

    path: Path  # the prepared file on disk (not the user's original)
    sha256: str  # content hash of the prepared bytes; names the published object
    ext: str  # "png", "jpg", "gif", "webp", "svg"
    alt: str  # alt text (file stem)
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class Target:
    """Where a comment goes. kind 'auto' lets the forge decide (PR/MR of the commit, else the commit)."""

    kind: Literal["auto", "pr", "commit", "issue"]
    number: int | None = None  # pr/N, issue/N
    sha: str | None = None  # commit/SHA


@dataclass(frozen=True)
class CommentRequest:
    body: str  # complete markdown, already fitted to `limits.comment`, marker included
    marker: str  # the hidden marker line that identifies this report (sticky key)
    target: Target
    mode: Literal["update", "create", "recreate"]
    # Another tool's markers this report takes over (CML's watermark, whose URL carries a sha): regular
    # expressions. In update/recreate mode a comment matching one, by the same author, counts as this report's.
    adopts: tuple[str, ...] = ()

    def identifies(self, body: str) -> bool:
        """Whether a comment body is this report (our marker) or one it takes over."""
        import re

        return self.marker in body or any(re.search(pattern, body) for pattern in self.adopts)


@dataclass(frozen=True)
class CheckRequest:
    title: str  # check-run name / commit-status name
    summary: str  # markdown, already fitted to `limits.check`
    conclusion: Conclusion
    head_sha: str
    images: Sequence[tuple[str, str]] = ()  # (alt, url) pairs for GitHub's output.images
    external_id: str = ""  # the report key, so a rerun can find its check
    headline: str = ""  # the outcome in a few words ("1 gate tripped"); "" falls back to the title


MergeMethod = Literal["merge", "rebase", "squash"]


@dataclass(frozen=True)
class PullRequestRequest:
    """A pull/merge request from `source` into `target` (branches that exist on the forge)."""

    source: str
    target: str
    title: str
    body: str
    auto_merge: MergeMethod | None = None  # merge as soon as the forge allows it, with this method


@dataclass(frozen=True)
class Published:
    url: str
    id: str = ""
    where: str = ""  # human description, e.g. "PR #12" or "commit abc1234"


@dataclass(frozen=True)
class Limits:
    """Body sizes the forge's API accepts; `unit` says how the API counts."""

    comment: int
    check: int
    unit: Literal["chars", "bytes"] = "chars"
    check_unit: Literal["chars", "bytes"] = "chars"


@dataclass(frozen=True)
class Traits:
    """What the core asks of a forge instead of its name: known before the forge is built (`forges.traits_of`)."""

    check_holds_report: bool  # a check can carry the whole report; if not, the report also goes in a comment
    run_link_label: str  # how the report's footer names the link to the run ("Workflow run", "Pipeline")
    job_summary: bool  # the run has a job summary page, where a report too long for a comment is whole
    writes_files: bool  # publishing writes files (the local forge) instead of posting to a server
    pull_request_noun: str = "Pull Request"  # "Merge Request" on GitLab (`cml pr create --md`)
    # The runner gives a temporary folder outside the workspace (RUNNER_TEMP): the report goes there, not into
    # the user's checkout, unless output-dir says otherwise.
    runner_temp_reports: bool = False
    # Fork pull requests hand their report to a privileged run as a bundle (`bundle` output, `from-run` input).
    fork_bundles: bool = False


class Forge(Protocol):
    name: str
    limits: Limits
    traits: Traits

    def shareable_url(self, url: str) -> str:
        """A URL this forge published, made absolute so it works wherever it is pasted."""

    def preflight(self, *, wants_comment: bool, wants_check: bool, wants_images: bool) -> None:
        """Raise CmlError before anything is published when the token cannot do what was asked."""

    def publish_images(self, images: Sequence[PreparedImage]) -> Mapping[str, str]:
        """Publish images (deduplicated); returns sha256 -> URL usable in markdown."""

    def post_comment(self, request: CommentRequest) -> Published:
        """Create, update or recreate the keyed report comment."""

    def post_check(self, request: CheckRequest) -> Published:
        """Create the check run (GitHub) or commit status (GitLab)."""


@runtime_checkable
class ChecksTargets(Protocol):
    """An ability (GitLab): find where a comment goes before anything is published, so a target that does not
    exist (`pr` with no open merge request) is refused with nothing uploaded."""

    def check_target(self, target: Target) -> None:
        """Raise CmlError when no comment can be posted to `target`."""


@runtime_checkable
class EditsComments(Protocol):
    """An ability (GitHub, GitLab): edit or delete one comment by its id, at the place `request.target` names.
    A group's comment (cml_action/group_publish.py) is found by the id the store holds, not by a search."""

    def edit_comment(self, request: CommentRequest, comment_id: str) -> Published | None:
        """Replace the comment's body with `request.body`; None when the comment no longer exists."""

    def delete_comment(self, request: CommentRequest, comment_id: str) -> None:
        """Delete the comment (one already gone is not an error)."""


@runtime_checkable
class KeepsResults(Protocol):
    """An ability (GitHub, GitLab, local): the branch that holds the results store (docs/store.md), which is the
    assets branch. Built without a request; reads work with a read-only token, writes raise CmlError."""

    def results_branch(self) -> BranchFiles:
        """The store branch of this repository."""


class OpensPullRequests(Protocol):
    """An ability (GitHub, GitLab): open a pull/merge request, or find the open one for the same branches."""

    traits: Traits

    def git_credentials(self) -> tuple[str, str]:
        """(user, password) for git over HTTPS to this forge (`cml pr create` pushes its branch with them)."""

    def open_pull_request(self, request: PullRequestRequest) -> tuple[Published, str]:
        """The pull request (existing or new) and a note for the log ("" when there is nothing to say)."""


# The most a step spends waiting where the forge asked for it (`retry-after`, a rate-limit reset). Such a wait
# is honoured in full, even past `max_backoff` (waiting less only earns another refusal); one that does not
# fit in what is left of this budget fails the step at once with one line, instead of sleeping for an hour.
RETRY_WAIT_BUDGET_SECONDS = 600.0


@dataclass(frozen=True)
class ForgeOptions:
    """Forge settings the pipeline derives from inputs (a forge never reads inputs itself)."""

    assets_branch: str = "cml-assets"
    output_dir: Path = Path("cml-report")  # local forge
    title: str = "CML Report"
    # GitHub asks integrators to leave >= 1 s between content-creating requests; tests set 0.
    write_interval: float = 1.0
    timeout: float = 30.0  # per request
    max_attempts: int = 5  # per request, for retryable failures
    max_backoff: float = 60.0  # cap on our own backoff (a forge's retry-after is honoured within the budget)
