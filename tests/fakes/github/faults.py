"""Fault injection per endpoint and per attempt (see README.md for what each kind does)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "status",
    "rate_limit_429",
    "secondary_rate_limit",
    "reset",
    "timeout",
    "slow",
    "apply_then_drop",
    "non_fast_forward",
    "hook",
]
KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID "
)


@dataclass
class Fault:
    method: str
    path_regex: str
    kind: str
    times: int = 1
    after: int = 0
    status: int = 502
    retry_after: int = 1
    delay: float | None = None
    hook: Callable[[Any], None] | None = None
    seen: int = 0  # matching requests so far (fired or let through)
    fired: int = 0
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.kind == "hook" and self.hook is None:
            raise ValueError("a 'hook' fault needs hook=callable")
        self.pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and self.pattern.search(path) is not None

    @property
    def spent(self) -> bool:
        return self.fired >= self.times


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.timeout_delay = 1.5  # seconds a "timeout" fault stalls; keep it above the client's read timeout
        self.slow_delay = 0.3

    def add(
        self,
        method: str,
        path_regex: str,
        kind: str,
        times: int = 1,
        after: int = 0,
        **options: Any,
    ) -> Fault:
        fault = Fault(method.upper(), path_regex, kind, times, after, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to fire for this request, if any; counts the attempt on every matching fault."""
        with self._lock:
            chosen = None
            for fault in self._faults:
                if fault.spent or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if chosen is None and fault.seen > fault.after:
                    fault.fired += 1
                    chosen = fault
            return chosen
