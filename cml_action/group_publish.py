"""One comment for a group of jobs (input `group`, docs/store.md "One comment for a matrix").

Each job puts its run (its report as a section, its metrics, gates and check link) into the group's document in
the store (a compare-and-swap write), renders the comment from every member it read back, and writes it to the
group's one comment, whose id the document holds. When there is none yet, the job first reserves the creation in
the document (compare-and-swap: one job wins), creates the comment and names it there; a job that finds a
reservation waits for the id (and takes over when the reserving job never creates it), so jobs that finish
together leave one comment and one notification. After each write the job reads the group again and, when members
joined since it rendered, renders and writes again (bounded).

Why the last comment holds every section (any interleaving, any delays):
- Every body write goes to the named comment W, except a create whose naming failed (its job was taken for gone
  and another job named one meanwhile), which its job deletes before it writes anything else.
- Take the last write P to W and the job J that made it. After P (and after naming W, when P created it), J read
  the group and found the members it rendered; otherwise it would have written again, after P.
- A job K whose join landed after that read found W named in the document it joined (W was named before J's read),
  so it edits W after its join, so after P. That contradicts P being the last write, so no join landed after J's
  read: J rendered every member there is.
Each create carries a hidden line of its own, so a create whose answer was lost (the forge looks for it by its
body) is found as this job's comment, never another job's. A re-run of one job replaces its own member (same key),
so only its section changes, in the same comment.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol
from uuid import uuid4

from cml_action import workflow
from cml_action.errors import CmlError
from cml_action.forges.base import CommentRequest, EditsComments, Forge, Published, Target
from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.report.limits import Unit
from cml_action.store.model import StoredRun
from cml_action.store.records import GroupView, ResultStore

if TYPE_CHECKING:
    from cml_action.publish import Composed, Run

MAX_ROUNDS = 10  # each round follows members that joined while this job wrote; a matrix settles in a few


class GroupForge(Forge, EditsComments, Protocol):
    """A forge that can hold a group's comment."""


@dataclass(frozen=True)
class GroupJob:
    """What one job needs to publish into its group's comment."""

    comment: GroupComment
    target: Target
    limit: int
    unit: Unit = "chars"


def post_group_comment(run: Run, composed: Composed, check: Published | None) -> Published | None:
    """This job's section in its group's comment; None (after a warning) when the group cannot be used here and
    the job's own report comment is posted instead, as without `group`."""
    settings, forge = run.settings, run.forge
    if run.store is None or not isinstance(forge, EditsComments):
        why = "the results store is off" if run.store is None else "this forge cannot edit a comment by its id"
        workflow.warning(f"group '{settings.group}': {why}, so this job posts its own report comment")
        return None
    member = group_member(run, composed, check)
    comment = GroupComment(settings.group, settings.title, run.ctx.head_sha, settings.metrics_precision)
    job = GroupJob(comment, composed.target, forge.limits.comment, forge.limits.unit)
    try:
        view = run.store.store.join_group(settings.group, member)
    except CmlError as exc:
        workflow.warning(f"group '{settings.group}': {exc}; this job posts its own report comment")
        return None
    with workflow.group("Publish group comment"):
        published = publish_group(run.store.store, forge, job, view, warn=workflow.warning)
        print(f"Group report '{settings.group}' posted to {published.where or 'the forge'}: {published.url}")
    return published


def publish_group(store: ResultStore, forge: GroupForge, job: GroupJob, view: GroupView, *,
                  warn: Callable[[str], None], sleep: Callable[[float], None] = time.sleep) -> Published:  # fmt: skip
    """Write the group's comment from `view` (this job's join), then follow members that join meanwhile."""
    writer = _Writer(store, forge, job, PENDING + uuid4().hex, sleep)
    written: Published | None = None
    for _round in range(MAX_ROUNDS):
        fitted = render_group(job.comment, view.members, limit=job.limit - NONCE_ROOM, unit=job.unit)
        request = CommentRequest(fitted.body, group_marker(job.comment.group), job.target, "create")
        written = writer.write(request, view)
        now = writer.group()
        if written is not None and now.members == view.members:
            for cut in fitted.cuts:
                warn(cut)
            return written
        view = now
    if written is None:
        raise CmlError(f"group '{job.comment.group}': no job could create the group's comment")
    warn(f"group '{job.comment.group}': members kept joining for {MAX_ROUNDS} rounds; the last job to finish "
         "completes it")  # fmt: skip
    return written


