"""The one retry policy of both forges: which failures are tried again, how long to wait, and never a blind re-send.

Each forge says what an exception means (`Failure`, from its own `classify`) and how its errors read (`Wording`);
everything else is decided here, the same way for GitHub and GitLab:

- 500/502/503/504 answers, lost connections and timeouts are transient: tried again after a capped exponential
  backoff (`TRANSIENT_STATUSES`). A 5xx or a lost answer may follow an applied write ("maybe applied").
- A wait the forge asked for (`retry-after`, a rate-limit reset) is honoured in full, even past `max_backoff`, as long
  as it fits in what is left of the step's `RETRY_WAIT_BUDGET_SECONDS`; a used-up rate limit that resets later than
  `RESET_WAIT_BOUND_SECONDS` fails at once with the reset time (sleeping that long usually still fails).
- A write whose outcome is unknown is looked up first (`refind`): re-sending blindly would post a duplicate report.
- Writes are paced `write_interval` seconds apart (GitHub asks integrators for >= 1 s between content writes).
- A failure retrying cannot fix (a refused token, an untrusted certificate) fails at once, with one line.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cml_action.errors import PublishError
from cml_action.forges.base import RETRY_WAIT_BUDGET_SECONDS

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5  # doubled per attempt, capped by ForgeOptions.max_backoff
# A used-up primary (hourly) rate limit is waited out only when it resets this soon; later, the step fails at once.
RESET_WAIT_BOUND_SECONDS = 60.0


@dataclass(frozen=True)
class Failure:
    """A failed attempt: whether trying again can help, how long the forge asked us to wait, and whether the
    request may have been applied (no answer seen, or a 5xx that can follow an applied write)."""

    reason: str  # one line, never the token
    retryable: bool
    maybe_applied: bool
    wait: float | None = None  # seconds the forge asked for (retry-after, or until a rate-limit reset)
    reset_at: float | None = None  # epoch seconds when a used-up rate limit resets
    request_id: str = ""  # the forge's id for the request, what its support asks for


@dataclass(frozen=True)
class Wording:
    """How one forge's errors read: "<failed(what)>: <reason>", plus what to say after the last attempt."""

    forge: str  # "GitHub"
    failed: Callable[[str], str]  # what -> "publishing the comment to o/r failed"
    gave_up_advice: str = ""  # appended after the last attempt, e.g. " (GitHub may be degraded: re-run the job)"
    request_id_label: str = ""  # "GitHub request id": how a request id is named in an error


def with_request_id(text: str, request_id: str, label: str) -> str:
    return text + (f" ({label} {request_id})" if request_id and label else "")


def full_jitter(round_number: int, base: float, cap: float) -> float:
    """Seconds to wait after losing `round_number` (1-based) compare-and-swap races in a row: a random time in
    [0, min(cap, base * 2**(round - 1))] ("full jitter", AWS Architecture Blog, "Exponential Backoff and Jitter"), so
    jobs that lost together spread out instead of racing again in lockstep."""
    return random.uniform(0.0, min(cap, base * 2 ** (round_number - 1)))


