"""Turn settings + files into report parts (before publishing), then into the final markdown (after).

The split exists because image URLs are only known once the forge has published them, while everything that can
fail on bad input (metrics, thresholds, report files) must fail before the first request.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action import workspace
from cml_action.baseline import Baseline
from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import PreparedImage
from cml_action.inputs import Settings
from cml_action.media import MediaSet, prepare_as_input
from cml_action.metrics_source import collect_metrics
from cml_action.redact import redact
from cml_action.report.assemble import ReportParts

if TYPE_CHECKING:
    from cml_action.plots.draw import RenderedPlot
    from cml_action.report.diff import MetricsDiff
    from cml_action.report.table import ExtraColumn
    from cml_action.report.thresholds import Gates, Rule
    from cml_action.report.trends import Trends
    from cml_action.store.session import RunStore
    from cml_action.stored_baseline import StoredBaselines


@dataclass(frozen=True)
class ImagePairShas:
    """An image plot's two sides as prepared images (by sha256; None: that side has no such image)."""

    name: str
    baseline: str | None
    current: str | None


@dataclass
class Parts:
    title: str
    texts: list[tuple[Path, str]] = field(default_factory=list)
    params_md: str = ""
    metrics_md: str = ""
    verdict_md: str = ""
    files_md: str = ""
    plot_titles: dict[str, str] = field(default_factory=dict)  # sha256 -> plot title
    gates: Gates | None = None  # None without thresholds
    image_pairs: list[ImagePairShas] = field(default_factory=list)  # DVC image plots, baseline | current
    pairs_baseline: str = "baseline"  # the baseline column's header (short sha)
    warnings: list[str] = field(default_factory=list)
    unjudged_gates: int = 0  # gates that could not be evaluated because the metrics section failed
    metrics_diff: MetricsDiff | None = None  # the values the table shows (the store records them)
    params_diff: MetricsDiff | None = None  # the params the section compared (the store records them)
    trends: Trends | None = None  # the default branch's trends (docs/store.md); None without a store's index


# What a section's data can raise: our own errors (DVC's, reading inputs) and the OS/parse errors of data reads.
# Anything else is a programming error and goes to the top-level boundary, which reports it.
SECTION_ERRORS = (CmlError, OSError, ValueError)


def build_parts(settings: Settings, ctx: RunContext, baseline: Baseline, rules: tuple[Rule, ...], media: MediaSet,
                scratch: Path, *, store: RunStore | None = None) -> Parts:  # fmt: skip
    """Each part depends on this run's data, so each is a section: one that fails becomes a warning saying what
    and why, and the report goes on with the others (docs/report.md, "Sections that fail independently")."""
    parts = Parts(title=settings.title)
    if baseline.warning:
        parts.warnings.append(baseline.warning)
    stored = _stored_baselines(settings, ctx, baseline, store)
    for pattern in settings.report:
        _section(parts, "report text", lambda pattern=pattern: _add_texts(ctx.workspace, pattern, parts))  # type: ignore[misc]

    def params(own: Parts) -> None:
        _section(own, "params", lambda: _add_params(settings, ctx, baseline, own, stored))

    def metrics(own: Parts) -> None:
        built = _section(own, "metrics", lambda: _add_metrics(settings, ctx, baseline, rules, own, store, stored))
        if not built and rules:
            # A gate that judged nothing never passes: say so, and let fail-on-regression fail the step.
            own.unjudged_gates = len(rules)
            own.warnings.append(f"{len(rules)} gate(s) not evaluated: the metrics could not be read")

    def files_changed(own: Parts) -> None:
        if settings.dvc_diff:
            _section(own, "files changed (dvc-diff)", lambda: _add_files_changed(ctx, baseline, own))

    # Params, metrics and files changed each start a DVC process (about a second of start-up each) and only read:
    # they are built side by side while the plots (DVC, then rendering) are drawn here. Each writes its own Parts,
    # merged below in report order, so the report is the same as when built one after the other.
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="section") as pool:
        pending = [pool.submit(_own_parts, settings.title, build) for build in (params, metrics)]
        later = pool.submit(_own_parts, settings.title, files_changed)
        drawn = Parts(title=settings.title)
        if settings.plots:
            _section(drawn, "plots", lambda: _add_plots(settings, ctx, baseline, media, drawn, scratch, stored))
        for built in [*(future.result() for future in pending), drawn, later.result()]:
            _merge(parts, built)
    if stored and stored.warning:
        parts.warnings.append(stored.warning)
    if settings.trend_plots:  # after the metrics: it draws their trends
        _section(parts, "trend plots", lambda: _add_trend_plots(settings, rules, store, media, parts, scratch))
    return parts


