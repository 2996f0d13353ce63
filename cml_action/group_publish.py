"""One comment for a group of jobs (input `group`, docs/store.md "One comment for a matrix").

Each job puts its run (its report as a section, its metrics, gates and check link) into the group's document in
the store (a compare-and-swap write), renders the comment from every member it read back, and writes it to the
group's one comment. The store names that comment: the first job to create one claims it (compare-and-swap, first
id wins); a job that lost the claim deletes the comment it created and edits the winner's. After each write the
job reads the group again and, when members joined since it rendered, renders and writes again (bounded).

Why the last comment holds every section (any interleaving, any delays):
- Every body write goes to the claimed comment W, except a loser's own comment, which it deletes right away.
- Take the last write P to W and the job J that made it. After P, J read the group and found the members it
  rendered; otherwise it would have written again, after P.
- A job K whose join landed after that read writes W after its join, so after P: it edits W (it read W's id with
  its join, or lost the claim to W, since W was claimed before P could be written to it). That contradicts P being
  the last write, so no join landed after J's read: J rendered every member there is.
Two jobs that both find no comment create two; the claim keeps one, and the other is deleted by its creator. Each
create carries a hidden line of its own, so a create whose answer was lost (the forge looks for it by its body) is
found as this job's comment, never another job's. A re-run of one job replaces its own member (same key), so only
its section changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from cml_action import workflow
from cml_action.errors import CmlError
from cml_action.forges.base import CommentRequest, EditsComments, Forge, Published, Target
from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.report.limits import Unit
from cml_action.store.model import Scalar, StoredRun
from cml_action.store.records import GroupView, ResultStore

if TYPE_CHECKING:
    from cml_action.publish import Composed, Run
    from cml_action.report.diff import MetricsDiff

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
                  warn: Callable[[str], None]) -> Published:  # fmt: skip
    """Write the group's comment from `view` (this job's join), then follow members that join meanwhile."""
    group, sha = job.comment.group, job.comment.head_sha
    written: Published | None = None
    for _round in range(MAX_ROUNDS):
        fitted = render_group(job.comment, view.members, limit=job.limit - NONCE_ROOM, unit=job.unit)
        request = CommentRequest(fitted.body, group_marker(group), job.target, "create")
        written = _write(store, forge, job, request, view)
        now = store.group(group, sha)
        if written is not None and now.members == view.members:
            for cut in fitted.cuts:
                warn(cut)
            return written
        view = now
    if written is None:
        raise CmlError(f"group '{group}': the group's comment kept vanishing while it was written")
    warn(f"group '{group}': members kept joining for {MAX_ROUNDS} rounds; the last job to finish completes it")
    return written


def _write(store: ResultStore, forge: GroupForge, job: GroupJob, request: CommentRequest,
           view: GroupView) -> Published | None:  # fmt: skip
    """Write the body to the group's comment, creating and claiming it when there is none. None: the comment
    vanished meanwhile (deleted by hand), the next round writes again."""
    if view.comment_id:
        edited = forge.edit_comment(request, view.comment_id)
        if edited is not None:
            return edited
    # A create whose answer was lost is found again by its body (forges/*): this job's own, never another's.
    created = forge.post_comment(replace(request, body=_with_nonce(request.body)))  # mode "create"
    # A comment deleted by hand (the edit found none) is replaced in the claim; otherwise the first claim wins.
    claimed = store.claim_group_comment(job.comment.group, job.comment.head_sha, created.id,
                                        replacing=view.comment_id)  # fmt: skip
    if claimed.comment_id == created.id:
        return created
    forge.delete_comment(request, created.id)  # lost the claim: keep only the winner's
    return forge.edit_comment(request, claimed.comment_id)


NONCE_ROOM = 64  # the comment is rendered this much under the limit: a create adds a line that makes it unique


def _with_nonce(body: str) -> str:
    """The body with a hidden line no other job's create has (the next edit drops it)."""
    from uuid import uuid4

    head, _, marker = body.rstrip("\n").rpartition("\n")
    return f"{head}\n<!-- cml-action:created={uuid4().hex} -->\n{marker}\n"


# --- the job's member document (the lead unifies this with cml_action/recording.py) ---


def group_member(run: Run, composed: Composed, check: Published | None) -> StoredRun:
    """This job's run as its group shows it: its report as its own comment would show it (fitted to the forge's
    limit, so the stored section stays bounded) without the heading (the group has its own), its metrics and the
    baseline's, its gates and links."""
    from cml_action.report.limits import fit_report

    ctx, verdict, limits = run.ctx, composed.verdict, run.forge.limits
    report = fit_report(replace(composed.report, key=None), limits.comment, unit=limits.unit,
                        full_report_hint=composed.full_report_hint)  # fmt: skip
    section = report.partition("\n\n")[2]
    new, old = _sides(run.parts.metrics_diff)
    member = StoredRun(key=composed.key, head_sha=ctx.head_sha, time=_now(), branch=ctx.branch, event=ctx.event,
                       pr_number=ctx.pr_number, run_id=ctx.run_id, run_url=ctx.run_url, metrics=new, section=section,
                       gates=verdict.summary, blocking=verdict.blocking, check_url=check.url if check else "",
                       baseline_metrics=old)  # fmt: skip
    # As the store reads it back, so that "the members I rendered" compares equal to what a re-read returns.
    return StoredRun.from_json(json.loads(json.dumps(member.to_json())))


def _sides(diff: MetricsDiff | None) -> tuple[dict[str, dict[str, Scalar]], dict[str, dict[str, Scalar]]]:
    new: dict[str, dict[str, Scalar]] = {}
    old: dict[str, dict[str, Scalar]] = {}
    for row in diff.rows if diff else ():
        for side, value in ((new, row.new), (old, row.old)):
            if isinstance(value, (str, int, float, bool)):
                side.setdefault(row.path, {})[row.metric] = value
    return new, old


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
