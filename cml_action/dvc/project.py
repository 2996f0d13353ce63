"""What a DVC project declares, read from `dvc.yaml` / `dvc.lock` with PyYAML (DVC itself is not imported).

Formats follow DVC 3 (https://dvc.org/doc/user-guide/project-structure/dvcyaml-files):
- top-level `metrics:` is a list of paths; stage `metrics:` is a list of outputs, each a path or `{path: {cache: …}}`;
- top-level `plots:` is a list of paths or `{id: {x, y, template, title, x_label, y_label}}` where `y` may map
  data files to fields; stage `plots:` is a list of outputs `{path: {cache, x, y, template, …}}`.
Templated paths (`${item}` in foreach/matrix stages) are matched against the expanded outputs in dvc.lock.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from cml_action import gitrepo
from cml_action.errors import CmlError
from cml_action.workspace import MAX_TEXT_BYTES, UnreadableFile, inside, read_regular

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"
DEFAULT_PARAMS_FILE = "params.yaml"  # DVC's ParamsDependency.DEFAULT_PARAMS_FILE
_TEMPLATE_VAR = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class PlotDef:
    """One plot declared in dvc.yaml. `y` pairs each data file with a field to draw from it."""

    id: str
    files: tuple[str, ...]
    x: str | None = None
    y: tuple[tuple[str, str], ...] = ()
    template: str | None = None
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None

    def y_fields(self, file: str) -> tuple[str, ...]:
        return tuple(field for source, field in self.y if source == file)


def _load_yaml(path: Path) -> Any:
    # dvc.yaml / dvc.lock come from the (possibly fork-controlled) checkout: never read through a symlink out of it.
    if not path.is_file() or not inside(path.parent, path):
        return None
    try:
        data = read_regular(path, MAX_TEXT_BYTES)
    except UnreadableFile as exc:
        raise CmlError(f"{path.name} {exc.problem} ({exc.fix})", file=path.name) from None
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CmlError(
            f"{path.name} is not valid YAML ({getattr(exc, 'problem', None) or exc})",
            file=path.name,
            line=mark.line + 1 if mark is not None else None,
        ) from None


def _stages(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    stages = document.get("stages")
    if not isinstance(stages, Mapping):
        return []
    found: list[Mapping[str, Any]] = []
    for stage in stages.values():
        if isinstance(stage, Mapping):
            # foreach/matrix stages keep their outputs under `do:`
            body = stage.get("do")
            found.append(body if isinstance(body, Mapping) else stage)
    return found


def _entries(items: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Normalise a dvc.yaml list of `path` or `{path: {options}}` into (path, options) pairs."""
    if isinstance(items, Mapping):  # tolerate the dict form some older projects use
        items = [{key: value} for key, value in items.items()]
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, str):
            yield item, {}
        elif isinstance(item, Mapping):
            for key, options in item.items():
                yield str(key), options if isinstance(options, Mapping) else {}


def _normalise(path: str) -> str:
    return str(PurePosixPath(path.strip().removeprefix("./")))


def outputs_in_lock(document: Any) -> tuple[str, ...]:
    """Every output path recorded in a parsed dvc.lock (cached or not), in file order."""
    found: list[str] = []
    for stage in _stages(document):
        for out in stage.get("outs") or []:
            if isinstance(out, Mapping) and isinstance(out.get("path"), str):
                found.append(_normalise(out["path"]))
    return tuple(found)


def lock_outputs(workspace: Path) -> tuple[str, ...]:
    return outputs_in_lock(_load_yaml(workspace / DVC_LOCK))


def lock_outputs_at(workspace: Path, rev: str) -> tuple[str, ...]:
    """Outputs in dvc.lock as committed at `rev` (empty when it has none or it does not parse)."""
    blob = gitrepo.show_file(workspace, rev, DVC_LOCK)
    if blob is None:
        return ()
    try:
        return outputs_in_lock(yaml.safe_load(blob.decode("utf-8", errors="replace")))
    except yaml.YAMLError:
        return ()


def _expand_templates(paths: Sequence[str], workspace: Path) -> list[str]:
    """Replace `${…}` paths by the matching expanded outputs in dvc.lock (DVC resolves them at repro time)."""
    if not any(_TEMPLATE_VAR.search(path) for path in paths):
        return list(paths)
    outputs = lock_outputs(workspace)
    expanded: list[str] = []
    for path in paths:
        if _TEMPLATE_VAR.search(path):
            pattern = _TEMPLATE_VAR.sub("*", path)
            expanded.extend(out for out in outputs if fnmatch.fnmatchcase(out, pattern))
        else:
            expanded.append(path)
    return expanded


def _unique(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(paths))


def declared_metrics(workspace: Path) -> tuple[str, ...]:
    """Metric files declared in dvc.yaml (top-level list first, then stage outputs), deduplicated, in order."""
    document = _load_yaml(workspace / DVC_YAML)
    if not isinstance(document, Mapping):
        return ()
    paths = [_normalise(path) for path, _ in _entries(document.get("metrics"))]
    for stage in _stages(document):
        paths.extend(_normalise(path) for path, _ in _entries(stage.get("metrics")))
    return _unique(_expand_templates(paths, workspace))


