"""`plots` input: resolve each entry (data file or dvc.yaml plot), gather current and baseline data, render PNGs.

Git-tracked data is read directly (working tree + `git show` at the baseline) and drawn with our own chart, so
every plot looks the same. Data that is a DVC output (not in git), or a dvc.yaml plot with a template we do not
draw ourselves (confusion, bar…), comes from `dvc plots diff --json`, whose Vega-Lite specs render as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cml_action.dvc import project
from cml_action.dvc.project import PlotDef
from cml_action.errors import CmlError, InputError
from cml_action.plots import data, render, spec
from cml_action.plots.spec import ChartText, Series
from cml_action.workspace import inside, relative_to_repo, resolve_paths

CURRENT_LABEL = "current"
DVC_HINT = "pip install 'cml-action[dvc]' or use the cml-action image"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class RenderedPlot:
    path: Path  # the PNG in out_dir
    title: str
    alt: str
    notes: tuple[str, ...] = ()  # things the reader should know (baseline missing, a column not found…)


@dataclass(frozen=True)
class PlotOptions:
    precision: int = 5
    scale: float = render.DEFAULT_SCALE


def short_rev(rev: str) -> str:
    return rev[:7] if re.fullmatch(r"[0-9a-f]{40}", rev) else rev


def _data_files_under(workspace: Path, folder: str) -> list[str]:
    """Data files inside a plots folder (DVC draws one plot per file, e.g. dvclive/plots/metrics), sorted."""
    root = data.safe_path(workspace, folder)
    found = sorted(path for path in root.rglob("*") if path.is_file() and path.suffix.lower() in data.DATA_SUFFIXES)
    # A symlink inside the folder may point anywhere: only files that really are in the workspace count.
    return [path.relative_to(workspace.resolve()).as_posix() for path in found if inside(workspace, path)]


def _split_folders(workspace: Path, plot: PlotDef) -> list[PlotDef]:
    """A plot over a folder becomes one plot per data file in it, keeping the definition's options."""
    folders = [file for file in plot.files if data.safe_path(workspace, file).is_dir()]
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
    if path.is_file() and path.suffix.lower() in data.DATA_SUFFIXES:
        return PlotDef(id=entry, files=(entry,))
    problem = f"'{entry}' is not a CSV/TSV/JSON/YAML data file" if path.is_file() else f"'{entry}' not found"
    raise InputError("plots", problem, "give a data file in the workspace or a plot id from dvc.yaml")


def resolve_plots(workspace: Path, entry: str) -> list[PlotDef]:
    """The plots one `plots` entry names: a dvc.yaml plot id, a data file, a folder of data files, or a glob."""
    declared = project.find_plot(workspace, entry) if (workspace / project.DVC_YAML).is_file() else None
    if declared is not None and declared.id.removeprefix("./") == entry.removeprefix(f"{project.DVC_YAML}::"):
        return _split_folders(workspace, declared)
    if not (workspace.resolve() / entry).resolve().is_relative_to(workspace.resolve()):
        raise InputError("plots", f"'{entry}' is outside the workspace", "use files inside the repository")
    if _GLOB_CHARS & set(entry):
        files = [relative_to_repo(workspace, path) for path in resolve_paths(workspace, [entry], "plots")]
        return [_as_data_file(workspace, file) for file in files if Path(file).suffix.lower() in data.DATA_SUFFIXES]
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
    found = []
    for field in data.pick_y(reference, x, plot.y_fields(file)):
        if field not in reference.columns:
            notes.append(f"plot '{plot.id}': column '{field}' not found in {file}")
            continue
        now = _points(current, x, field) if current else ()
        before = _points(baseline, x, field) if baseline else None
        found.append(Series(f"{field} ({file})" if many_files else field, now, before))
    return found


def _own_chart(workspace: Path, plot: PlotDef, baseline_rev: str | None, options: PlotOptions,
               notes: list[str]) -> tuple[dict[str, Any], str]:  # fmt: skip
    """Our Vega-Lite spec for git-tracked data, and its alt text."""
    series: list[Series] = []
    x_name = plot.x
    for file in plot.files:
        current = data.read_current(workspace, file)
        baseline = data.read_baseline(workspace, baseline_rev, file) if baseline_rev else None
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
        raise CmlError(f"plot '{plot.id}': no numeric data to draw (need an x column and numeric y columns)")
    text = ChartText(
        title=plot.title or plot.id,
        x_label=plot.x_label or x_name or data.INDEX_COLUMN,
        y_label=plot.y_label or (series[0].name if len(series) == 1 else "value"),
        current_label=CURRENT_LABEL,
        baseline_label=f"baseline ({short_rev(baseline_rev)})" if baseline_rev else "baseline",
    )
    return spec.build_spec(series, text, template=plot.template), spec.alt_text(series, text, options.precision)


