"""The python-gitlab client and the one retry policy every GitLab request goes through.

python-gitlab can retry by itself, but it re-sends a POST whose response was lost, which duplicates a note. So its
own retries are switched off and `Retrier` decides: 429/500/502/503/504 and connection failures are retried with capped
backoff (`retry-after` honoured); before repeating a write that may have been applied, the caller's `recover`
looks for the result first (e.g. the note by its marker).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from cml_action.errors import PublishError
from cml_action.forges.base import RETRY_WAIT_BUDGET_SECONDS

if TYPE_CHECKING:
    import requests

    import gitlab
    from cml_action.context import RunContext
    from cml_action.forges.base import ForgeOptions

T = TypeVar("T")
# Answers that mean "try again later" (the same rule as GitHub's); a 5xx may follow an applied write.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_APPLIED_STATUSES = frozenset({429})
BASE_BACKOFF = 0.5  # seconds, doubled per attempt, capped by ForgeOptions.max_backoff


@dataclass
class LastResponse:
    """Headers of the most recent HTTP response (python-gitlab's errors do not carry them; we need retry-after)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""

    def hook(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.headers = dict(response.headers)
        self.url = response.url

    def clear(self) -> None:
        self.headers = {}
        self.url = ""


def make_client(ctx: RunContext, options: ForgeOptions, last: LastResponse) -> gitlab.Gitlab:
    """A python-gitlab client for CI_SERVER_URL that never retries on its own (see module doc)."""
    import gitlab
    from cml_action import __version__

    class _SingleShotGitlab(gitlab.Gitlab):
        def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs["obey_rate_limit"] = False
            kwargs["retry_transient_errors"] = False
            return super().http_request(*args, **kwargs)

    from cml_action.forges.http import new_session, verify_setting

    verify = verify_setting()
    session = new_session(f"cml-action/{__version__}")
    session.hooks["response"].append(last.hook)
    # python-gitlab wants the instance URL and appends /api/v4; derive it from CI_API_V4_URL, the API we were given.
    base = ctx.api_url.removesuffix("/api/v4") if ctx.api_url.endswith("/api/v4") else ctx.server_url
    return _SingleShotGitlab(
        base,
        private_token=ctx.token,
        timeout=options.timeout,
        session=session,
        ssl_verify=verify,  # python-gitlab passes its own per request: the same CA choice as GitHub's
        user_agent=f"cml-action/{__version__}",
        keep_base_url=True,
    )


@dataclass(frozen=True)
class Failure:
    reason: str  # one line, no token
    retryable: bool
    maybe_applied: bool  # the server may have done the write before the answer was lost
    status: int | None = None


def classify(exc: BaseException, answered_url: str = "") -> Failure | None:
    """What an exception from python-gitlab/requests means; None when it is not an HTTP/transport failure.
    `answered_url` is the URL of the last answer (python-gitlab's parsing error does not say whose page it was)."""
    import requests

    import gitlab

    if isinstance(exc, gitlab.exceptions.GitlabParsingError):  # a 200 with an HTML page: SSO or captive proxy
        host = _host_of(answered_url)
        reason = (f"{host} answered with a page that is not JSON: a proxy or single sign-on page in front of the API? "
                  "Check CI_SERVER_URL and the proxy settings (HTTPS_PROXY, NO_PROXY)")  # fmt: skip
        return Failure(reason, retryable=False, maybe_applied=False)

    if isinstance(exc, gitlab.exceptions.GitlabError) and exc.response_code is not None:
        code = int(exc.response_code)
        message = _message_text(exc.error_message) or _phrase(code)
        reason = message if message.startswith(str(code)) else f"{code} {message}".strip()
        return Failure(reason, code in RETRY_STATUSES, code not in NOT_APPLIED_STATUSES, code)
    if isinstance(exc, requests.exceptions.SSLError):  # the same on every attempt: say what fixes it, at once
        from cml_action.forges.http import untrusted_certificate

        return Failure(
            untrusted_certificate(_host_of(getattr(exc.request, "url", ""))), retryable=False, maybe_applied=False
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure("connection timed out", retryable=True, maybe_applied=False)
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure("no answer in time (read timeout)", retryable=True, maybe_applied=True)
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return Failure("connection lost", retryable=True, maybe_applied=True)
    if isinstance(exc, gitlab.exceptions.GitlabError):
        return Failure(_message_text(exc.error_message) or type(exc).__name__, retryable=False, maybe_applied=False)
    return None


def _host_of(url: object) -> str:
    from urllib.parse import urlsplit

    return urlsplit(str(url or "")).hostname or "the GitLab server"


def _message_text(message: object) -> str:
    """GitLab's JSON `message` on one line; an HTML error page from a proxy says nothing useful, so it is dropped."""
    if isinstance(message, bytes):
        message = message.decode(errors="replace")
    text = " ".join(str(message or "").split())
    return "" if text.startswith("<") else text[:300]


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


@dataclass
class Retrier:
    max_attempts: int
    max_backoff: float
    last: LastResponse
    sleep: Callable[[float], None] = time.sleep
    hints: Mapping[int, str] = field(default_factory=dict)  # HTTP status -> how to fix it, appended to the error
    waits: list[float] = field(default_factory=list)  # every wait, for tests and the log
    clock: Callable[[], float] = time.monotonic
    started: float = field(default_factory=time.monotonic)  # retry-after waits share one budget per step

    def run(self, what: str, op: Callable[[], T], *, recover: Callable[[], T | None] | None = None) -> T:
        """Run `op`, retrying transient failures; `recover` finds an applied-but-unanswered write before a retry."""
        attempts = max(1, self.max_attempts)
        for attempt in range(1, attempts + 1):
            self.last.clear()
            try:
                return op()
            except Exception as exc:
                failure = classify(exc, self.last.url)
                if failure is None:
                    raise
                if not failure.retryable:
                    hint = self.hints.get(failure.status or 0)
                    suffix = f" ({hint})" if hint else ""
                    raise PublishError(f"GitLab: {what} failed: {failure.reason}{suffix}") from None
                if attempt == attempts:
                    raise PublishError(f"GitLab: {what} failed after {attempts} attempts: {failure.reason}") from None
                self._wait(attempt, failure, what)
                if recover is not None and failure.maybe_applied:
                    found = self.run(f"{what} (looking for a lost answer)", recover)
                    if found is not None:
                        return found
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, failure: Failure, what: str) -> None:
        asked = retry_after(self.last.headers) if failure.status == 429 or failure.status == 503 else None
        if asked is None:
            delay = min(self.max_backoff, BASE_BACKOFF * 2 ** (attempt - 1) * (1 + random.random() / 4))
        else:  # GitLab's retry-after is honoured in full, within the step's budget for such waits
            left = RETRY_WAIT_BUDGET_SECONDS - (self.clock() - self.started)
            if asked > left:
                raise PublishError(
                    f"GitLab: {what} failed: GitLab asked to wait {asked:.0f} s ({failure.reason}), more than the "
                    f"{max(0.0, left):.0f} s left of the step's {RETRY_WAIT_BUDGET_SECONDS:.0f} s for such waits "
                    "(re-run the job later)"
                )
            delay = asked
        self.waits.append(delay)
        self.sleep(delay)
