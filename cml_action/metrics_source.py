"""Read metric files at both sides: the working tree (current) and the baseline commit.

Git-tracked files are read with `git cat-file` at the baseline; files that are DVC outputs (not in git) are
diffed by DVC itself. The report core gets plain text and returns flat metric dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cml_action import gitrepo, workspace
from cml_action.errors import CmlError

FlatMetrics = Mapping[str, object]


@dataclass(frozen=True)
class MetricsSides:
    baseline: dict[str, FlatMetrics | None] = field(default_factory=dict)
    current: dict[str, FlatMetrics | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def metric_patterns(ws: Path, requested: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """The metric paths to read and whether they came from dvc.yaml (`auto`)."""
    if tuple(requested) != ("auto",):
        return tuple(requested), False
    if not (ws / "dvc.yaml").is_file():
        return (), True
    from cml_action.dvc.project import declared_metrics

    return tuple(declared_metrics(ws)), True


def _read_baseline(ws: Path, baseline_sha: str, rel: str) -> tuple[FlatMetrics | None, str]:
    from cml_action.report.readers import read_metrics

    data = gitrepo.show_file(ws, baseline_sha, rel)
    if data is None:
        return None, ""
    try:
        return read_metrics(rel, data.decode("utf-8-sig")), ""
    except (CmlError, UnicodeDecodeError) as exc:
        # A broken baseline must not block the current report: show the current values, say why.
        return None, f"baseline {baseline_sha[:7]} of {rel}: {exc}"


def collect_metrics(ws: Path, requested: Sequence[str], baseline_sha: str | None) -> MetricsSides:
    patterns, from_dvc_yaml = metric_patterns(ws, requested)
    sides = MetricsSides()
    if from_dvc_yaml:
        existing = tuple(p for p in patterns if (ws / p).exists())
        paths = workspace.resolve_paths(ws, existing, "metrics") if existing else ()
        missing = [p for p in patterns if not (ws / p).exists()]
    else:
        paths = workspace.resolve_paths(ws, patterns, "metrics")
        missing = []
    names = [workspace.relative_to_repo(ws, path) for path in paths]
    dvc_outputs, warnings = _outputs_for_dvc(ws, [*names, *missing], baseline_sha)
    for path, rel in zip(paths, names, strict=True):
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
            sides.baseline[rel], warning = _read_baseline(ws, baseline_sha, rel)
            if warning:
                warnings.append(warning)
        else:
            # No baseline commit: no value may pose as one (the baseline's own warning says why, once).
            sides.baseline[rel] = None
    if dvc_outputs and baseline_sha:
        warnings += _add_dvc_metrics(ws, dvc_outputs, baseline_sha, sides)
    return MetricsSides(sides.baseline, sides.current, tuple(warnings))


def _outputs_for_dvc(ws: Path, rels: Sequence[str], baseline_sha: str | None) -> tuple[list[str], list[str]]:
    """The metrics files DVC must read, and warnings. DVC outputs are not in git: their baseline is in DVC's cache,
    so DVC reads them (explicit paths too). Without a baseline commit, or without DVC, the working tree's files
    are read directly: never a baseline DVC made up (HEAD's values shown as the baseline)."""
    from cml_action.dvc.project import dvc_tracked
    from cml_action.dvc.runner import INSTALL_HINT, find_dvc

    outputs = list(dvc_tracked(ws, rels)) if rels else []
    absent = [path for path in outputs if not (ws / path).exists()]
    if not baseline_sha:
        return [], [f"metrics '{path}': not found in the working tree (did the pipeline run, or 'dvc pull' fail?)"
                    for path in absent]  # fmt: skip
    present = [path for path in outputs if path not in absent]
    if present and find_dvc() is None:
        shown = ", ".join(f"'{path}'" for path in present)
        note = f"metrics {shown}: DVC outputs, but DVC is not installed, so no baseline is shown ({INSTALL_HINT})"
        return absent, [note]
    return outputs, []


def _dvc_root(ws: Path, rel: str) -> Path:
    """The DVC project that owns a metrics file: the nearest folder (from the file up to the workspace) holding
    `.dvc`, so `dvc init --subdir` projects of a monorepo work; else the workspace (DVC looks further up itself)."""
    folder = (ws / rel).parent
    while folder != ws and folder.is_relative_to(ws):
        if (folder / ".dvc").is_dir():
            return folder
        folder = folder.parent
    return ws


def _add_dvc_metrics(ws: Path, paths: list[str], baseline_sha: str, sides: MetricsSides) -> list[str]:
    """Read DVC outputs with `dvc metrics diff`, run in the DVC project of each file (paths relative to it)."""
    from cml_action.dvc.metrics import dvc_metrics

    by_root: dict[Path, list[str]] = {}
    for rel in paths:
        by_root.setdefault(_dvc_root(ws, rel), []).append(rel)
    warnings: list[str] = []
    for root, rels in by_root.items():
        prefix = root.relative_to(ws).as_posix() + "/" if root != ws else ""
        result = dvc_metrics(root, baseline_sha, [rel.removeprefix(prefix) for rel in rels])
        for rel in rels:
            sides.baseline[rel] = result.baseline.get(rel.removeprefix(prefix))
            sides.current[rel] = result.current.get(rel.removeprefix(prefix))
        warnings += result.warnings
    return warnings
