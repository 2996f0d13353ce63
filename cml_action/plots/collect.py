"""`plots` input: resolve each entry (data file or dvc.yaml plot) into plot definitions, and draw our own chart
for git-tracked data (working tree + `git show` at the baseline), so every such plot looks the same. Plots that are
DVC's to draw (DVC outputs, templates we do not reproduce, images) are routed by `cml_action.plots.draw`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cml_action.dvc import project
from cml_action.dvc.project import PlotDef
from cml_action.errors import CmlError, InputError
from cml_action.plots import data, render, spec
from cml_action.plots.entry import PlotEntry, parse_entry
from cml_action.plots.labels import CURRENT_LABEL, short_rev
from cml_action.plots.spec import ChartText, Series
from cml_action.workspace import inside, relative_to_repo, resolve_paths

_GLOB_CHARS = frozenset("*?[")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


StoredRows = Callable[[str], Sequence[Mapping[str, Any]] | None]


@dataclass(frozen=True)
class PlotOptions:
    precision: int = 5
    scale: float = render.DEFAULT_SCALE
    # A data file's rows from the results store's baseline run (docs/store.md), asked only when git has no such
    # file at the baseline (data computed in CI, never committed); None: no store.
    stored_rows: StoredRows | None = None


def _data_files_under(workspace: Path, folder: str) -> list[str]:
    """Data files inside a plots folder (DVC draws one plot per file, e.g. dvclive/plots/metrics), sorted."""
    root = data.safe_path(workspace, folder)
    found = sorted(path for path in root.rglob("*") if path.is_file() and path.suffix.lower() in data.DATA_SUFFIXES)
    # A symlink inside the folder may point anywhere: only files that really are in the workspace count.
    return [path.relative_to(workspace.resolve()).as_posix() for path in found if inside(workspace, path)]


def _split_folders(workspace: Path, plot: PlotDef) -> list[PlotDef]:
    """A plot over a folder becomes one plot per data file in it, keeping the definition's options. A folder
    without data files (images, or not pulled) stays whole: DVC expands it."""
    folders = [
        file for file in plot.files if data.safe_path(workspace, file).is_dir() and _data_files_under(workspace, file)
    ]
    if not folders:
        return [plot]
    split = [plot] if len(folders) < len(plot.files) else []
    if split:
        split[0] = replace(plot, files=tuple(file for file in plot.files if file not in folders))
    for folder in folders:
        fields = plot.y_fields(folder)
        for file in _data_files_under(workspace, folder):
            split.append(replace(plot, id=file, files=(file,), y=tuple((file, field) for field in fields), title=None))
    return split


def _as_data_file(workspace: Path, entry: str) -> PlotDef:
    declared = project.find_plot(workspace, entry) if (workspace / project.DVC_YAML).is_file() else None
    if declared is not None and entry in declared.files and len(declared.files) == 1:
        return replace(declared, id=entry)
    path = data.safe_path(workspace, entry)
    if declared is not None and entry in declared.files and not path.exists():
        # One file of a declared plot, not pulled: DVC's to draw (or to explain), with the definition's options.
        own_y = tuple(pair for pair in declared.y if pair[0] == entry)
        return replace(declared, id=entry, files=(entry,), y=own_y, title=None)
    if path.is_file() and path.suffix.lower() in (*data.DATA_SUFFIXES, *IMAGE_SUFFIXES):
        return PlotDef(id=entry, files=(entry,))
    problem = f"'{entry}' is not a CSV/TSV/JSON/YAML data file" if path.is_file() else f"'{entry}' not found"
    raise InputError("plots", problem, "give a data file in the workspace or a plot id from dvc.yaml")


def _with_axes(plot: PlotDef, entry: PlotEntry) -> PlotDef:
    """The entry's x=/y= replace what dvc.yaml or our defaults would pick."""
    if not entry.has_axes:
        return plot
    fields = entry.y or tuple(dict.fromkeys(field for _, field in plot.y))
    return replace(plot, x=entry.x or plot.x, y=tuple((file, field) for file in plot.files for field in fields))


def resolve_plots(workspace: Path, text: str) -> list[PlotDef]:
    """The plots one `plots` entry names (a dvc.yaml plot id, a data file, a folder of data files, or a glob),
    with the entry's own axes when it gives them."""
    entry = parse_entry(text)
    plots = _resolve_target(workspace, entry.target)
    if entry.has_axes:
        _check_axes_apply(workspace, text, plots)
    return [_with_axes(plot, entry) for plot in plots]


