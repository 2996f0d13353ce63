"""Publishing a built report: local copies first, then images, then each channel on its own
(docs/report.md, "Sections that fail independently").

Order, and why:
1. report.md and the job summary are written before the first forge write (images as the copies beside
   report.md), and the `report-file`/`regressions` outputs are set: whatever fails later, the report exists.
2. Images are published. When they cannot be, the report is posted without them (a warning names each) and the
   step fails; when they can, report.md and the summary are rewritten with the published links.
3. The check and the comment are posted independently: one refused channel does not stop the other. Each failure
   is one `::error::` line, the step fails if any failed, and the outputs name what was published.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from cml_action import workflow
from cml_action.baseline import Baseline
from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import (
    CheckRequest,
    CommentRequest,
    Conclusion,
    Forge,
    ForgeOptions,
    PreparedImage,
    Published,
    Target,
)
from cml_action.inputs import Settings
from cml_action.media import MediaSet
from cml_action.render_parts import Parts, compose
from cml_action.report.assemble import ReportParts
from cml_action.runner_paths import path_for_later_steps
from cml_action.store.session import RunStore


@dataclass(frozen=True)
class Outcome:
    report_file: Path
    comment: Published | None
    check: Published | None
    regressions: int
    exit_code: int
    failures: tuple[str, ...] = ()  # one line per thing that failed (each also printed as ::error::)


@dataclass(frozen=True)
class Composed:
    """The finished report and what publishing it needs."""

    report: ReportParts
    marker: str
    key: str
    target: Target
    images: tuple[tuple[str, str], ...]  # (alt, url) of published images
    full_report_hint: str
    verdict: GateVerdict


@dataclass(frozen=True)
class Run:
    """Everything publishing needs, gathered once by the pipeline."""

    settings: Settings
    ctx: RunContext
    forge: Forge
    options: ForgeOptions
    parts: Parts
    media: MediaSet
    baseline: Baseline
    target: Target
    can_publish: bool
    store: RunStore | None = None  # the results store (docs/store.md); None when off or the forge keeps none


def wants_note(settings: Settings, ctx: RunContext) -> bool:
    # A forge whose check cannot hold the report (GitLab's commit status: 255 characters) gets the note too.
    from cml_action.forges import traits_of

    return settings.wants_comment or (settings.wants_check and not traits_of(ctx).check_holds_report)


@dataclass(frozen=True)
class GateVerdict:
    """What the gates say, for the check run, the outputs and the exit code."""

    tripped: int  # the `regressions` output
    blocking: bool  # a gate tripped, or judged nothing for a reason other than "new metric, no baseline"
    summary: str  # "1 gate tripped", "2 passed, 1 not evaluated", "" without gates


def gate_verdict(parts: Parts) -> GateVerdict:
    gates = parts.gates
    if parts.unjudged_gates:  # the metrics section failed: every gate judged nothing
        count = parts.unjudged_gates
        return GateVerdict(0, True, f"{count} gate{'' if count == 1 else 's'} not evaluated")
    if gates is None:
        return GateVerdict(0, False, "")
    return GateVerdict(len(gates.tripped), bool(gates.blocking), gates.summary)


def gate_failure(settings: Settings, parts: Parts) -> str | None:
    """The error line when the gates fail the step, else None. Only gates decide: warnings never fail it."""
    verdict = gate_verdict(parts)
    if not (settings.fail_on_regression and verdict.blocking):
        return None
    if parts.unjudged_gates:
        return f"{verdict.summary}: the metrics could not be read (fail-on-regression is true)"
    # Not evaluated counts too (a typo'd glob, a missing baseline): only a metric new in this change may pass.
    return f"regression gates: {verdict.summary}, see the report's Gates (fail-on-regression is true)"


def publish(run: Run) -> Outcome:
    from cml_action.report.assemble import marker_for

    settings, ctx, parts = run.settings, run.ctx, run.parts
    key = ctx.key(settings.key)
    writer = ReportWriter(run.options.output_dir, summary=settings.summary)
    writer.write(_local_report(run, parts, run.media, {}, key))  # before the first forge write
    # Set before posting: when publishing fails for good, the step still points at the full report.
    workflow.set_output("report-file", path_for_later_steps(writer.path, os.environ))
    workflow.set_output("regressions", str(gate_verdict(parts).tripped))
    if not run.can_publish:
        _set_publish_outputs(None, None)
        _write_bundle(run, key)
        _record(run, _local_report(run, parts, run.media, {}, key), None)
        return _finish(run, writer.path, None, None, [])
    images = run.media.all()  # every image once, by content hash
    urls, image_failure = _publish_images(run, images)
    shown = run.media
    if image_failure:
        parts = replace(parts, warnings=[*parts.warnings, _left_out_warning(images)])
        shown = run.media.only(urls)
    if urls or image_failure:
        writer.write(_local_report(run, parts, run.media, urls, key))  # the published links, or the warning
    published = tuple((image.alt, urls[image.sha256]) for image in images if image.sha256 in urls)
    report = compose(parts, shown, urls, key=key, ctx=ctx, baseline=run.baseline, local_dir=run.options.output_dir)
    hint = _full_report_hint(ctx, writer.path)
    composed = Composed(report, marker_for(key), key, run.target, published, hint, gate_verdict(parts))
    comment, check, failures = _post(settings, ctx, run.forge, composed, run)
    _set_publish_outputs(comment, check)
    _record(run, report, check)
    if image_failure:
        told = f"the report was posted without its {len(images)} image(s)" if comment or check else (
            f"{len(images)} image(s) could not be published")  # fmt: skip
        failures.insert(0, f"{told}: {image_failure}")
    return _finish(run, writer.path, comment, check, failures)


def _record(run: Run, report: ReportParts, check: Published | None) -> None:
    """The results store learns what this run showed (recording.py); never changes what was published."""
    if run.store is not None:
        from cml_action.recording import record_results

        record_results(run, report, check)


def _finish(run: Run, report_file: Path, comment: Published | None, check: Published | None,
            failures: list[str]) -> Outcome:  # fmt: skip
    gate = gate_failure(run.settings, run.parts)
    lines = [*failures, *([gate] if gate else [])]
    for line in lines:
        workflow.error(line)
    tripped = gate_verdict(run.parts).tripped
    return Outcome(report_file, comment, check, tripped, 1 if lines else 0, tuple(lines))


def _local_report(run: Run, parts: Parts, media: MediaSet, urls: dict[str, str], key: str) -> ReportParts:
    local_dir = run.options.output_dir
    return compose(parts, media, urls, key=key, ctx=run.ctx, baseline=run.baseline, local_dir=local_dir)


def _publish_images(run: Run, images: list[PreparedImage]) -> tuple[dict[str, str], str]:
    """sha256 -> URL of the published images, and why publishing failed ("" when it did not)."""
    if not (run.settings.publish_images and images):
        return {}, ""
    try:
        with workflow.group(f"Publish {len(images)} image(s)"):
            return dict(run.forge.publish_images(images)), ""
    except CmlError as exc:
        return {}, str(exc)


def _left_out_warning(images: list[PreparedImage]) -> str:
    names = ", ".join(f"'{image.alt}'" for image in images)
    if len(images) == 1:
        return f"image {names} left out: it could not be published (see the job log); the report file keeps it"
    return f"images {names} left out: they could not be published (see the job log); the report file keeps them"


def _post(settings: Settings, ctx: RunContext, forge: Forge, composed: Composed,
          run: Run) -> tuple[Published | None, Published | None, list[str]]:  # fmt: skip
    """Post each channel on its own; a failure is collected, never stops the other channel."""
    failures: list[str] = []
    check = comment = None
    if settings.wants_check:
        try:
            check = _post_check(settings, ctx, forge, composed)
        except CmlError as exc:
            failures.append(str(exc))
    if wants_note(settings, ctx):
        try:
            if settings.group:  # the group's one comment; None when this job posts its own instead
                from cml_action.group_publish import post_group_comment

                comment = post_group_comment(run, composed, check)
            comment = comment or _post_comment(settings, ctx, forge, composed)
        except CmlError as exc:
            failures.append(str(exc))
    return comment, check, failures


def _post_check(settings: Settings, ctx: RunContext, forge: Forge, composed: Composed) -> Published:
    from cml_action.report.limits import fit_report

    limits = forge.limits
    summary = fit_report(
        composed.report, limits.check, unit=limits.check_unit, full_report_hint=composed.full_report_hint
    )
    verdict = composed.verdict
    conclusion: Conclusion = "failure" if verdict.blocking else "success"
    request = CheckRequest(settings.title, summary, conclusion, ctx.head_sha, composed.images, composed.key,
                           headline=verdict.summary)  # fmt: skip
    with workflow.group("Publish check"):
        check = forge.post_check(request)
        print(f"Check: {check.url}")
    return check


def _post_comment(settings: Settings, ctx: RunContext, forge: Forge, composed: Composed) -> Published:
    from cml_action.report.limits import fit_report
    from cml_action.report.watermark import cml_watermark_pattern

    limits = forge.limits
    body = fit_report(composed.report, limits.comment, unit=limits.unit, full_report_hint=composed.full_report_hint,
                      on_cut=workflow.warning)  # fmt: skip
    adopts = (cml_watermark_pattern(composed.key if settings.key != Settings.key else ""),)
    request = CommentRequest(body, composed.marker, composed.target, settings.comment_mode, adopts)  # type: ignore[arg-type]
    with workflow.group("Publish comment"):
        comment = forge.post_comment(request)
        if forge.traits.writes_files:
            print(f"Report written: {comment.url}")
        else:
            print(f"Report posted to {comment.where or 'the forge'}: {comment.url}")
    return comment


class ReportWriter:
    """report.md and the job summary; a second `write` replaces what the first wrote (the runner reads the
    summary file only after the step, so rewriting our own part of it is safe)."""

    def __init__(self, out_dir: Path, *, summary: bool) -> None:
        self.path = out_dir / "report.md"
        self._summary = summary
        self._summary_start: int | None = None  # size of the summary file before our first write

    def write(self, report: ReportParts) -> None:
        from cml_action.report.assemble import assemble

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(assemble(report), encoding="utf-8")
        if self._summary:
            self._write_summary(report)

    def _write_summary(self, report: ReportParts) -> None:
        target = os.environ.get("GITHUB_STEP_SUMMARY", "") if workflow.on_github() else ""
        if target:
            path = Path(target)
            if self._summary_start is None:
                self._summary_start = path.stat().st_size if path.is_file() else 0
            elif path.is_file():
                with open(path, "r+b") as handle:
                    handle.truncate(self._summary_start)
        # Fitted by sections like the comment: a huge report text is cut before the metrics and gates are.
        workflow.write_report_summary(report)


def _full_report_hint(ctx: RunContext, report_file: Path) -> str:
    from cml_action.forges import traits_of

    if traits_of(ctx).job_summary and ctx.run_url:
        return f"the job summary of [this run]({ctx.run_url})"
    if ctx.job_url:
        return f"`{report_file.name}` of [this job]({ctx.job_url})"
    return f"`{report_file}`"


def _write_bundle(run: Run, key: str) -> None:
    """A pull request run that could not publish (a fork's read-only token) leaves its report as a bundle for a
    `from-run` job (bundle.py); the `bundle` output names the folder, "" when there is none."""
    from cml_action.bundle import BundleMeta, write_bundle
    from cml_action.report.assemble import assemble

    ctx = run.ctx
    from cml_action.forges import traits_of

    if not (traits_of(ctx).fork_bundles and ctx.pr_number and ctx.event.startswith("pull_request")):
        workflow.set_output("bundle", "")
        return
    local = replace(_local_report(run, run.parts, run.media, {}, key), head_sha=None, run_url=None, key=None)
    body = assemble(local).partition("\n\n")[2]  # without the heading: the publishing run adds its own
    meta = BundleMeta(ctx.repo, ctx.pr_number, ctx.head_sha, run.baseline.sha or "", key, run.settings.title)
    folder = write_bundle(run.options.output_dir / "cml-report-bundle", body, run.options.output_dir / "images", meta)
    workflow.set_output("bundle", path_for_later_steps(folder, os.environ))


def _set_publish_outputs(comment: Published | None, check: Published | None) -> None:
    workflow.set_output("comment-url", comment.url if comment else "")
    workflow.set_output("comment-id", comment.id if comment else "")
    workflow.set_output("check-url", check.url if check else "")