# The store names the comment "pending:<token>" while the job holding the token creates it: the others wait for
# its id instead of creating comments of their own (each one a notification on the pull request, even if deleted).
PENDING = "pending:"
# How long (seconds, one read of the group after each) a job waits for another job's create before it creates the
# comment itself (that job failed or was cancelled); a create takes a second or two.
PENDING_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class _Writer:
    store: ResultStore
    forge: GroupForge
    job: GroupJob
    pending: str  # this job's reservation
    sleep: Callable[[float], None]

    def group(self) -> GroupView:
        return self.store.group(self.job.comment.group, self.job.comment.head_sha)

    def claim(self, comment_id: str, replacing: str) -> str:
        """Name the comment unless another job named one first (a comment deleted by hand, or a reservation
        whose job is gone, is `replacing`): the name that stands."""
        job = self.job.comment
        return self.store.claim_group_comment(job.group, job.head_sha, comment_id, replacing=replacing).comment_id

    def write(self, request: CommentRequest, view: GroupView) -> Published | None:
        """Write the body to the group's comment, creating it when there is none. None: another job is creating
        it, or it vanished meanwhile: the next round (after a re-read) writes again."""
        named = view.comment_id
        if named.startswith(PENDING) and named != self.pending:
            named = self._wait_for(named)
        if named and not named.startswith(PENDING):
            edited = self.forge.edit_comment(request, named)
            if edited is not None:
                return edited
        if self.claim(self.pending, replacing=named) != self.pending:
            return None  # another job reserved or created it meanwhile
        try:
            # A create whose answer was lost is found again by its body (forges/*): this job's own, never another's.
            created = self.forge.post_comment(replace(request, body=_with_nonce(request.body)))  # mode "create"
        except CmlError:
            self._release()
            raise
        standing = self.claim(created.id, replacing=self.pending)
        if standing == created.id:
            return created
        # This job was taken for gone and another created the comment meanwhile: keep only that one.
        self.forge.delete_comment(request, created.id)
        return None

    def _release(self) -> None:
        """Give up this job's reservation (its create failed), so that the others need not wait it out."""
        with contextlib.suppress(CmlError):  # else the others take over after their wait
            self.claim("", replacing=self.pending)

    def _wait_for(self, reservation: str) -> str:
        """The comment's id once the reserving job created it; the reservation itself when it never did."""
        for seconds in PENDING_WAITS:
            self.sleep(seconds)
            named = self.group().comment_id
            if named != reservation:
                return named
        return reservation


NONCE_ROOM = 64  # the comment is rendered this much under the limit: a create adds a line that makes it unique


def _with_nonce(body: str) -> str:
    """The body with a hidden line no other job's create has (the next edit drops it)."""
    head, _, marker = body.rstrip("\n").rpartition("\n")
    return f"{head}\n<!-- cml-action:created={uuid4().hex} -->\n{marker}\n"


# --- the job's member document ---


def group_member(run: Run, composed: Composed, check: Published | None) -> StoredRun:
    """This job's run as its group shows it: what recording stores (recording.py), with its report as its own
    comment would show it (fitted to the forge's limit, so the stored section stays bounded) without the heading
    (the group has its own), the baseline's metrics, and no plot rows (the group renders none)."""
    from cml_action.recording import current_values, stored_run
    from cml_action.report.limits import fit_report

    limits = run.forge.limits
    report = fit_report(replace(composed.report, key=None), limits.comment, unit=limits.unit,
                        full_report_hint=composed.full_report_hint)  # fmt: skip
    member = replace(stored_run(run, composed.report, check, with_plots=False), key=composed.key,
                     section=report.partition("\n\n")[2],
                     baseline_metrics=current_values(run.parts.metrics_diff, baseline=True))  # fmt: skip
    # As the store reads it back, so that "the members I rendered" compares equal to what a re-read returns.
    return StoredRun.from_json(json.loads(json.dumps(member.to_json())))