class LostRaces:
    """The rounds of ONE compare-and-swap write (the assets branch, the results store): after each lost round it
    waits `backoff(round)` (full jitter), within a time budget counted from the first round, not a number of rounds:
    of N jobs racing one wins each round, so the last needs up to N. Past the budget the write fails with the line
    `exhausted(rounds)` gives."""

    def __init__(self, budget: float, backoff: Callable[[int], float], sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._budget = budget
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._start = clock()
        self.rounds = 1  # the round under way

    def lost(self, exhausted: Callable[[int], str]) -> None:
        remaining = self._budget - (self._clock() - self._start)
        if remaining <= 0:
            raise PublishError(exhausted(self.rounds))
        self._sleep(min(remaining, self._backoff(self.rounds)))
        self.rounds += 1


class Retrier:
    """Runs one forge's calls with the policy above; `attempts` counts every attempt (tests and benchmarks)."""

    def __init__(
        self,
        wording: Wording,
        classify: Callable[[BaseException], Failure | None],
        *,
        max_attempts: int,
        max_backoff: float,
        write_interval: float = 0.0,
        jitter: bool = False,
        before_attempt: Callable[[], None] = lambda: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.wording = wording
        self._classify = classify
        self.max_attempts = max(1, max_attempts)
        self.max_backoff = max_backoff
        self.write_interval = write_interval
        self._jitter = jitter  # spread runs that failed together (GitLab: parallel jobs of one pipeline)
        self._before_attempt = before_attempt
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._last_write: float | None = None
        self._started = clock()  # the waits a forge asks for share one budget per step
        self.attempts = 0
        self.waits: list[float] = []  # every wait, for tests and the log

    def read(self, what: str, call: Callable[[], T]) -> T:
        return self._run(what, call, write=False, refind=None)

    def write(self, what: str, call: Callable[[], T], *, refind: Callable[[], T | None] | None = None) -> T:
        """A write; when an attempt may have been applied, `refind` looks for its result before trying again."""
        return self._run(what, call, write=True, refind=refind)

    def _run(self, what: str, call: Callable[[], T], *, write: bool, refind: Callable[[], T | None] | None) -> T:
        last: Failure | None = None
        for attempt in range(1, self.max_attempts + 1):
            if write:
                self._pace()
            self.attempts += 1
            self._before_attempt()
            try:
                return call()
            except Exception as exc:
                failure = self._classify(exc)
                if failure is None:
                    raise  # not an HTTP failure, or one the caller handles (e.g. a 404 that means "gone")
                if not failure.retryable:
                    raise PublishError(self._line(what, failure.reason, failure.request_id)) from None
                last = failure
            if refind is not None and last.maybe_applied:
                found = self.read(what, refind)
                if found is not None:
                    return found
            if attempt < self.max_attempts:
                self._wait(attempt, last, what)
        assert last is not None
        text = f"{self.wording.failed(what)} after {self.max_attempts} attempts: {last.reason}"
        raise PublishError(self._with_id(text + self.wording.gave_up_advice, last.request_id))

    def _line(self, what: str, reason: str, request_id: str) -> str:
        return self._with_id(f"{self.wording.failed(what)}: {reason}", request_id)

    def _with_id(self, text: str, request_id: str) -> str:
        return with_request_id(text, request_id, self.wording.request_id_label)

    def _pace(self) -> None:
        with self._lock:
            if self._last_write is not None and self.write_interval > 0:
                remaining = self._last_write + self.write_interval - self._clock()
                if remaining > 0:
                    self._sleep(remaining)
            self._last_write = self._clock()

    def _wait(self, attempt: int, failure: Failure, what: str) -> None:
        forge = self.wording.forge
        if failure.reset_at is not None and failure.wait is not None and failure.wait > RESET_WAIT_BOUND_SECONDS:
            at = datetime.fromtimestamp(failure.reset_at, tz=UTC).strftime("%H:%M:%S UTC")
            raise PublishError(self._line(what, (
                f"the token's {forge} API rate limit is used up until {at} (in {math.ceil(failure.wait / 60):.0f} "
                f"min; {failure.reason}): re-run the job after that"), failure.request_id))  # fmt: skip
        if failure.wait is None:
            delay = min(self.max_backoff, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
            delay *= 1 + random.random() / 4 if self._jitter else 1
            delay = min(self.max_backoff, delay)
        else:
            left = RETRY_WAIT_BUDGET_SECONDS - (self._clock() - self._started)
            if failure.wait > left:
                raise PublishError(self._line(what, (
                    f"{forge} asked to wait {failure.wait:.0f} s ({failure.reason}), more than the "
                    f"{max(0.0, left):.0f} s left of the step's {RETRY_WAIT_BUDGET_SECONDS:.0f} s for such waits "
                    "(re-run the job later)"), failure.request_id))  # fmt: skip
            delay = failure.wait
        self.waits.append(delay)
        self._sleep(delay)
