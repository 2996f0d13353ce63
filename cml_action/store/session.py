"""The store as one run sees it: opened once by the pipeline, handed to the parts that read or write it.

Reads are cached for the run (each document is fetched at most once), so the baseline, the trends and the
previous-run column together cost one read of each index they use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cml_action.context import RunContext
from cml_action.forges.base import Forge, KeepsResults
from cml_action.inputs import Settings
from cml_action.store import layout
from cml_action.store.model import IndexEntry, StoredRun
from cml_action.store.records import ResultStore


@dataclass
class RunStore:
    store: ResultStore
    key: str  # this run's report key (expanded)
    index_name: str  # where this run records: its branch, or `pull-<N>` on a pull request
    default_branch: str  # whose index holds the trends and the base branch's recorded runs ("" unknown)
    _indexes: dict[str, list[IndexEntry]] = field(default_factory=dict)
    _runs: dict[str, StoredRun | None] = field(default_factory=dict)
    # Sections are built on threads (render_parts): the trends and the stored baseline may ask for the same index
    # at once, and it must still be read once.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def index(self, index_name: str) -> list[IndexEntry]:
        """This key's runs on a branch (or pull request), oldest first; read once per run."""
        with self._lock:
            if index_name not in self._indexes:
                self._indexes[index_name] = self.store.index(self.key, index_name) if index_name else []
            return self._indexes[index_name]

    def run(self, head_sha: str) -> StoredRun | None:
        """This key's stored run at a commit; read once per run."""
        with self._lock:
            if head_sha not in self._runs:
                self._runs[head_sha] = self.store.run(self.key, head_sha)
            return self._runs[head_sha]


def open_store(settings: Settings, ctx: RunContext, forge: Forge) -> RunStore | None:
    """The run's store, or None when `store: off` or the forge keeps no results."""
    if settings.store == "off" or not isinstance(forge, KeepsResults):
        return None
    store = ResultStore(forge.results_branch(), history=settings.history)
    return RunStore(store, ctx.key(settings.key), layout.index_name(ctx.branch, ctx.pr_number), ctx.default_branch)
