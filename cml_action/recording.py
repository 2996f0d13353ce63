"""Record this run in the results store (docs/store.md) once its report is published.

What is recorded is what the report showed, nothing more: this run's flattened metrics and params, its section
(the report body for its key), the gates' verdict, and where it ran. A default-branch push records under its
branch's index, a pull request run under `pull-<N>`, both by head sha. A run that may not publish (a fork's
read-only token) records nothing. A failed write is one warning: the published report and the exit code stay.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action import workflow
from cml_action.errors import CmlError
from cml_action.forges.base import Published
from cml_action.report.assemble import ReportParts
from cml_action.store.model import Scalar, StoredRun

if TYPE_CHECKING:
    from cml_action.publish import Run
    from cml_action.report.diff import MetricsDiff


def may_record(run: Run) -> bool:
    """Whether this run writes the store: it can publish, or publishes nothing by choice (`send-as: none`) with a
    token that is not a fork's. Runs without a branch (tags, local runs) have no index to record in. A `from-run`
    job publishes a fork's report text, not measured values: it records nothing."""
    if run.store is None or not run.store.index_name or run.settings.from_run:
        return False
    return run.can_publish or (run.settings.send_as == "none" and not run.ctx.is_fork)


def record_results(run: Run, report: ReportParts, check: Published | None) -> None:
    """Write this run's results; a failure is one `::warning::` line and changes nothing else."""
    if run.store is None or not may_record(run):
        return
    stored = stored_run(run, report, check)
    try:
        with workflow.group("Record results"):
            run.store.store.record(stored, run.store.index_name)
            print(f"Recorded {stored.key} at {stored.head_sha[:7]} in the results store ({run.store.index_name})")
    except (CmlError, OSError) as exc:
        workflow.warning(f"results store: this run was not recorded ({exc}); the report is published as usual")


def stored_run(run: Run, report: ReportParts, check: Published | None, *, now: datetime | None = None,
               with_plots: bool = True) -> StoredRun:  # fmt: skip
    """What a run records; `with_plots=False` skips reading the plot data files (a group member keeps none)."""
    from cml_action.publish import gate_verdict

    ctx, parts = run.ctx, run.parts
    verdict = gate_verdict(parts)
    return StoredRun(
        key=ctx.key(run.settings.key),
        head_sha=ctx.head_sha,
        time=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        branch=ctx.branch,
        event=ctx.event,
        pr_number=ctx.pr_number,
        run_id=ctx.run_id,
        run_url=ctx.run_url,
        metrics=current_values(parts.metrics_diff),
        params=current_values(parts.params_diff),
        plots=plot_rows(ctx.workspace, run.settings.plots) if with_plots else {},
        section=section_markdown(report),
        gates=verdict.summary,
        blocking=verdict.blocking,
        check_url=check.url if check else "",
    )


MAX_PLOT_FILES = 20  # a few data files of a few hundred rows each: the document stays small
MAX_PLOT_ROWS = 1000


def plot_rows(workspace: Path, entries: Sequence[str]) -> dict[str, list[dict[str, Scalar]]]:
    """The working tree's rows of the plot data files the report drew (file -> rows, the first `MAX_PLOT_ROWS`).
    Files that cannot be read are left out: the plots section already said why."""
    if not entries:
        return {}
    from cml_action.plots import collect, data

    rows: dict[str, list[dict[str, Scalar]]] = {}
    for entry in entries:
        try:
            files = [file for plot in collect.resolve_plots(workspace, entry) for file in plot.files]
        except (CmlError, OSError, ValueError):
            continue
        for file in files:
            if file in rows or len(rows) >= MAX_PLOT_FILES or Path(file).suffix.lower() not in data.DATA_SUFFIXES:
                continue
            try:
                table = data.read_current(workspace, file)
            except (CmlError, OSError):
                continue
            if table is not None:
                rows[file] = [{column: _scalar(value) for column, value in row.items()}
                              for row in table.rows[:MAX_PLOT_ROWS]]  # fmt: skip
    return rows


def section_markdown(report: ReportParts) -> str:
    """The report's body for this key: without its heading, footer or marker (a group comment adds its own)."""
    from cml_action.report.assemble import assemble

    body = assemble(replace(report, head_sha=None, baseline_sha=None, run_url=None, key=None))
    return body.partition("\n\n")[2].strip("\n")


def current_values(diff: MetricsDiff | None, *, baseline: bool = False) -> dict[str, dict[str, Scalar]]:
    """This run's side of a table (or the baseline's) as file -> flat name -> value, as JSON holds it: scalars
    only, a non-finite number as its text ('nan', 'inf'), which JSON has not; a metric missing there is left out."""
    values: dict[str, dict[str, Scalar]] = {}
    for row in diff.rows if diff else ():
        value = row.old if baseline else row.new
        if value is not None and _is_scalar(value):
            values.setdefault(row.path, {})[row.metric] = _scalar(value)
    return values


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalar(value: object) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value  # type: ignore[return-value]  # checked by _is_scalar
