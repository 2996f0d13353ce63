"""Every DVC plot of a report from ONE `dvc plots diff --json` call (`dvc plots show` without a baseline).

DVC takes seconds to start, so one call for N plots instead of N calls is most of a report's plot time. When a
call reports load errors, DVC may drop every plot from its answer (even ones whose data is there), so the plots it
left out are asked again one by one: the plots that can be drawn are, and each one that cannot gets DVC's own
error as its note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cml_action.dvc.project import DVC_YAML
from cml_action.errors import CmlError
from cml_action.plots.labels import rev_label


@dataclass(frozen=True)
class DvcAnswer:
    """What DVC gave for a set of targets: vega specs and image files by plot key, and its load errors."""

    charts: Mapping[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    images: Mapping[str, Mapping[str, Path]] = field(default_factory=dict)  # image path -> {rev: file}
    errors: tuple[str, ...] = ()  # DVC's own words, one per failed revision/source
    failure: str | None = None  # the call itself failed (DVC's ERROR line)

    def keys_for(self, plot_id: str) -> list[str]:
        """The answer's keys that belong to a plot: its id (with or without `dvc.yaml::`), or files under it."""
        bare = plot_id.removeprefix(f"{DVC_YAML}::").removeprefix("./").rstrip("/")
        found = []
        for key in [*self.charts, *self.images]:
            clean = key.removeprefix(f"{DVC_YAML}::")
            if clean == bare or clean.startswith(bare + "/"):
                found.append(key)
        # A file declared both at the top level and in a stage appears twice (`dvc.yaml::f` and `f`): keep one.
        unique = {key.removeprefix(f"{DVC_YAML}::"): key for key in reversed(found)}
        return sorted(unique.values(), key=found.index)


def _errors(output: Mapping[str, Any]) -> tuple[str, ...]:
    """DVC's load errors, one line per message: which files at which revisions (DVC repeats them per file)."""
    grouped: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for error in output.get("errors") or []:
        if isinstance(error, Mapping):
            sources, revs = grouped.setdefault(str(error.get("msg") or error.get("type")), ({}, {}))
            if error.get("source") or error.get("name"):
                sources[str(error.get("source") or error.get("name"))] = None
            revs[rev_label(str(error.get("rev")))] = None
    found = []
    for message, (sources, revs) in grouped.items():
        where = f"{', '.join(sources)} at " if sources else ""
        found.append(f"{where}{', '.join(revs)}: {message}")
    return tuple(found)


def parse_answer(output: Any) -> DvcAnswer:
    """Split DVC's JSON into specs and images; NaN/Infinity are already parsed (parse_dvc_json)."""
    from cml_action.plots.spec import finite_json

    if not isinstance(output, Mapping):
        return DvcAnswer(failure="DVC printed no JSON object")
    data = output.get("data")
    data = data if isinstance(data, Mapping) else {}
    charts: dict[str, tuple[dict[str, Any], ...]] = {}
    images: dict[str, dict[str, Path]] = {}
    for key, entries in data.items():
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("type") == "vega" and isinstance(entry.get("content"), Mapping):
                charts[str(key)] = (*charts.get(str(key), ()), finite_json(entry["content"]))
            elif entry.get("type") == "image" and isinstance(entry.get("url"), str):
                for rev in entry.get("revisions") or []:
                    images.setdefault(str(key), {})[str(rev)] = Path(entry["url"])
    return DvcAnswer(charts=charts, images=images, errors=_errors(output))


def ask_dvc(workspace: Path, targets: Sequence[str], baseline_rev: str | None, out_dir: Path) -> DvcAnswer:
    """One DVC call for all targets; image plots are copied into out_dir (never into the workspace)."""
    from cml_action.dvc.metrics import parse_dvc_json
    from cml_action.dvc.runner import run_dvc
    from cml_action.gitrepo import checked_ref

    out = ["-o", str(out_dir)]
    # dvc.yaml and inputs are untrusted: a target or revision is never read as an option.
    safe = [f"./{target}" if target.startswith("-") else target for target in targets]
    if baseline_rev:
        args = ["plots", "diff", "--json", *out, checked_ref(baseline_rev), "--targets", *safe]
    else:
        args = ["plots", "show", "--json", *out, *safe]
    try:
        done = run_dvc(workspace, args, what="plots that are DVC outputs or use DVC templates need DVC")
    except CmlError as exc:  # timed out, or DVC vanished: every plot of this call says so, the others go on
        return DvcAnswer(failure=str(exc))
    if done.returncode != 0:
        return DvcAnswer(failure=done.error_line.removeprefix("ERROR:").strip())
    try:
        output = parse_dvc_json(done.stdout)
    except (CmlError, ValueError) as exc:
        return DvcAnswer(failure=f"DVC's answer could not be read ({exc})")
    return parse_answer(output)
