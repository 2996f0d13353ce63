"""Read metric files at both sides: the working tree (current) and the baseline commit.

Git-tracked files are read with `git cat-file` at the baseline; files that are DVC outputs (not in git) are
diffed by DVC itself. The report core gets plain text and returns flat metric dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cml_action import gitrepo, workspace
from cml_action.errors import CmlError, InputError

FlatMetrics = Mapping[str, object]
# The stored baseline's flat metrics (file -> name -> value), asked only when git/DVC lack some (docs/store.md).
StoredLookup = Callable[[], Mapping[str, Mapping[str, object]] | None]
_GLOB_CHARS = frozenset("*?[")  # as workspace.resolve_paths


@dataclass(frozen=True)
class MetricsSides:
    baseline: dict[str, FlatMetrics | None] = field(default_factory=dict)
    current: dict[str, FlatMetrics | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    from_store: tuple[str, ...] = ()  # files whose baseline values (some or all) came from the results store


def metric_patterns(ws: Path, requested: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """The metric paths to read and whether they came from dvc.yaml (`auto`)."""
    if tuple(requested) != ("auto",):
        return tuple(requested), False
    if not (ws / "dvc.yaml").is_file():
        return (), True
    from cml_action.dvc.project import declared_metrics

    return tuple(declared_metrics(ws)), True


def _read_baseline(ws: Path, baseline_sha: str, rel: str) -> tuple[FlatMetrics | None, str, bool]:
    """The baseline's metrics, a warning ("" when none), and whether the file exists at the baseline."""
    from cml_action.report.readers import read_metrics

    data = gitrepo.show_file(ws, baseline_sha, rel)
    if data is None:
        return None, f"metrics file '{rel}' is not in the baseline {baseline_sha[:7]} (new in this change?)", False
    try:
        return read_metrics(rel, data.decode("utf-8-sig")), "", True
    except (CmlError, UnicodeDecodeError) as exc:
        # A broken baseline must not block the current report: show the current values, say why.
        return None, f"baseline {baseline_sha[:7]} of {rel}: {exc}", True


def collect_metrics(ws: Path, requested: Sequence[str], baseline_sha: str | None, *,
                    stored: StoredLookup | None = None) -> MetricsSides:  # fmt: skip
    """Both sides of every metrics file. With `stored`, what git/DVC lack at the baseline commit is taken from the
    stored result (git/DVC values win), and "not in the baseline" warnings of files it had are dropped."""
    patterns, from_dvc_yaml = metric_patterns(ws, requested)
    sides = MetricsSides()
    warnings: list[str] = []
    absent: dict[str, tuple[str, str]] = {}  # file -> its "not in the baseline" warning, and the one it becomes
    dvc_outputs: list[str] = []
    if from_dvc_yaml:
        dvc_outputs = _dvc_outputs(ws, patterns)
    present, missing, named = _split_missing(ws, [pattern for pattern in patterns if pattern not in dvc_outputs])
    paths = workspace.resolve_paths(ws, present, "metrics") if present else ()
    if not from_dvc_yaml:
        # Explicit paths too (`services/classifier/eval/metrics.json`): a DVC output's baseline is in DVC's cache,
        # also when the file is missing at head (training failed): DVC reads the baseline, the gates trip.
        named_paths = [workspace.relative_to_repo(ws, path) for path in paths]
        dvc_outputs = _dvc_outputs(ws, [*named_paths, *missing])
        missing = tuple(rel for rel in missing if rel not in dvc_outputs)
    for path in paths:
        rel = workspace.relative_to_repo(ws, path)
        if rel in dvc_outputs:
            continue
        # The readers pull in PyYAML and TOML parsing: imported only when there is a metrics file (start-up time).
        from cml_action.report.readers import read_metrics

        current = read_metrics(rel, workspace.read_text(path, "metrics", ws))
        if not any(name for name in current):
            # DVC accepts such files silently (a bare scalar becomes a metric named ""); say so instead.
            warnings.append(
                f"metrics file '{rel}' holds no named metrics (expected a mapping of names to values, "
                "or a CSV/TSV header with a row of values)"
            )
        sides.current[rel] = current
        if baseline_sha:
            sides.baseline[rel], warning, found = _read_baseline(ws, baseline_sha, rel)
            if warning and (found or rel in named):  # a glob's new match is expected to be absent there
                warnings.append(warning)
            if not found:
                absent[rel] = (warning, "")
        else:
            # No baseline commit: no value may pose as one (the baseline's own warning says why, once).
            sides.baseline[rel] = None
    for rel in missing:
        warnings.append(_add_missing(ws, rel, baseline_sha, sides))
        if baseline_sha and sides.baseline.get(rel) is None:
            absent[rel] = (warnings[-1], _missing_warning(rel))
    if dvc_outputs:
        warnings += _add_dvc_metrics(ws, dvc_outputs, baseline_sha, sides)
    from_store = _fill_from_store(sides, stored) if baseline_sha and stored else ()
    # The store had what git lacked: a warning that the baseline lacks the file is dropped (or loses that part).
    changed = dict(absent[rel] for rel in from_store if rel in absent)
    kept = tuple(changed.get(warning, warning) for warning in warnings if changed.get(warning, warning))
    return MetricsSides(sides.baseline, sides.current, kept, from_store)