def _check_axes_apply(workspace: Path, text: str, plots: list[PlotDef]) -> None:
    """x=/y= are drawn by our own chart only: DVC draws its outputs and templates with dvc.yaml's axes."""
    fix = "declare the axes in dvc.yaml's plots, where DVC reads them"
    if any(plot.template not in spec.OWN_TEMPLATES for plot in plots):
        raise InputError("plots", f"'{text}': x=/y= are for data files drawn as lines or points", fix)
    dvc_outputs = project.dvc_tracked(workspace, [file for plot in plots for file in plot.files])
    if dvc_outputs:
        raise InputError("plots", f"'{text}': x=/y= are for data files in git; {dvc_outputs[0]} is a DVC output", fix)


def _resolve_target(workspace: Path, entry: str) -> list[PlotDef]:
    declared = project.find_plot(workspace, entry) if (workspace / project.DVC_YAML).is_file() else None
    if declared is not None and declared.id.removeprefix("./") == entry.removeprefix(f"{project.DVC_YAML}::"):
        return _split_folders(workspace, declared)
    if not (workspace.resolve() / entry).resolve().is_relative_to(workspace.resolve()):
        raise InputError("plots", f"'{entry}' is outside the workspace", "use files inside the repository")
    if _GLOB_CHARS & set(entry):
        files = [relative_to_repo(workspace, path) for path in resolve_paths(workspace, [entry], "plots")]
        suffixes = (*data.DATA_SUFFIXES, *IMAGE_SUFFIXES)
        return [_as_data_file(workspace, file) for file in files if Path(file).suffix.lower() in suffixes]
    if data.safe_path(workspace, entry).is_dir():
        return _split_folders(workspace, PlotDef(id=entry, files=(entry,)))
    return [_as_data_file(workspace, entry)]


def _points(table: data.Table, x: str, field: str) -> tuple[spec.Point, ...]:
    found = []
    for index, row in enumerate(table.rows):
        x_value, y_value = data.x_value(table, index, x), row.get(field)
        if x_value is not None and isinstance(y_value, float):
            found.append((x_value, y_value))
    return tuple(found)


def _series_for_file(plot: PlotDef, file: str, current: data.Table | None, baseline: data.Table | None,
                     many_files: bool, notes: list[str]) -> list[Series]:  # fmt: skip
    reference = current or baseline
    assert reference is not None
    x = data.pick_x(reference, plot.x)
    if x not in reference.columns and x != data.INDEX_COLUMN:
        notes.append(f"plot '{plot.id}': x column '{x}' not found in {file}")
        return []
    found = []
    for field in data.pick_y(reference, x, plot.y_fields(file)):
        if field not in reference.columns:
            notes.append(f"plot '{plot.id}': column '{field}' not found in {file}")
            continue
        now = _points(current, x, field) if current else ()
        before = _points(baseline, x, field) if baseline else None
        found.append(Series(f"{field} ({file})" if many_files else field, now, before))
    return found


def _stored_baseline(file: str, options: PlotOptions) -> data.Table | None:
    rows = options.stored_rows(file) if options.stored_rows else None
    return data.table_from_rows(rows) if rows else None


def own_chart(workspace: Path, plot: PlotDef, baseline_rev: str | None, options: PlotOptions,
              notes: list[str]) -> tuple[dict[str, Any], str]:  # fmt: skip
    """Our Vega-Lite spec for git-tracked data, and its alt text."""
    series: list[Series] = []
    x_name = plot.x
    for file in plot.files:
        current = data.read_current(workspace, file)
        baseline = data.read_baseline(workspace, baseline_rev, file) if baseline_rev else None
        stored = _stored_baseline(file, options) if baseline_rev and baseline is None else None
        if baseline_rev and stored is not None:
            baseline = stored
            notes.append(f"plot '{plot.id}': the baseline of {file} is the results store's (docs/store.md): git has "
                         f"no such file at {short_rev(baseline_rev)}")  # fmt: skip
        if current is None and baseline is None:
            notes.append(f"plot '{plot.id}': {file} is neither in the working tree nor at the baseline")
            continue
        if current is None:
            notes.append(f"plot '{plot.id}': {file} is missing from the working tree; only the baseline is drawn")
        elif baseline_rev and baseline is None:
            notes.append(f"plot '{plot.id}': {file} did not exist at the baseline {short_rev(baseline_rev)}")
        x_name = x_name or data.pick_x(current or baseline)  # type: ignore[arg-type]
        series += _series_for_file(plot, file, current, baseline, len(plot.files) > 1, notes)
    if not any(one.current or one.baseline for one in series):
        raise CmlError("no numeric data to draw (need an x column and numeric y columns)")
    text = ChartText(
        title=plot.title or plot.id,
        x_label=plot.x_label or x_name or data.INDEX_COLUMN,
        y_label=plot.y_label or (series[0].name if len(series) == 1 else "value"),
        current_label=CURRENT_LABEL,
        baseline_label=f"baseline ({short_rev(baseline_rev)})" if baseline_rev else "baseline",
    )
    return spec.build_spec(series, text, template=plot.template), spec.alt_text(series, text, options.precision)
