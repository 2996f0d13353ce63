"""Fault injection per endpoint, per attempt (same shape as the fake GitHub's `faults`)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "rate_limit_429", "reset", "timeout", "slow", "apply_then_drop", "hook")


@dataclass
class Fault:
    method: str
    path_regex: str
    kind: str
    times: int = 1
    after: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    seen: int = 0  # matching requests so far
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method) and re.search(self.path_regex, path) is not None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.timeout_delay = 1.5

    def add(self, method: str, path_regex: str, kind: str, times: int = 1, after: int = 0, **options: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {KINDS}")
        fault = Fault(method, path_regex, kind, times, after, dict(options))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault that fires on this request, if any (at most one; matched in the order added)."""
        with self._lock:
            chosen: Fault | None = None
            for fault in self._faults:
                if not fault.matches(method, path) or fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if chosen is None and fault.seen > fault.after:
                    fault.fired += 1
                    chosen = fault
            return chosen


Hook = Callable[[Any], None]
