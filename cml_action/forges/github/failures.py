"""GitHub's side of the shared retry policy (`forges.retry`): what each failure means, and the one-line errors.

GitHub's REST docs ("Best practices for using the REST API", "Rate limits") ask integrators to: wait `retry-after`
seconds after a 429 or a secondary-rate-limit 403; wait until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0;
otherwise back off exponentially; leave at least one second between content-creating requests. 5xx answers and lost
connections are transient. Errors carry GitHub's request id (`X-GitHub-Request-Id`), which GitHub support asks for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from cml_action.forges.github.rest import ApiError, ConnectionLost, ConnectTimeout, ResponseTimeout
from cml_action.forges.retry import TRANSIENT_STATUSES, Failure, Retrier, Wording, with_request_id
from cml_action.surface import current

SECONDARY_LIMIT_FALLBACK_SECONDS = 60.0  # GitHub: "wait for at least one minute" when no retry-after is given
REQUEST_ID_LABEL = "GitHub request id"
PERMISSION_FIX = {
    "comment": "give the job `permissions: pull-requests: write` (PRs) or `issues: write` / `contents: write`",
    "check": "give the job `permissions: checks: write`",
    "images": "give the job `permissions: contents: write` (images go to the assets branch), or publish-images: false",
    "results": "give the job `permissions: contents: write` (results are kept on the assets branch), or store: off",
    "pull request": "give the job `permissions: pull-requests: write` and `contents: write`",
}


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
    """The retry verdict for an exception, or None when it is not a transient failure (the caller handles it)."""
    if isinstance(exc, ConnectTimeout):
        return Failure("connection timed out", True, False)
    if isinstance(exc, ResponseTimeout):
        return Failure("no response in time", True, True)
    if isinstance(exc, ConnectionLost):
        return Failure("connection lost", True, True)
    if not isinstance(exc, ApiError):
        return None
    status, headers, message, request_id = exc.status, exc.headers, exc.message, exc.request_id
    retry_after = _seconds(_header(headers, "retry-after"))
    reset = _seconds(_header(headers, "x-ratelimit-reset"))
    exhausted = _header(headers, "x-ratelimit-remaining") == "0" and reset is not None
    secondary = status == 403 and "secondary rate limit" in message.lower()
    if status in (403, 429) and retry_after is not None:  # GitHub's wording varies; the header is what counts
        summary = "secondary rate limit (403)" if secondary else f"rate limited ({status})"
        return Failure(summary, True, False, retry_after, request_id=request_id)
    if secondary:
        return Failure(
            "secondary rate limit (403)", True, False, SECONDARY_LIMIT_FALLBACK_SECONDS, request_id=request_id
        )
    if status in (403, 429) and exhausted and reset is not None:
        return Failure(f"rate limit ({status})", True, False, max(0.0, reset - now()), reset, request_id)
    if status == 429:
        return Failure("rate limited (429)", True, False, request_id=request_id)
    if status in TRANSIENT_STATUSES:
        return Failure(f"GitHub answered {status}", True, True, request_id=request_id)
    return None


def _with_request_id(text: str, request_id: str) -> str:
    return with_request_id(text, request_id, REQUEST_ID_LABEL)


def describe(exc: BaseException, what: str, repo: str) -> str:
    """One line for a failure that is not transient (never includes the token: it only travels in a header)."""
    if not isinstance(exc, ApiError):  # no answer, or not one we can read: the text names the problem
        return f"publishing the {what} to {repo} failed: {exc}".splitlines()[0]
    data = exc.data if isinstance(exc.data, dict) else {}
    # A proxy in front of GitHub may answer text/HTML: the body is then {"data": text}, without a message.
    lines = exc.message.strip().splitlines()
    message = lines[0].strip() if lines else ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("message"):
        message = f"{message}: {errors[0]['message']}" if message else str(errors[0]["message"])
    text = f"publishing the {what} to {repo} failed: GitHub answered {exc.status}" + (f" {message}" if message else "")
    if exc.status == 401:
        text += " (the token is invalid or expired: check the 'token' input)"
    elif exc.status == 403:
        text += f" ({PERMISSION_FIX.get(what, 'check the token permissions')})"
    elif exc.status == 404:
        text += f" (check that {repo} exists and the token can see it)"
    return _with_request_id(text, exc.request_id)


def github_retrier(
    repo: str,
    *,
    max_attempts: int,
    max_backoff: float,
    write_interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Retrier:
    """The shared retry policy with GitHub's verdicts and wording; writes paced `write_interval` seconds apart."""
    wording = Wording(
        "GitHub",
        lambda what: f"publishing the {what} to {repo} failed",
        f" (GitHub may be degraded: re-run the job; {current().report_kept})",
        REQUEST_ID_LABEL,
    )
    return Retrier(wording, classify, max_attempts=max_attempts, max_backoff=max_backoff,
                   write_interval=write_interval, sleep=sleep, clock=clock)  # fmt: skip
