"""The declarative run: inputs + context -> report (pure core) -> forge publishes -> workflow outputs.

Everything that can fail because of bad input is checked before the first request; the full report is written to
disk and to the job summary before publishing, so a publishing failure never loses it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cml_action import workflow
from cml_action.baseline import Baseline, resolve_baseline
from cml_action.context import RunContext
from cml_action.forges.base import CheckRequest, CommentRequest, Conclusion, Forge, ForgeOptions, Published, Target
from cml_action.inputs import Settings
from cml_action.media import MediaSet, prepare_inputs, prepare_referenced
from cml_action.render_parts import Parts, build_parts, compose
from cml_action.report.assemble import ReportParts
from cml_action.targets import parse_target


@dataclass(frozen=True)
class Outcome:
    report_file: Path
    comment: Published | None
    check: Published | None
    regressions: int
    exit_code: int


def forge_options(settings: Settings, ctx: RunContext) -> ForgeOptions:
    out = Path(settings.output_dir)
    return ForgeOptions(
        assets_branch=settings.assets_branch,
        output_dir=out if out.is_absolute() else ctx.workspace / out,
        title=settings.title,
        write_interval=write_interval(),
    )


def write_interval() -> float:
    """Seconds between writes (GitHub asks >= 1). CML_WRITE_INTERVAL lowers it for tests against fakes only."""
    raw = os.environ.get("CML_WRITE_INTERVAL", "")
    try:
        return max(0.0, float(raw)) if raw else 1.0
    except ValueError:
        return 1.0


def run(settings: Settings, ctx: RunContext, *, options: ForgeOptions | None = None) -> Outcome:
    from cml_action.forges import make_forge
    from cml_action.report.thresholds import parse_thresholds

    rules = parse_thresholds(settings.thresholds)  # bad gates fail before any work
    target = parse_target(settings.target)
    options = options or forge_options(settings, ctx)
    with workflow.group("Resolve baseline"):
        baseline = resolve_baseline(ctx, settings.baseline, allow_fetch=settings.fetch_baseline)
        print(f"Comparing {ctx.head_sha[:7]} (working tree) with baseline: {baseline.described}")
    forge = make_forge(ctx, options)
    can_publish = _preflight(forge, settings, ctx)
    # Prepared images live here until published (or copied beside report.md); removed when the run ends.
    with tempfile.TemporaryDirectory(prefix="cml-images-") as tmp:
        scratch = Path(tmp)
        with workflow.group("Build report"):  # groups cannot nest on GitHub: publishing gets its own
            media = MediaSet()
            parts = build_parts(settings, ctx, baseline, rules, media, scratch)
            media.inputs = prepare_inputs(ctx.workspace, settings.images, settings.max_image_width, scratch, media)
            for index, (doc_path, text) in enumerate(parts.texts):
                prepare_referenced(ctx.workspace, index, doc_path, text, media,
                                   max_width=settings.max_image_width, out_dir=scratch)  # fmt: skip
            for message in [*parts.warnings, *media.warnings]:
                workflow.warning(message)
        return _publish(settings, ctx, forge, options, parts, media, baseline, target, can_publish)


def _wants_note(settings: Settings, ctx: RunContext) -> bool:
    # GitLab has no check runs: a "check" there is a commit status, which cannot hold the report, plus the note.
    return settings.wants_comment or (settings.wants_check and ctx.forge == "gitlab")


def _preflight(forge: Forge, settings: Settings, ctx: RunContext) -> bool:
    """False when this run may not publish (fork PR): the report still goes to the summary and disk."""
    from cml_action.errors import ReadOnlyToken

    if settings.send_as == "none":
        return False
    try:
        forge.preflight(
            wants_comment=_wants_note(settings, ctx),
            wants_check=settings.wants_check,
            wants_images=settings.publish_images,
        )
    except ReadOnlyToken as exc:
        workflow.warning(str(exc))
        return False
    return True


def _publish(settings: Settings, ctx: RunContext, forge: Forge, options: ForgeOptions, parts: Parts,
             media: MediaSet, baseline: Baseline, target: Target, can_publish: bool) -> Outcome:  # fmt: skip
    from cml_action.report.assemble import assemble, marker_for

    key = ctx.key(settings.key)
    urls: dict[str, str] = {}
    images = media.all()  # every image once, by content hash
    if can_publish and settings.publish_images and images:
        with workflow.group(f"Publish {len(images)} image(s)"):
            urls = dict(forge.publish_images(images))
    report = compose(parts, media, urls, key=key, ctx=ctx, baseline=baseline, local_dir=options.output_dir)
    full = assemble(report)
    report_file = _write_report_file(options.output_dir, full)
    if settings.summary:
        workflow.write_report_summary(report)
    hint = _full_report_hint(ctx, report_file)
    regressions = len(parts.trips)
    # Set before posting: when publishing fails for good, the step still points at the full report.
    workflow.set_output("report-file", str(report_file))
    workflow.set_output("regressions", str(regressions))
    comment = check = None
    if can_publish:
        published = tuple((image.alt, urls[image.sha256]) for image in images if image.sha256 in urls)
        composed = Composed(report, marker_for(key), key, target, published, hint, bool(parts.trips))
        comment, check = _post(settings, ctx, forge, composed)
    _set_publish_outputs(comment, check)
    failed = settings.fail_on_regression and regressions > 0
    if failed:
        workflow.error(f"{regressions} regression gate(s) tripped (fail-on-regression is true)")
    return Outcome(report_file, comment, check, regressions, 1 if failed else 0)


@dataclass(frozen=True)
class Composed:
    """The finished report and what publishing it needs."""

    report: ReportParts
    marker: str
    key: str
    target: Target
    images: tuple[tuple[str, str], ...]  # (alt, url) of published images
    full_report_hint: str
    tripped: bool


PostResult = tuple[Published | None, Published | None]


def _post(settings: Settings, ctx: RunContext, forge: Forge, composed: Composed) -> PostResult:
    from cml_action.report.limits import fit_report

    comment = check = None
    limits = forge.limits
    hint = composed.full_report_hint
    if settings.wants_check:
        summary = fit_report(composed.report, limits.check, unit=limits.check_unit, full_report_hint=hint)
        conclusion: Conclusion = "failure" if composed.tripped else "success"
        request = CheckRequest(settings.title, summary, conclusion, ctx.head_sha, composed.images, composed.key)
        with workflow.group("Publish check"):
            check = forge.post_check(request)
            print(f"Check: {check.url}")
    if _wants_note(settings, ctx):
        body = fit_report(composed.report, limits.comment, unit=limits.unit, full_report_hint=hint)
        mode = settings.comment_mode
        with workflow.group("Publish comment"):
            comment = forge.post_comment(CommentRequest(body, composed.marker, composed.target, mode))  # type: ignore[arg-type]
            if ctx.forge == "local":
                print(f"Report written: {comment.url}")
            else:
                print(f"Report posted to {comment.where or 'the forge'}: {comment.url}")
    return comment, check


def _write_report_file(out_dir: Path, markdown: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def _full_report_hint(ctx: RunContext, report_file: Path) -> str:
    if ctx.forge == "github" and ctx.run_url:
        return f"the job summary of [this run]({ctx.run_url})"
    if ctx.job_url:
        return f"`{report_file.name}` of [this job]({ctx.job_url})"
    return f"`{report_file}`"


def _set_publish_outputs(comment: Published | None, check: Published | None) -> None:
    workflow.set_output("comment-url", comment.url if comment else "")
    workflow.set_output("comment-id", comment.id if comment else "")
    workflow.set_output("check-url", check.url if check else "")
