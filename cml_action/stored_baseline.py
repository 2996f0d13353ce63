"""Baselines from stored results (docs/store.md, "Baselines from stored results").

Metrics computed in CI and never committed have no value at the baseline commit in git or DVC. The results store
remembers what the default branch's runs measured, so the baseline is the stored run of the baseline commit, else of
its nearest recorded first-parent ancestor (at most `MAX_WALK` commits back). Git/DVC values always win: the store
only fills what they lack. Cost: one read of the default branch's index, one of the run found (docs/store.md).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action import gitrepo
from cml_action.errors import CmlError
from cml_action.store.model import FlatValues, IndexEntry, Scalar, StoredRun
from cml_action.store.session import RunStore

if TYPE_CHECKING:
    from cml_action.report.diff import MetricsDiff
    from cml_action.report.table import ExtraColumn

MAX_WALK = 50  # first-parent commits looked at from the baseline commit (the index holds `history` runs anyway)

FlatSide = dict[str, Mapping[str, object] | None]  # file -> flat values, None when absent on that side


@dataclass(frozen=True)
class StoredBaseline:
    run: StoredRun
    distance: int  # first-parent commits from the stored run's commit to the baseline commit (0: the same)


class StoredBaselines:
    """The stored run a baseline falls back on, looked up at most once per run and only when a section needs it.
    Thread-safe: the params and metrics sections are built side by side and may both ask."""

    def __init__(self, store: RunStore, workspace: Path, baseline_sha: str | None, *, anchor: str,
                 allow_fetch: bool, max_walk: int = MAX_WALK) -> None:  # fmt: skip
        self._store = store
        self._anchor = anchor  # what the baseline commit is, in the report's words ("the merge base")
        self._workspace = workspace
        self._baseline_sha = baseline_sha
        self._allow_fetch = allow_fetch
        self._max_walk = max_walk
        self._lock = threading.Lock()
        self._done = False
        self._found: StoredBaseline | None = None
        self.warning = ""  # why the store could not be read ("" when it could, or was not needed)

    def find(self) -> StoredBaseline | None:
        with self._lock:
            if not self._done:
                self._done = True
                try:
                    self._found = self._search()
                except CmlError as exc:  # a store that cannot be read only costs the stored baseline
                    self.warning = f"results store not read, so no stored baseline: {exc}"
            return self._found

    def metrics(self) -> FlatValues | None:
        """The stored baseline's metrics (a `StoredLookup`)."""
        found = self.find()
        return found.run.metrics if found else None

    def params(self) -> FlatValues | None:
        found = self.find()
        return found.run.params if found else None

    def plot_rows(self, file: str) -> list[dict[str, Scalar]] | None:
        """A plot data file's rows as the stored baseline run recorded them (None: not recorded)."""
        found = self.find()
        return found.run.plots.get(file) if found else None

    def source_line(self, files: tuple[str, ...]) -> str:
        """The line under a table saying which stored run its baseline values came from ("" when none did)."""
        found = self.find() if files else None
        if found is None:
            return ""
        from cml_action.report.provenance import StoredSource, stored_baseline_line

        run = found.run
        source = StoredSource(run.run_id, run.run_url, run.branch, run.head_sha, found.distance, self._anchor)
        return "\n" + stored_baseline_line(source, files)

    def _search(self) -> StoredBaseline | None:
        store = self._store
        if not self._baseline_sha or not store.default_branch:
            return None
        recorded = {entry.head_sha for entry in store.index(store.default_branch)}
        if not recorded:  # nothing stored yet: no need to walk (or fetch) history at all
            return None
        for distance, sha in enumerate(self._first_parents()):
            if sha in recorded:
                run = store.run(sha)
                return StoredBaseline(run, distance) if run is not None else None
        return None

    def _first_parents(self) -> list[str]:
        """The baseline commit and its first-parent ancestors, nearest first; a shallow clone is deepened once
        (when fetch-baseline allows) if it ends before `max_walk` commits."""
        assert self._baseline_sha is not None
        shas = first_parents(self._workspace, self._baseline_sha, self._max_walk)
        if len(shas) < self._max_walk and self._allow_fetch and gitrepo.is_shallow(self._workspace):
            gitrepo.fetch(self._workspace, deepen=self._max_walk)
            shas = first_parents(self._workspace, self._baseline_sha, self._max_walk)
        return shas


def first_parents(workspace: Path, sha: str, count: int) -> list[str]:
    out = gitrepo.git(workspace, "rev-list", "--first-parent", f"--max-count={count}", "--end-of-options",
                      gitrepo.checked_ref(sha), check=False)  # fmt: skip
    return out.decode().split()


def previous_run(store: RunStore, head_sha: str) -> IndexEntry | None:
    """This pull request's newest recorded run of another commit (the push before this one); None when none."""
    for entry in reversed(store.index(store.index_name)):
        if entry.head_sha != head_sha:
            return entry
    return None


def since_previous_column(store: RunStore, head_sha: str, diff: MetricsDiff, precision: int) -> list[ExtraColumn]:
    """`compare-previous`: the metrics table's column of changes since the previous push ([] without one)."""
    from cml_action.report.provenance import since_previous_cells, since_previous_header

    previous = previous_run(store, head_sha)
    if previous is None:
        return []
    from cml_action.report.table import ExtraColumn

    cells = since_previous_cells(diff.rows, previous.metrics, precision)
    return [ExtraColumn(since_previous_header(previous.head_sha), cells)]


def fill_baseline(baseline: FlatSide, current: Mapping[str, Mapping[str, object] | None],
                  stored: Mapping[str, Mapping[str, object]]) -> tuple[str, ...]:  # fmt: skip
    """Fill, in place, the baseline values git/DVC lack from a stored run; git/DVC values win. A file absent at the
    baseline takes all its stored values (so a metric missing at head still trips its gate); a file present there
    takes only the stored values of metrics this run has and git lacks. Returns the files that took any."""
    used = []
    for path in dict.fromkeys([*current, *baseline]):
        values = stored.get(path)
        if not values:
            continue
        have = baseline.get(path)
        if have is None:
            baseline[path] = dict(values)
            used.append(path)
            continue
        now = current.get(path) or {}
        wanted = {name: value for name, value in values.items() if name in now and name not in have}
        if wanted:
            baseline[path] = {**have, **wanted}
            used.append(path)
    return tuple(used)


def lacks_values(baseline: Mapping[str, Mapping[str, object] | None],
                 current: Mapping[str, Mapping[str, object] | None]) -> bool:  # fmt: skip
    """Whether some file or metric has no baseline value (only then is the store asked)."""
    for path, now in current.items():
        have = baseline.get(path)
        if have is None or (now is not None and any(name not in have for name in now)):
            return True
    return False