def _stored_baselines(settings: Settings, ctx: RunContext, baseline: Baseline,
                      store: RunStore | None) -> StoredBaselines | None:  # fmt: skip
    """Where the baseline's missing values come from (docs/store.md): looked up only when a section needs it."""
    if store is None or baseline.sha is None:
        return None
    from cml_action.stored_baseline import StoredBaselines

    anchor = "the merge base" if baseline.described.startswith("merge-base") else "the baseline commit"
    return StoredBaselines(store, ctx.workspace, baseline.sha, anchor=anchor, allow_fetch=settings.fetch_baseline)


def _own_parts(title: str, build: Callable[[Parts], None]) -> Parts:
    own = Parts(title=title)
    build(own)
    return own


_SECTION_FIELDS = ("params_md", "metrics_md", "verdict_md", "files_md", "gates", "unjudged_gates", "plot_titles",
                   "image_pairs", "pairs_baseline", "metrics_diff", "params_diff", "trends")  # fmt: skip


def _merge(into: Parts, built: Parts) -> None:
    """Take what a section built on its own (its fields, its warnings after the ones already there)."""
    empty = Parts(title=built.title)
    for name in _SECTION_FIELDS:
        if getattr(built, name) != getattr(empty, name):
            setattr(into, name, getattr(built, name))
    into.warnings.extend(built.warnings)


def _section(parts: Parts, name: str, build: Callable[[], None]) -> bool:
    """Build one section; False (and a warning naming it, with the reason) when its data failed."""
    try:
        build()
    except SECTION_ERRORS as exc:
        parts.warnings.append(f"{name} left out: {_reason(exc)}")
        return False
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _add_texts(ws: Path, pattern: str, parts: Parts) -> None:
    known = {path for path, _ in parts.texts}
    for path in workspace.resolve_paths(ws, (pattern,), "report"):
        if path in known:
            continue
        text = workspace.read_text(path, "report", ws)
        if not text.strip():
            parts.warnings.append(f"report file '{workspace.relative_to_repo(ws, path)}' is empty")
        parts.texts.append((path, text))


def _add_params(settings: Settings, ctx: RunContext, baseline: Baseline, parts: Parts,
                stored: StoredBaselines | None) -> None:  # fmt: skip
    from cml_action.params_source import params_section

    label = baseline.short if baseline.sha else "baseline"
    section = params_section(ctx.workspace, settings.params, baseline.sha, show_all=settings.metrics_all,
                             baseline_label=label, stored=stored.params if stored else None)  # fmt: skip
    parts.params_md = section.markdown
    if section.markdown:
        parts.params_md += stored.source_line(section.from_store) if stored else ""
    parts.warnings.extend(section.warnings)
    parts.params_diff = section.diff


