"""Turn settings + files into report parts (before publishing), then into the final markdown (after).

The split exists because image URLs are only known once the forge has published them, while everything that can
fail on bad input (metrics, thresholds, report files) must fail before the first request.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action import workspace
from cml_action.baseline import Baseline
from cml_action.context import RunContext
from cml_action.forges.base import PreparedImage
from cml_action.inputs import Settings
from cml_action.media import MediaSet, prepare_as_input
from cml_action.metrics_source import collect_metrics
from cml_action.report.assemble import ReportParts

if TYPE_CHECKING:
    from cml_action.report.thresholds import Rule, Trip


@dataclass
class Parts:
    title: str
    texts: list[tuple[Path, str]] = field(default_factory=list)
    params_md: str = ""
    metrics_md: str = ""
    verdict_md: str = ""
    files_md: str = ""
    plot_titles: dict[str, str] = field(default_factory=dict)  # sha256 -> plot title
    trips: tuple[Trip, ...] = ()
    warnings: list[str] = field(default_factory=list)


def build_parts(settings: Settings, ctx: RunContext, baseline: Baseline, rules: tuple[Rule, ...], media: MediaSet,
                scratch: Path) -> Parts:  # fmt: skip
    parts = Parts(title=settings.title)
    if baseline.warning:
        parts.warnings.append(baseline.warning)
    for path in workspace.resolve_paths(ctx.workspace, settings.report, "report"):
        text = workspace.read_text(path, "report", ctx.workspace)
        if not text.strip():
            shown = workspace.relative_to_repo(ctx.workspace, path)
            parts.warnings.append(f"report file '{shown}' is empty")
        parts.texts.append((path, text))
    _add_params(settings, ctx, baseline, parts)
    _add_metrics(settings, ctx, baseline, rules, parts)
    if settings.plots:
        _add_plots(settings, ctx, baseline, media, parts, scratch)
    if settings.dvc_diff:
        parts.files_md = _files_changed(ctx, baseline, parts)
    return parts


def _add_params(settings: Settings, ctx: RunContext, baseline: Baseline, parts: Parts) -> None:
    from cml_action.params_source import params_section

    label = baseline.short if baseline.sha else "baseline"
    section = params_section(ctx.workspace, settings.params, baseline.sha, show_all=settings.metrics_all,
                             baseline_label=label)  # fmt: skip
    parts.params_md = section.markdown
    parts.warnings.extend(section.warnings)


def _add_metrics(settings: Settings, ctx: RunContext, baseline: Baseline, rules: tuple[Rule, ...],
                 parts: Parts) -> None:  # fmt: skip
    from cml_action.report.diff import diff_metrics
    from cml_action.report.table import render_metrics_section
    from cml_action.report.thresholds import evaluate_gates, render_verdict, tripped_keys

    sides = collect_metrics(ctx.workspace, settings.metrics, baseline.sha)
    parts.warnings.extend(sides.warnings)
    if not sides.current and not sides.baseline:
        if rules:
            parts.warnings.append("thresholds are set but no metrics were read (set the 'metrics' input)")
        return
    diff = diff_metrics(sides.baseline, sides.current)
    if rules:
        gates = evaluate_gates(rules, diff)
        parts.trips = gates.trips
        parts.warnings.extend(gates.warnings)
    tripped = tripped_keys(parts.trips)
    parts.metrics_md = render_metrics_section(
        diff,
        precision=settings.metrics_precision,
        show_all=settings.metrics_all,
        tripped=tripped,
        baseline_label=baseline.short if baseline.sha else "baseline",
        current_label="current",
    )
    if rules:
        parts.verdict_md = render_verdict(rules, parts.trips)


def _add_plots(settings: Settings, ctx: RunContext, baseline: Baseline, media: MediaSet, parts: Parts,
               scratch: Path) -> None:  # fmt: skip
    from cml_action.plots import render_plots

    rendered = render_plots(ctx.workspace, settings.plots, baseline.sha, scratch / "plots",
                            precision=settings.metrics_precision)  # fmt: skip
    for plot in rendered:
        image = prepare_as_input(plot.path, settings.max_image_width, scratch, "plots")
        media.plots.append(image)
        parts.plot_titles[image.sha256] = plot.alt
        parts.warnings.extend(plot.notes)


def _files_changed(ctx: RunContext, baseline: Baseline, parts: Parts) -> str:
    from cml_action.dvc.files import files_changed

    if baseline.sha is None:
        parts.warnings.append("dvc-diff: no baseline commit to compare files against")
        return ""
    return files_changed(ctx.workspace, baseline.sha)


def _image_link(image: PreparedImage, urls: Mapping[str, str], local_dir: Path) -> str:
    """The published URL, else a copy beside report.md (send-as none, publish-images false, fork PRs)."""
    if image.sha256 in urls:
        return urls[image.sha256]
    target = local_dir / "images" / image.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(image.path, target)
    return os.path.relpath(target, local_dir)


def _image_md(image: PreparedImage, link: str, alt: str | None = None) -> str:
    from cml_action.report.escape import escape_alt

    return f"![{escape_alt(alt or image.alt)}]({link})"


def compose(parts: Parts, media: MediaSet, urls: Mapping[str, str], *, key: str, ctx: RunContext,
            baseline: Baseline, local_dir: Path) -> ReportParts:  # fmt: skip
    """The report's final parts, with image links pointing at the published URLs (or local copies)."""
    from cml_action.report.mdimages import rewrite_image_refs

    texts = []
    for index, (_, text) in enumerate(parts.texts):
        mapping = {target: _image_link(image, urls, local_dir)
                   for (doc, target), image in media.by_target.items() if doc == index}  # fmt: skip
        texts.append(rewrite_image_refs(text, mapping) if mapping else text)
    images_md = "\n\n".join(_image_md(image, _image_link(image, urls, local_dir)) for image in media.inputs)
    plots_md = "\n\n".join(
        _image_md(image, _image_link(image, urls, local_dir), parts.plot_titles.get(image.sha256))
        for image in media.plots
    )
    if plots_md:
        plots_md = "### Plots\n\n" + plots_md
    return ReportParts(
        title=parts.title,
        texts=tuple(texts),
        images_md=images_md,
        params_md=parts.params_md,
        metrics_md=parts.metrics_md,
        verdict_md=parts.verdict_md,
        plots_md=plots_md,
        files_md=parts.files_md,
        warnings=tuple([*parts.warnings, *media.warnings]),
        head_sha=ctx.head_sha,
        baseline_sha=baseline.sha or "",
        run_url=ctx.run_url,
        key=key,
        run_label="Pipeline" if ctx.forge == "gitlab" else "Workflow run",
    )