def tracked_params(document: Any) -> dict[str, list[str]]:
    """params file -> tracked key paths (`[]`: the whole file) of one parsed dvc.yaml: every stage's `params:`
    (a bare key is one of params.yaml) and the top-level `params:` files, merged like DVC's `_merge_params`."""
    entries: list[tuple[str, list[str]]] = []
    if isinstance(document, Mapping):
        top = document.get("params")
        entries += [(_normalise(str(file)), []) for file in (top if isinstance(top, list) else [])]
    for stage in _stages(document):
        for item in stage.get("params") or []:
            if isinstance(item, str):
                entries.append((DEFAULT_PARAMS_FILE, [item]))
            elif isinstance(item, Mapping):
                for file, keys in item.items():
                    names = [str(key) for key in keys] if isinstance(keys, list) else []
                    entries.append((_normalise(str(file)), names))
    whole = {file for file, keys in entries if not keys}
    tracked: dict[str, list[str]] = {}
    for file, keys in entries:
        tracked.setdefault(file, [])
        if file not in whole:
            tracked[file] += keys
    return tracked


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else None


def _y_pairs(y: Any, default_files: Sequence[str]) -> tuple[tuple[str, str], ...]:
    if isinstance(y, Mapping):
        pairs: list[tuple[str, str]] = []
        for file, fields in y.items():
            names = fields if isinstance(fields, list) else [fields]
            pairs.extend((_normalise(str(file)), str(name)) for name in names if _text(name) is not None)
        return tuple(pairs)
    names = y if isinstance(y, list) else ([y] if _text(y) is not None else [])
    return tuple((file, str(name)) for file in default_files for name in names)


def _x_field(x: Any) -> str | None:
    if isinstance(x, Mapping):  # {file: field}; DVC allows one x per file, we draw them on one axis
        values = [_text(value) for value in x.values()]
        return next((value for value in values if value), None)
    return _text(x)


def _plot_def(plot_id: str, options: Mapping[str, Any]) -> PlotDef:
    y = options.get("y")
    default_files = () if isinstance(y, Mapping) else (_normalise(plot_id),)
    pairs = _y_pairs(y, default_files)
    files = _unique([file for file, _ in pairs] or list(default_files))
    return PlotDef(
        id=plot_id,
        files=files,
        x=_x_field(options.get("x")),
        y=pairs,
        template=_text(options.get("template")),
        title=_text(options.get("title")),
        x_label=_text(options.get("x_label")),
        y_label=_text(options.get("y_label")),
    )


def declared_plots(workspace: Path) -> tuple[PlotDef, ...]:
    """Plots declared in dvc.yaml: top-level definitions first, then stage plot outputs."""
    document = _load_yaml(workspace / DVC_YAML)
    if not isinstance(document, Mapping):
        return ()
    plots = [_plot_def(plot_id, options) for plot_id, options in _entries(document.get("plots"))]
    for stage in _stages(document):
        for path, options in _entries(stage.get("plots")):
            for expanded in _expand_templates([_normalise(path)], workspace):
                plots.append(_plot_def(expanded, options))
    return tuple(plots)


def find_plot(workspace: Path, spec: str) -> PlotDef | None:
    """The dvc.yaml plot a `plots` entry names: by id (also DVC's `dvc.yaml::id` form), else by data file."""
    wanted = spec.removeprefix(f"{DVC_YAML}::")
    plots = declared_plots(workspace)
    for plot in plots:
        if plot.id == wanted or _normalise(plot.id) == _normalise(wanted):
            return plot
    return next((plot for plot in plots if _normalise(wanted) in plot.files), None)


def _cached_stage_outputs(workspace: Path) -> set[str]:
    """Stage outs/metrics/plots without `cache: false`: DVC stores them in its cache, not in git."""
    document = _load_yaml(workspace / DVC_YAML)
    cached: set[str] = set()
    for stage in _stages(document):
        for section in ("outs", "metrics", "plots"):
            for path, options in _entries(stage.get(section)):
                if options.get("cache", True) is not False:
                    cached.update(_expand_templates([_normalise(path)], workspace))
    return cached


def _ignored_by_dvc(workspace: Path, path: str) -> bool:
    """DVC writes `/name` into the output's directory .gitignore when it caches an output."""
    relative = PurePosixPath(path)
    gitignore = workspace / relative.parent / ".gitignore"
    if not gitignore.is_file():
        return False
    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return f"/{relative.name}" in (line.strip() for line in lines)


def git_tracked(workspace: Path, paths: Sequence[str]) -> frozenset[str]:
    """The subset of `paths` that git tracks (in the index)."""
    if not paths:
        return frozenset()
    out = gitrepo.git(workspace, "ls-files", "-z", "--full-name", "--", *paths, check=False)
    listed = {_normalise(name) for name in out.decode(errors="replace").split("\0") if name}
    return frozenset(path for path in paths if _normalise(path) in listed)


def _is_dvc_out(workspace: Path, path: str, cached: set[str]) -> bool:
    return path in cached or (workspace / f"{path}.dvc").is_file() or _ignored_by_dvc(workspace, path)


def dvc_tracked(workspace: Path, paths: Sequence[str]) -> tuple[str, ...]:
    """Which of `paths` are DVC outputs rather than git files: cached by DVC and not in `git ls-files`.

    A path counts as a DVC output when a dvc.yaml stage caches it (or a folder holding it), when `<path>.dvc`
    exists (`dvc add`), or when DVC's own `.gitignore` entry for it exists (outputs of dvc.yaml files in
    subfolders).
    """
    if not paths:
        return ()
    in_git = git_tracked(workspace, paths)
    cached = _cached_stage_outputs(workspace)
    found = []
    for path in paths:
        normal = _normalise(path)
        if path in in_git:
            continue
        owners = [normal, *(str(parent) for parent in PurePosixPath(normal).parents if str(parent) != ".")]
        if any(_is_dvc_out(workspace, owner, cached) for owner in owners):
            found.append(path)
    return tuple(found)


def is_dvc_output(workspace: Path, path: str) -> bool:
    """One path's answer of `dvc_tracked` (prefer `dvc_tracked` for many paths: one `git ls-files` call)."""
    return bool(dvc_tracked(workspace, [path]))