def _fill_from_store(sides: MetricsSides, stored: StoredLookup) -> tuple[str, ...]:
    from cml_action.stored_baseline import fill_baseline, lacks_values

    if not lacks_values(sides.baseline, sides.current):
        return ()  # git/DVC had every value: the store is not read
    values = stored()
    return fill_baseline(sides.baseline, sides.current, values) if values else ()


def _split_missing(ws: Path, patterns: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """Patterns to read; named files (no glob) missing in the working tree; and the named files present (both as
    workspace-relative paths).
    A missing metrics file is data of this run (training failed, `dvc pull` skipped), not bad input: it becomes
    a warning and its baseline is still read, so the table shows what disappeared and its gates trip."""
    present: list[str] = []
    missing: list[str] = []
    named: set[str] = set()
    for pattern in patterns:
        path = None if _GLOB_CHARS & set(pattern) else workspace.resolve_one(ws, pattern, "metrics", must_exist=False)
        if path is None or path.exists() or path.is_symlink():
            present.append(pattern)  # globs matching nothing are left to resolve_paths
            if path is not None and path.is_file():
                named.add(workspace.relative_to_repo(ws, path))
            continue
        try:
            missing.append(workspace.relative_to_repo(ws, path))
        except ValueError:
            raise InputError(
                "metrics", f"'{pattern}' points outside the workspace", "name a file inside the repository checkout"
            ) from None
    return tuple(present), tuple(missing), frozenset(named)


def _add_missing(ws: Path, rel: str, baseline_sha: str | None, sides: MetricsSides) -> str:
    sides.current[rel] = None
    sides.baseline[rel] = None
    warning = _missing_warning(rel)
    if not baseline_sha:
        return warning
    sides.baseline[rel], baseline_warning, found = _read_baseline(ws, baseline_sha, rel)
    if not found:
        return f"{warning} and in the baseline {baseline_sha[:7]}"
    return f"{warning}; {baseline_warning}" if baseline_warning else warning


def _missing_warning(rel: str) -> str:
    return f"metrics file '{rel}' is missing in the working tree (did the pipeline fail, or 'dvc pull' not run?)"


def _dvc_outputs(ws: Path, patterns: Sequence[str]) -> list[str]:
    from cml_action.dvc.project import dvc_tracked

    return list(dvc_tracked(ws, patterns))


def _dvc_root(ws: Path, rel: str) -> Path:
    """The DVC project that owns a metrics file: the nearest folder (from the file up to the workspace) holding
    `.dvc`, so `dvc init --subdir` projects of a monorepo work; else the workspace (DVC looks further up itself)."""
    folder = (ws / rel).parent
    while folder != ws and folder.is_relative_to(ws):
        if (folder / ".dvc").is_dir():
            return folder
        folder = folder.parent
    return ws


def _add_dvc_metrics(ws: Path, paths: list[str], baseline_sha: str | None, sides: MetricsSides) -> list[str]:
    """DVC outputs: `dvc metrics diff` in the DVC project of each file (paths relative to it). Without a baseline
    commit, or without DVC, the working tree's files are read directly: never a baseline DVC made up (HEAD's
    values shown as the baseline)."""
    from cml_action.dvc.metrics import dvc_metrics
    from cml_action.dvc.runner import INSTALL_HINT, find_dvc

    warnings: list[str] = []
    if not baseline_sha or find_dvc() is None:
        present = [rel for rel in paths if (ws / rel).is_file()]
        if baseline_sha and present:
            shown = ", ".join(f"'{rel}'" for rel in present)
            warnings.append(f"metrics {shown}: DVC outputs, but DVC is not installed, so no baseline is shown "
                            f"({INSTALL_HINT})")  # fmt: skip
        for rel in paths:
            if rel in present:
                _add_working_tree_file(ws, rel, sides)
            else:
                warnings.append(_add_missing(ws, rel, None, sides))
        return warnings
    by_root: dict[Path, list[str]] = {}
    for rel in paths:
        by_root.setdefault(_dvc_root(ws, rel), []).append(rel)
    for root, rels in by_root.items():
        prefix = root.relative_to(ws).as_posix() + "/" if root != ws else ""
        result = dvc_metrics(root, baseline_sha, [rel.removeprefix(prefix) for rel in rels])
        for rel in rels:
            sides.baseline[rel] = result.baseline.get(rel.removeprefix(prefix))
            sides.current[rel] = result.current.get(rel.removeprefix(prefix))
        warnings += result.warnings
    return warnings


def _add_working_tree_file(ws: Path, rel: str, sides: MetricsSides) -> None:
    from cml_action.report.readers import read_metrics

    path = workspace.resolve_one(ws, rel, "metrics")
    sides.current[rel] = read_metrics(rel, workspace.read_text(path, "metrics", ws))
    sides.baseline[rel] = None
