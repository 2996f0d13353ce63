"""Draw every `plots` entry: charts as PNGs and image plots as baseline/current pairs, one plot failing alone.

Git-tracked data with a line/scatter template is drawn with our own chart. Everything else that DVC draws (DVC
outputs, its other templates, image plots) comes from ONE DVC call for the whole report (`dvc_batch`), and its
specs are made right (`dvc_spec`) before rendering. A plot that cannot be drawn becomes a note; the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_action.dvc import project
from cml_action.dvc.project import PlotDef
from cml_action.errors import CmlError
from cml_action.plots import collect, data, dvc_spec, render, spec
from cml_action.plots.collect import StoredRows
from cml_action.plots.dvc_batch import DvcAnswer, ask_dvc
from cml_action.plots.labels import CURRENT_LABEL, WORKSPACE_REV, short_rev

DVC_HINT = "pip install 'cml-action[dvc]' or use the cml-action image"
PULL_HINT = "try 'dvc pull' before the report"


@dataclass(frozen=True)
class RenderedPlot:
    path: Path  # the PNG in out_dir
    title: str
    alt: str
    notes: tuple[str, ...] = ()  # things the reader should know (baseline missing, a column not found…)


@dataclass(frozen=True)
class ImagePair:
    """An image plot at the baseline and now; None where that side has no such image."""

    name: str
    baseline: Path | None
    current: Path | None


@dataclass(frozen=True)
class DrawnPlots:
    charts: tuple[RenderedPlot, ...]
    images: tuple[ImagePair, ...]
    notes: tuple[str, ...]  # one per plot that could not be drawn (or drawn in part), the report's warnings
    baseline_label: str  # the header of the images' baseline column


def _is_own(plot: PlotDef) -> bool:
    return plot.template in spec.OWN_TEMPLATES and all(
        Path(file).suffix.lower() in data.DATA_SUFFIXES for file in plot.files
    )


def _dvc_draws(workspace: Path, plots: Sequence[PlotDef]) -> set[int]:
    """Indexes of the plots that are DVC's to draw: not ours to draw, or data that DVC stores (one git call)."""
    tracked = set(project.dvc_tracked(workspace, [file for plot in plots for file in plot.files]))
    return {index for index, plot in enumerate(plots) if not _is_own(plot) or tracked & set(plot.files)}


def _answers(workspace: Path, plots: Sequence[PlotDef], baseline_rev: str | None,
             out_dir: Path) -> dict[str, DvcAnswer]:  # fmt: skip
    """DVC's answer for each plot id: one call for all; when that call reports errors (DVC may then drop every
    plot from its answer), the plots are asked one by one, so each gets its own chart or its own error."""
    targets = list(dict.fromkeys(plot.id for plot in plots))
    batch = ask_dvc(workspace, targets, baseline_rev, out_dir / "all")
    if len(targets) == 1 or not (batch.errors or batch.failure):
        return dict.fromkeys(targets, batch)
    return {target: ask_dvc(workspace, [target], baseline_rev, out_dir / f"{i}") for i, target in enumerate(targets)}


def _dvc_problem(answer: DvcAnswer) -> str:
    if answer.failure:
        return f"DVC failed: {answer.failure}"
    if answer.errors:
        return f"DVC could not load {'; '.join(answer.errors)} ({PULL_HINT})"
    return f"DVC found no data for it at the baseline or in the working tree ({PULL_HINT})"


def _from_dvc(plot: PlotDef, answer: DvcAnswer, baseline_rev: str | None,
              notes: list[str]) -> tuple[list[tuple[str, dict[str, Any], str]], list[ImagePair]]:  # fmt: skip
    keys = answer.keys_for(plot.id)
    if not keys:
        raise CmlError(_dvc_problem(answer))
    if answer.errors:  # drawn in part: say what is missing, in DVC's words
        notes.append(f"plot '{plot.id}': {_dvc_problem(answer)}")
    labels = {WORKSPACE_REV: CURRENT_LABEL, **({baseline_rev: short_rev(baseline_rev)} if baseline_rev else {})}
    order = [baseline_rev, WORKSPACE_REV] if baseline_rev else [WORKSPACE_REV]
    charts, images = [], []
    for key in keys:
        title = plot.title or (plot.id if len(keys) == 1 else key)
        for content in answer.charts.get(key, ()):
            charts.append((title, dvc_spec.prepare(content, labels, order), f"{title} (DVC plot)"))
        by_rev = answer.images.get(key)
        if by_rev:
            baseline = by_rev.get(baseline_rev) if baseline_rev else None
            images.append(ImagePair(name=key, baseline=baseline, current=by_rev.get(WORKSPACE_REV)))
    return charts, images


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "plot"
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}-{counter}"
    taken.add(name)
    return name