def _add_metrics(settings: Settings, ctx: RunContext, baseline: Baseline, rules: tuple[Rule, ...],
                 parts: Parts, store: RunStore | None = None,
                 stored: StoredBaselines | None = None) -> None:  # fmt: skip
    from cml_action.report.diff import diff_metrics
    from cml_action.report.table import render_metrics_section
    from cml_action.report.thresholds import evaluate_gates, render_verdict, tripped_keys

    sides = collect_metrics(ctx.workspace, settings.metrics, baseline.sha, stored=stored.metrics if stored else None)
    parts.warnings.extend(sides.warnings)
    if rules and not sides.current and not sides.baseline:
        parts.warnings.append("thresholds are set but no metrics were read (set the 'metrics' input)")
    diff = parts.metrics_diff = diff_metrics(sides.baseline, sides.current)
    if rules:  # judged even without metrics: a gate that judged nothing must never pass
        missing = tuple(path for path, metrics in sides.current.items() if metrics is None)
        parts.gates = evaluate_gates(rules, diff, has_baseline=baseline.sha is not None, missing_at_head=missing)
        parts.verdict_md = render_verdict(parts.gates)
    previous_columns = _since_previous(settings, ctx, store, diff, parts)
    trend_columns = _trend_columns(store, ctx, diff, settings.metrics_precision, parts)
    parts.metrics_md = render_metrics_section(
        diff,
        precision=settings.metrics_precision,
        show_all=settings.metrics_all,
        tripped=tripped_keys(parts.gates) if parts.gates else frozenset(),
        baseline_label=baseline.short if baseline.sha else "baseline",
        current_label="current",
        extra=[*previous_columns, *trend_columns],
    )
    if parts.metrics_md:
        parts.metrics_md += stored.source_line(sides.from_store) if stored else ""


def _since_previous(settings: Settings, ctx: RunContext, store: RunStore | None, diff: MetricsDiff,
                    parts: Parts) -> list[ExtraColumn]:  # fmt: skip
    """`compare-previous`: the change since this pull request's previous stored run, as a metrics table column."""
    if not (settings.compare_previous and store and ctx.pr_number is not None):
        return []
    from cml_action.stored_baseline import since_previous_column

    try:
        return since_previous_column(store, ctx.head_sha, diff, settings.metrics_precision)
    except CmlError as exc:
        parts.warnings.append(f"results store not read, so no 'since last push' column: {exc}")
        return []


def _trend_columns(store: RunStore | None, ctx: RunContext, diff: MetricsDiff, precision: int,
                   parts: Parts) -> list[ExtraColumn]:  # fmt: skip
    """The Trend column (docs/store.md, "Trends"): with a store, when a metric has 2 points or more on the
    default branch. Its store read fails on its own: the table goes on without the column."""
    from cml_action.report.table import ExtraColumn
    from cml_action.report.trends import build_trends, trend_cells, trend_header

    if store is None or not store.default_branch:
        return []
    columns: list[ExtraColumn] = []

    def build() -> None:
        current = {row.key: row.new for row in diff.rows}
        branch = store.default_branch
        parts.trends = build_trends(branch, store.index(branch), current, ctx.head_sha)
        cells = trend_cells(parts.trends, current, precision)
        if cells:
            columns.append(ExtraColumn(trend_header(branch), cells))

    _section(parts, "trends", build)
    return columns


def _add_plots(settings: Settings, ctx: RunContext, baseline: Baseline, media: MediaSet, parts: Parts,
               scratch: Path, stored: StoredBaselines | None = None) -> None:  # fmt: skip
    from cml_action.plots import draw_plots

    stored_rows = stored.plot_rows if stored else None
    drawn = draw_plots(ctx.workspace, settings.plots, baseline.sha, scratch / "plots",
                       precision=settings.metrics_precision, stored_rows=stored_rows)  # fmt: skip
    _add_charts(drawn.charts, "plots", settings, media, parts, scratch)
    parts.warnings.extend(drawn.notes)
    parts.pairs_baseline = drawn.baseline_label
    for pair in drawn.images:
        sides = [_prepare_plot_image(side, settings, media, parts, scratch) for side in (pair.baseline, pair.current)]
        parts.image_pairs.append(ImagePairShas(pair.name, *sides))


def _add_charts(charts: tuple[RenderedPlot, ...], input_name: str, settings: Settings, media: MediaSet, parts: Parts,
                scratch: Path) -> None:  # fmt: skip
    """Rendered charts, published like every plot image and shown under "Plots" with their alt text."""
    for plot in charts:
        image = prepare_as_input(plot.path, settings.max_image_width, scratch, input_name)
        media.plots.append(image)
        parts.plot_titles[image.sha256] = plot.alt


