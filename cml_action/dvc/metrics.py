"""Metrics of DVC-tracked files (DVC outputs, not in git), taken from `dvc metrics diff --json --all`.

Both sides come out in the report core's shape: path -> flat {metric: value} (DVC already flattens nested keys
as `a.b`), or None when the file is absent on that side. DVC fails silently in several ways (observed with
DVC 3.67): a value of `null` plus one stderr line "DVC failed to load some metrics for following revisions:
'<rev>'" when the baseline's cache is missing or a file does not parse, and a bare `{}` when nothing loads.
Each of those becomes a warning the report shows, so a table is never silently empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cml_action import gitrepo
from cml_action.dvc import project
from cml_action.dvc.runner import INSTALL_HINT, DvcNotInstalled, run_dvc
from cml_action.errors import CmlError

FlatMetrics = Mapping[str, object]
Side = Mapping[str, FlatMetrics | None]

_FAILED_REVS = re.compile(r"failed to load some metrics for following revisions: '([^']*)'")
WORKSPACE = "workspace"  # DVC's name for the working tree


@dataclass(frozen=True)
class DvcMetricsResult:
    baseline: Side = field(default_factory=dict)
    current: Side = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def _short(rev: str) -> str:
    return rev[:7] if re.fullmatch(r"[0-9a-f]{40}", rev) else rev


def parse_dvc_json(text: str) -> Any:
    """DVC prints bare NaN/Infinity (Python's json.dumps); Python's json reads them back as floats."""
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise CmlError(f"could not read DVC's JSON output ({exc.msg} at line {exc.lineno})") from None


def failed_revisions(stderr: str) -> frozenset[str]:
    """Revisions DVC says it could not load metrics for ('workspace' is the working tree)."""
    found: set[str] = set()
    for match in _FAILED_REVS.finditer(stderr):
        found.update(rev.strip() for rev in match.group(1).split(",") if rev.strip())
    return frozenset(found)


def _side_values(diff: Mapping[str, Any], path: str, key: str) -> dict[str, object] | None:
    metrics = diff.get(path)
    if not isinstance(metrics, Mapping):
        return None
    values = {name: change.get(key) for name, change in metrics.items() if isinstance(change, Mapping)}
    present = {name: value for name, value in values.items() if value is not None}
    return present or None


def _declared_at(workspace: Path, rev: str, path: str) -> bool:
    """Whether the baseline knew this file at all: an output in its dvc.lock, or committed to git."""
    outputs = project.lock_outputs_at(workspace, rev)
    # An output may be the folder holding the file (`outs: - eval` with eval/metrics.json inside), as in
    # example-get-started.
    if any(path == out or path.startswith(out.rstrip("/") + "/") for out in outputs):
        return True
    return gitrepo.show_file(workspace, rev, path) is not None


def _baseline_warning(rev: str, paths: Sequence[str]) -> str | None:
    """ONE line for every file whose baseline DVC could not load (the reason is the same for all of them)."""
    if not paths:
        return None
    shown, it = ", ".join(f"'{path}'" for path in paths), "it" if len(paths) == 1 else "them"
    return (
        f"metrics {shown}: DVC could not load {it} at the baseline {_short(rev)} (not in the DVC cache or "
        "remote? run 'dvc pull' first, or check the remote credentials); baseline values are missing"
    )


def _current_warning(workspace: Path, path: str) -> str:
    if not (workspace / path).exists():
        return f"metrics '{path}': not found in the working tree (did the pipeline run, or 'dvc pull' fail?)"
    return f"metrics '{path}': DVC could not read it in the working tree (is it valid JSON/YAML/TOML/CSV?)"


def interpret_diff(
    workspace: Path, baseline_rev: str, paths: Sequence[str], stdout: str, stderr: str
) -> DvcMetricsResult:
    """Turn `dvc metrics diff --json --all` output (and its stderr) into both sides plus warnings."""
    diff = parse_dvc_json(stdout)
    if not isinstance(diff, Mapping):
        diff = {}
    failed = failed_revisions(stderr)
    baseline: dict[str, FlatMetrics | None] = {}
    current: dict[str, FlatMetrics | None] = {}
    warnings: list[str] = []
    no_baseline: list[str] = []
    for path in paths:
        baseline[path] = _side_values(diff, path, "old")
        current[path] = _side_values(diff, path, "new")
        # A metrics file new in this change: absent at the baseline is the truth, not a failure.
        failed_at_baseline = baseline[path] is None and (failed - {WORKSPACE} or not diff)
        if failed_at_baseline and _declared_at(workspace, baseline_rev, path):
            no_baseline.append(path)
        if current[path] is None:
            warnings.append(_current_warning(workspace, path))
    note = _baseline_warning(baseline_rev, no_baseline)
    warnings = [note, *warnings] if note else warnings
    if not diff and paths and not warnings:
        warnings.append("DVC returned no metrics at all for " + ", ".join(f"'{p}'" for p in paths))
    return DvcMetricsResult(baseline, current, tuple(dict.fromkeys(warnings)))


def not_installed_result(paths: Sequence[str]) -> DvcMetricsResult:
    empty: dict[str, FlatMetrics | None] = {path: None for path in paths}
    warnings = tuple(f"metrics '{path}' is a DVC output but DVC is not installed ({INSTALL_HINT})" for path in paths)
    return DvcMetricsResult(dict(empty), dict(empty), warnings)


def _target(path: str) -> str:
    # dvc.yaml is the pull request's file: a path like `--cd=/` must stay a path, not become a DVC option.
    return f"./{path}" if path.startswith("-") else path


def dvc_metrics(workspace: Path, baseline_rev: str, paths: Sequence[str]) -> DvcMetricsResult:
    """Baseline and current values of DVC-tracked metric files, with DVC's silent failures as warnings."""
    if not paths:
        return DvcMetricsResult()
    # `--targets` takes the rest of the line, so the revision goes first; `--all` keeps unchanged metrics
    # (the report core decides what to show).
    args = ["metrics", "diff", "--json", "--all", gitrepo.checked_ref(baseline_rev), "--targets", *map(_target, paths)]
    try:
        done = run_dvc(workspace, args, what=f"metrics '{paths[0]}' is a DVC output")
    except DvcNotInstalled:
        return not_installed_result(paths)
    if done.returncode != 0:
        detail = done.error_line.removeprefix("ERROR:").strip()
        return DvcMetricsResult(
            {path: None for path in paths},
            {path: None for path in paths},
            (f"dvc metrics diff failed: {detail}",),
        )
    return interpret_diff(workspace, baseline_rev, paths, done.stdout, done.stderr)