def _drawable(plot: PlotDef) -> bool:
    """Templates our own chart reproduces; others (confusion, bar_horizontal, custom files) are DVC's job."""
    return plot.template in spec.LINE_TEMPLATES or plot.template in spec.SCATTER_TEMPLATES


def _needs_dvc(workspace: Path, plot: PlotDef) -> bool:
    return not _drawable(plot) or bool(project.dvc_tracked(workspace, plot.files))


def _dvc_specs(workspace: Path, plot: PlotDef, baseline_rev: str | None,
               notes: list[str]) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
    """(title, Vega-Lite spec) pairs from `dvc plots diff --json` (or `show` without a baseline)."""
    from cml_action.dvc.metrics import parse_dvc_json
    from cml_action.dvc.runner import run_dvc

    target = f"./{plot.id}" if plot.id.startswith("-") else plot.id  # dvc.yaml is untrusted: never an option
    args = ["plots", "diff", "--json", baseline_rev, "--targets", target] if baseline_rev else [
        "plots", "show", "--json", target]  # fmt: skip
    done = run_dvc(workspace, args, what=f"plot '{plot.id}' needs DVC (its data is a DVC output or template)")
    if done.returncode != 0:
        raise CmlError(f"dvc plots failed for '{plot.id}': {done.error_line.removeprefix('ERROR:').strip()}")
    output = parse_dvc_json(done.stdout)  # DVC writes bare NaN/Infinity: parsed here, dropped by finite_json
    for error in (output.get("errors") or []) if isinstance(output, Mapping) else []:
        if isinstance(error, Mapping):
            notes.append(
                f"plot '{plot.id}': DVC could not load {error.get('source') or error.get('name')} at "
                f"{short_rev(str(error.get('rev')))} ({error.get('msg') or error.get('type')}; try 'dvc pull')"
            )
    found = []
    plots = output.get("data") if isinstance(output, Mapping) else None
    plots = plots if isinstance(plots, Mapping) else {}
    bare = target.removeprefix(f"{project.DVC_YAML}::")
    keys = [key for key in plots if str(key).removeprefix(f"{project.DVC_YAML}::") == bare]
    # A file declared both at the top level and in a stage appears twice (`dvc.yaml::f` and `f`): draw it once.
    for plot_id in [target] if target in keys else keys[:1]:
        entries = plots[plot_id]
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and entry.get("type") == "vega" and isinstance(entry.get("content"), dict):
                found.append((plot.title or str(plot_id), spec.finite_json(entry["content"])))
    if not found:
        raise CmlError(f"DVC returned no chart for plot '{plot.id}' (is it declared in dvc.yaml?)")
    return found


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "plot"
    name, counter = base, 1
    while name in taken:
        counter += 1
        name = f"{base}-{counter}"
    taken.add(name)
    return name


def _charts(workspace: Path, plot: PlotDef, baseline_rev: str | None, options: PlotOptions,
            notes: list[str]) -> list[tuple[str, dict[str, Any], str]]:  # fmt: skip
    """(title, spec, alt) for one plot entry."""
    if _needs_dvc(workspace, plot):
        from cml_action.dvc.runner import find_dvc

        if find_dvc() is not None:
            pairs = _dvc_specs(workspace, plot, baseline_rev, notes)
            return [(title, chart, f"{title} (DVC plot)") for title, chart in pairs]
        if not _drawable(plot):
            raise CmlError(f"plot '{plot.id}' uses DVC's '{plot.template}' template, which needs DVC "
                           f"({DVC_HINT})")  # fmt: skip
        notes.append(
            f"plot '{plot.id}': its data is a DVC output and DVC is not installed ({DVC_HINT}); "
            "drawn from the working tree without the baseline"
        )
        baseline_rev = None
    chart, alt = _own_chart(workspace, plot, baseline_rev, options, notes)
    return [(plot.title or plot.id, chart, alt)]


def render_plots(workspace: Path, specs: Sequence[str], baseline_rev: str | None, out_dir: Path, *,
                 precision: int = 5, scale: float = render.DEFAULT_SCALE) -> tuple[RenderedPlot, ...]:  # fmt: skip
    """Render every `plots` entry to PNG files in out_dir, baseline and current in one chart each."""
    options = PlotOptions(precision=precision, scale=scale)
    # Resolve everything first: a bad entry fails before anything is rendered.
    plots = [plot for entry in specs for plot in resolve_plots(workspace, entry)]
    out_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    rendered = []
    for plot in plots:
        notes: list[str] = []
        for title, chart, alt in _charts(workspace, plot, baseline_rev, options, notes):
            path = out_dir / f"{_slug(title, taken)}.png"
            path.write_bytes(render.vegalite_png(chart, scale=options.scale))
            rendered.append(RenderedPlot(path=path, title=title, alt=alt, notes=tuple(notes)))
    return tuple(rendered)