def _add_trend_plots(settings: Settings, rules: tuple[Rule, ...], store: RunStore | None, media: MediaSet,
                     parts: Parts, scratch: Path) -> None:  # fmt: skip
    """The `trend-plots` charts (docs/store.md, "Trends"), drawn from the trends the metrics section read."""
    from cml_action.plots.trends import draw_trend_plots

    if store is None:
        raise CmlError("no results store to read the default branch's runs from (input 'store' is off, or this "
                       "forge keeps no results)")  # fmt: skip
    if not store.default_branch:
        raise CmlError("the repository's default branch is unknown, so there are no stored runs to draw")
    if parts.trends is None:
        raise CmlError("the metrics or the stored runs could not be read (see the warning above)")
    drawn = draw_trend_plots(parts.trends, settings.trend_plots, rules, scratch / "trends",
                             precision=settings.metrics_precision)  # fmt: skip
    _add_charts(drawn.charts, "trend-plots", settings, media, parts, scratch)
    parts.warnings.extend(drawn.notes)


def _prepare_plot_image(path: Path | None, settings: Settings, media: MediaSet, parts: Parts,
                        scratch: Path) -> str | None:  # fmt: skip
    """One side of an image plot, published like every other plot image; a bad image is a warning."""
    from cml_action.errors import CmlError

    if path is None:
        return None
    try:
        image = prepare_as_input(path, settings.max_image_width, scratch, "plots")
    except CmlError as exc:
        parts.warnings.append(str(exc))
        return None
    media.plots.append(image)
    return image.sha256


def _add_files_changed(ctx: RunContext, baseline: Baseline, parts: Parts) -> None:
    from cml_action.dvc.files import files_changed

    if baseline.sha is None:
        parts.warnings.append("dvc-diff: no baseline commit to compare files against")
        return
    parts.files_md = files_changed(ctx.workspace, baseline.sha)


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


def _image_pairs_md(parts: Parts, media: MediaSet, urls: Mapping[str, str], local_dir: Path) -> str:
    """One table row per DVC image plot: the baseline image, then the current one; a missing side says so."""
    from cml_action.report.escape import escape_cell

    by_sha = {image.sha256: image for image in media.plots}

    def cell(sha: str | None, name: str, side: str, missing: str) -> str:
        image = by_sha.get(sha) if sha else None
        if image is None:
            return f"*{missing}*"
        return _image_md(image, _image_link(image, urls, local_dir), f"{name} ({side})")

    rows = [
        f"| {escape_cell(pair.name)} "
        f"| {cell(pair.baseline, pair.name, parts.pairs_baseline, 'not at the baseline')} "
        f"| {cell(pair.current, pair.name, 'current', 'missing in this run')} |"
        for pair in parts.image_pairs
    ]
    if not rows:
        return ""
    header = f"| Image | {escape_cell(parts.pairs_baseline)} | current |\n|---|---|---|"
    return "\n".join([header, *rows])


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
    charts = [image for image in media.plots if image.sha256 in parts.plot_titles]
    plots_md = "\n\n".join(
        _image_md(image, _image_link(image, urls, local_dir), parts.plot_titles[image.sha256]) for image in charts
    )
    pairs_md = _image_pairs_md(parts, media, urls, local_dir)
    plots_md = "\n\n".join(part for part in (plots_md, pairs_md) if part)
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
        # A warning may quote a forge's or a tool's answer, which may echo the token: never into the report.
        warnings=tuple(redact(warning) for warning in [*parts.warnings, *media.warnings]),
        head_sha=ctx.head_sha,
        baseline_sha=baseline.sha or "",
        run_url=ctx.run_url,
        key=key,
        run_label=_run_link_label(ctx),
    )


def _run_link_label(ctx: RunContext) -> str:
    from cml_action.forges import traits_of

    return traits_of(ctx).run_link_label
