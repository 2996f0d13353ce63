"""The declarative run: inputs + context -> report (pure core) -> forge publishes -> workflow outputs.

Inputs wrong in themselves (thresholds, target, enums, numbers) fail before any work. Everything that depends on
this run's data is a section (render_parts): a failing section becomes a warning in the report. Publishing
(publish.py) writes the report file and the job summary before the first forge write, so nothing is ever lost.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from cml_action import workflow
from cml_action.baseline import resolve_baseline
from cml_action.context import RunContext, in_project_folder
from cml_action.forges.base import Forge, ForgeOptions
from cml_action.inputs import Settings
from cml_action.media import MediaSet, prepare_inputs, prepare_referenced
from cml_action.publish import Outcome, Run, publish, wants_note
from cml_action.render_parts import build_parts
from cml_action.runner_paths import DEFAULT_FOLDER, report_folder
from cml_action.store.session import open_store
from cml_action.targets import parse_target

__all__ = ["Outcome", "forge_options", "run", "write_interval"]


def forge_options(settings: Settings, ctx: RunContext) -> ForgeOptions:
    out = Path(settings.output_dir or DEFAULT_FOLDER)
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
    from cml_action.forges import make_forge, traits_of
    from cml_action.report.thresholds import parse_thresholds

    rules = parse_thresholds(settings.thresholds)  # bad gates fail before any work
    given_baseline = None
    if settings.from_run:  # a workflow_run job publishing a fork PR run's report bundle
        from cml_action.from_run import take_bundle

        settings, ctx, given_baseline = take_bundle(settings, ctx)
    ctx = in_project_folder(ctx, settings.working_directory)  # monorepos: every relative path starts there
    target = parse_target(settings.target)
    if options is None:  # the report's folder: under RUNNER_TEMP on GitHub unless output-dir asks otherwise
        folder = report_folder(settings.output_dir, in_runner_temp=traits_of(ctx).runner_temp_reports,
                               workspace=ctx.workspace, env=os.environ)  # fmt: skip
        options = replace(forge_options(settings, ctx), output_dir=folder)
    with workflow.group("Resolve baseline"):
        baseline = given_baseline or resolve_baseline(ctx, settings.baseline, allow_fetch=settings.fetch_baseline)
        print(f"Comparing {ctx.head_sha[:7]} (working tree) with baseline: {baseline.described}")
    forge = make_forge(ctx, options)
    can_publish = _preflight(forge, settings, ctx)
    run_store = open_store(settings, ctx, forge)  # docs/store.md: baselines, trends and groups read it
    # Prepared images live here until published (or copied beside report.md); removed when the run ends.
    with tempfile.TemporaryDirectory(prefix="cml-images-") as tmp:
        scratch = Path(tmp)
        with workflow.group("Build report"):  # groups cannot nest on GitHub: publishing gets its own
            media = MediaSet()
            parts = build_parts(settings, ctx, baseline, rules, media, scratch, store=run_store)
            prepare_inputs(ctx.workspace, settings.images, settings.max_image_width, scratch, media)
            for index, (doc_path, text) in enumerate(parts.texts):
                prepare_referenced(ctx.workspace, index, doc_path, text, media,
                                   max_width=settings.max_image_width, out_dir=scratch)  # fmt: skip
            for message in [*parts.warnings, *media.warnings, *(parts.gates.notes if parts.gates else ())]:
                workflow.warning(message)
        return publish(Run(settings, ctx, forge, options, parts, media, baseline, target, can_publish, run_store))


def _preflight(forge: Forge, settings: Settings, ctx: RunContext) -> bool:
    """False when this run may not publish (fork PR): the report still goes to the summary and disk."""
    from cml_action.errors import ReadOnlyToken

    if settings.send_as == "none":
        return False
    try:
        forge.preflight(
            wants_comment=wants_note(settings, ctx),
            wants_check=settings.wants_check,
            wants_images=settings.publish_images,
        )
    except ReadOnlyToken as exc:
        workflow.warning(str(exc))
        return False
    return True
