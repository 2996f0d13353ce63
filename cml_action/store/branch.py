"""The one operation the store needs from a forge: update files on a branch with compare-and-swap.

`update(change)` reads the branch tip, calls `change(read)` where `read(path)` returns a file's bytes at that tip
(None when absent), and commits the returned files on that tip only if the branch has not moved; if it moved
(another job wrote first), it reads the new tip and calls `change` again. So `change` must be a pure function of
what it reads: it is how every writer's update lands on top of every other one (nothing is lost), and the branch
only grows by commits (history is never rewritten). A forge implements `BranchFiles`; `MemoryBranch` is the
reference implementation, used by the store's own tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Protocol

Read = Callable[[str], bytes | None]
Change = Callable[[Read], Mapping[str, bytes]]


class BranchFiles(Protocol):
    def read(self, path: str) -> bytes | None:
        """A file at the branch's current tip (None: no such file, or no branch yet). One request."""

    def update(self, message: str, change: Change) -> None:
        """Commit `change(read)` on the tip it read, retried on a new tip when another writer moved the branch.
        An empty mapping commits nothing. Raises CmlError when the forge refuses or the retries run out."""


class MemoryBranch:
    """A branch in memory with the same compare-and-swap rule as the forges (thread-safe). `before_swap` runs
    between computing a change and swapping it in, so tests can make another writer win the race."""

    def __init__(self) -> None:
        self.commits: list[dict[str, bytes]] = []  # every tip's files, oldest first (history only grows)
        self.messages: list[str] = []
        self.lost_races = 0
        self._lock = threading.Lock()
        self.before_swap: Callable[[], None] = lambda: None

    @property
    def files(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self.commits[-1]) if self.commits else {}

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def update(self, message: str, change: Change) -> None:
        while True:
            with self._lock:
                tip = len(self.commits)
                files = dict(self.commits[-1]) if self.commits else {}
            changed = change(files.get)
            if not changed:
                return
            self.before_swap()
            with self._lock:
                if len(self.commits) != tip:  # another writer moved the branch: rebuild on its tip
                    self.lost_races += 1
                    continue
                self.commits.append({**files, **changed})
                self.messages.append(message)
                return
