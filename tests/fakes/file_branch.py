"""A store branch in a folder, shared by processes (test only): the same compare-and-swap rule as `MemoryBranch`
and the forges (a writer whose tip moved rebuilds on the new one), with a file lock around the swap. The matrix
process tests use it while a forge has no store backend of its own (`results_branch`); see tests/fakes/store_hook."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import random
import time
from pathlib import Path

from cml_action.store.branch import Change


class FileBranch:
    def __init__(self, folder: Path) -> None:
        self._state = folder / "branch.json"
        self._lock = folder / "branch.lock"
        folder.mkdir(parents=True, exist_ok=True)

    def _load(self) -> tuple[int, dict[str, bytes]]:
        try:
            data = json.loads(self._state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0, {}
        return int(data["commits"]), {path: base64.b64decode(raw) for path, raw in data["files"].items()}

    def read(self, path: str) -> bytes | None:
        return self._load()[1].get(path)

    def update(self, message: str, change: Change) -> None:
        while True:
            tip, files = self._load()
            changed = change(files.get)
            if not changed:
                return
            time.sleep(random.uniform(0, 0.02))  # a forge's round trip: other writers get in between
            with self._lock.open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if self._load()[0] != tip:
                    continue  # another writer moved the branch: rebuild on its tip
                merged = {**files, **changed}
                state = {"commits": tip + 1, "files": {p: base64.b64encode(b).decode() for p, b in merged.items()}}
                temporary = self._state.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_text(json.dumps(state), encoding="utf-8")
                os.replace(temporary, self._state)  # readers see the old or the new tip, never half of one
                return