def _without_dvc(workspace: Path, plot: PlotDef, baseline_rev: str | None, options: collect.PlotOptions,
                 notes: list[str]) -> list[tuple[str, dict[str, Any], str]]:  # fmt: skip
    """DVC is not installed: our own chart from the working tree when we can draw it, else a note."""
    if plot.template not in spec.OWN_TEMPLATES:
        raise CmlError(f"it uses DVC's '{plot.template}' template, which needs DVC ({DVC_HINT})")
    if not _is_own(plot):
        raise CmlError(f"it is an image plot or a folder, which needs DVC ({DVC_HINT})")
    notes.append(f"plot '{plot.id}': its data is a DVC output and DVC is not installed ({DVC_HINT}); "
                 "drawn from the working tree without the baseline")  # fmt: skip
    chart, alt = collect.own_chart(workspace, plot, None, options, notes)
    return [(plot.title or plot.id, chart, alt)]


def draw_plots(workspace: Path, entries: Sequence[str], baseline_rev: str | None, out_dir: Path, *,
               precision: int = 5, scale: float = render.DEFAULT_SCALE,
               stored_rows: StoredRows | None = None) -> DrawnPlots:  # fmt: skip
    """Every `plots` entry drawn into out_dir; bad entries (InputError) fail before anything is drawn.
    `stored_rows` gives a data file's baseline rows from the results store where git has none."""
    from cml_action.dvc.runner import find_dvc

    options = collect.PlotOptions(precision=precision, scale=scale, stored_rows=stored_rows)
    plots = [plot for entry in entries for plot in collect.resolve_plots(workspace, entry)]
    out_dir.mkdir(parents=True, exist_ok=True)
    dvc_indexes = _dvc_draws(workspace, plots)
    has_dvc = find_dvc() is not None
    answers: Mapping[str, DvcAnswer] = {}
    if dvc_indexes and has_dvc:
        answers = _answers(workspace, [plots[index] for index in sorted(dvc_indexes)], baseline_rev, out_dir / "dvc")
    taken: set[str] = set()
    charts, images, notes = [], [], []
    for index, plot in enumerate(plots):
        plot_notes: list[str] = []
        try:
            if index not in dvc_indexes:
                chart, alt = collect.own_chart(workspace, plot, baseline_rev, options, plot_notes)
                found = [(plot.title or plot.id, chart, alt)]
            elif has_dvc:
                found, pairs = _from_dvc(plot, answers[plot.id], baseline_rev, plot_notes)
                images.extend(pairs)
            else:
                found = _without_dvc(workspace, plot, baseline_rev, options, plot_notes)
            for title, chart, alt in found:
                path = out_dir / f"{_slug(title, taken)}.png"
                path.write_bytes(render.vegalite_png(spec.finite_json(chart), scale=options.scale))
                charts.append(RenderedPlot(path=path, title=title, alt=alt, notes=tuple(plot_notes)))
        except render.RendererMissing:
            raise
        except CmlError as exc:
            plot_notes.append(f"plot '{plot.id}' was not drawn: {exc}")
        notes.extend(plot_notes)
    label = short_rev(baseline_rev) if baseline_rev else "baseline"
    return DrawnPlots(tuple(charts), tuple(images), tuple(dict.fromkeys(notes)), label)


def render_plots(workspace: Path, entries: Sequence[str], baseline_rev: str | None, out_dir: Path, *,
                 precision: int = 5, scale: float = render.DEFAULT_SCALE) -> tuple[RenderedPlot, ...]:  # fmt: skip
    """The charts of `draw_plots` (for callers that show no image plots and no notes of failed plots)."""
    return draw_plots(workspace, entries, baseline_rev, out_dir, precision=precision, scale=scale).charts
