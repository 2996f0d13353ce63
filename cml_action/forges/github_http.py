"""Retries, backoff and write pacing around GitHub REST calls (`github_rest`), and the one-line errors a user sees.

GitHub's REST docs ("Best practices for using the REST API", "Rate limits") ask integrators to: wait `retry-after`
seconds after a 429 or a secondary-rate-limit 403; wait until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0;
otherwise back off exponentially; leave at least one second between content-creating requests. 5xx answers and lost
connections are transient. A write whose outcome is unknown (response lost) may have been applied, so the caller
re-finds the object before writing again: retrying blindly would post a duplicate report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cml_action.errors import PublishError
from cml_action.forges.base import RETRY_WAIT_BUDGET_SECONDS
from cml_action.forges.github_rest import ApiError, ConnectionLost, ConnectTimeout, ResponseTimeout
from cml_action.surface import current

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5
SECONDARY_LIMIT_FALLBACK_SECONDS = 60.0  # GitHub: "wait for at least one minute" when no retry-after is given
PERMISSION_FIX = {
    "comment": "give the job `permissions: pull-requests: write` (PRs) or `issues: write` / `contents: write`",
    "check": "give the job `permissions: checks: write`",
    "images": "give the job `permissions: contents: write` (images go to the assets branch), or publish-images: false",
    "pull request": "give the job `permissions: pull-requests: write` and `contents: write`",
}


@dataclass(frozen=True)
class Failure:
    """A failed attempt: whether trying again can help, how long GitHub asked us to wait, and whether the
    request may have been applied (no response seen, or a 5xx that can follow an applied write)."""

    retryable: bool
    wait: float | None
    maybe_applied: bool
    summary: str


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _seconds(text: str | None) -> float | None:
    try:
        return max(0.0, float(text)) if text is not None else None
    except ValueError:
        return None


def classify(exc: BaseException, now: Callable[[], float] = time.time) -> Failure | None:
    """The retry verdict for an exception, or None when it is not a transient failure."""
    if isinstance(exc, ConnectTimeout):
        return Failure(True, None, False, "connection timed out")
    if isinstance(exc, ResponseTimeout):
        return Failure(True, None, True, "no response in time")
    if isinstance(exc, ConnectionLost):
        return Failure(True, None, True, "connection lost")
    if not isinstance(exc, ApiError):
        return None
    status, headers, message = exc.status, exc.headers, exc.message
    retry_after = _seconds(_header(headers, "retry-after"))
    if status == 429:
        return Failure(True, retry_after, False, "rate limited (429)")
    if status == 403 and "secondary rate limit" in message.lower():
        wait = retry_after if retry_after is not None else SECONDARY_LIMIT_FALLBACK_SECONDS
        return Failure(True, wait, False, "secondary rate limit (403)")
    if status == 403 and _header(headers, "x-ratelimit-remaining") == "0":
        reset = _seconds(_header(headers, "x-ratelimit-reset"))
        return Failure(True, retry_after or (max(0.0, reset - now()) if reset else None), False, "rate limit (403)")
    if status in TRANSIENT_STATUSES:
        return Failure(True, None, True, f"GitHub answered {status}")
    return None


def describe(exc: BaseException, what: str, repo: str) -> str:
    """One line for a failure that is not transient (never includes the token: it only travels in a header)."""
    if not isinstance(exc, ApiError):
        return f"publishing the {what} to {repo} failed: {type(exc).__name__}: {exc}".splitlines()[0]
    data = exc.data if isinstance(exc.data, dict) else {}
    # A proxy in front of GitHub may answer text/HTML: the body is then {"data": text}, without a message.
    lines = exc.message.strip().splitlines()
    message = lines[0].strip() if lines else ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("message"):
        message = f"{message}: {errors[0]['message']}" if message else str(errors[0]["message"])
    text = f"publishing the {what} to {repo} failed: GitHub answered {exc.status}" + (f" {message}" if message else "")
    if exc.status == 401:
        return text + " (the token is invalid or expired: check the 'token' input)"
    if exc.status == 403:
        return text + f" ({PERMISSION_FIX.get(what, 'check the token permissions')})"
    if exc.status == 404:
        return text + f" (check that {repo} exists and the token can see it)"
    return text


class Caller:
    """Runs GitHub calls with retries; writes are paced at least `write_interval` seconds apart."""

    def __init__(
        self,
        *,
        max_attempts: int,
        max_backoff: float,
        write_interval: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_attempts = max(1, max_attempts)
        self.max_backoff = max_backoff
        self.write_interval = write_interval
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._last_write: float | None = None
        self._started = clock()  # the forge's retry-after waits share one budget per step
        self.attempts = 0  # every attempt made, for tests and benchmarks

    def _pace(self) -> None:
        with self._lock:
            if self._last_write is not None and self.write_interval > 0:
                remaining = self._last_write + self.write_interval - self._clock()
                if remaining > 0:
                    self._sleep(remaining)
            self._last_write = self._clock()

    def _backoff(self, attempt: int, failure: Failure, what: str, repo: str) -> None:
        if failure.wait is None:
            self._sleep(min(self.max_backoff, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))
            return
        left = RETRY_WAIT_BUDGET_SECONDS - (self._clock() - self._started)
        if failure.wait > left:
            raise PublishError(
                f"publishing the {what} to {repo} failed: GitHub asked to wait {failure.wait:.0f} s "
                f"({failure.summary}), more than the {max(0.0, left):.0f} s left of the step's "
                f"{RETRY_WAIT_BUDGET_SECONDS:.0f} s for such waits (re-run the job later)"
            )
        self._sleep(failure.wait)

    def read(self, what: str, repo: str, call: Callable[[], T]) -> T:
        return self._run(what, repo, call, write=False, refind=None)

    def write(self, what: str, repo: str, call: Callable[[], T], *, refind: Callable[[], T | None] | None = None) -> T:
        """A write; when an attempt may have been applied, `refind` looks for its result before trying again."""
        return self._run(what, repo, call, write=True, refind=refind)

    def _run(
        self, what: str, repo: str, call: Callable[[], T], *, write: bool, refind: Callable[[], T | None] | None
    ) -> T:
        last: Failure | None = None
        for attempt in range(1, self.max_attempts + 1):
            if write:
                self._pace()
            self.attempts += 1
            try:
                return call()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                last = failure
            if refind is not None and last.maybe_applied:
                found = self.read(what, repo, refind)
                if found is not None:
                    return found
            if attempt < self.max_attempts:
                self._backoff(attempt, last, what, repo)
        assert last is not None
        raise PublishError(
            f"publishing the {what} to {repo} failed after {self.max_attempts} attempts: {last.summary} "
            f"(GitHub may be degraded: re-run the job; {current().report_kept})"
        )
