"""The python-gitlab client, and GitLab's side of the shared retry policy (`forges.retry`).

python-gitlab can retry by itself, but it re-sends a POST whose response was lost, which duplicates a note. So its
own retries are switched off and the shared `Retrier` decides, with GitLab's verdicts (`classify`): 429 and
500/502/503/504 answers and connection failures are retried (`retry-after` honoured); before repeating a write that
may have been applied, the caller's `refind` looks for the result first (e.g. the note by its marker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from cml_action.forges.retry import TRANSIENT_STATUSES, Failure, Retrier, Wording

if TYPE_CHECKING:
    import requests

    import gitlab
    from cml_action.context import RunContext
    from cml_action.forges.base import ForgeOptions

NOT_APPLIED_STATUSES = frozenset({429})  # refused before any work: nothing to look for before a retry


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


def classify(exc: BaseException, last: LastResponse, hints: Mapping[int, str]) -> Failure | None:
    """What an exception from python-gitlab/requests means; None when it is not an HTTP/transport failure.
    `last` holds the last answer's URL and headers (python-gitlab's errors carry neither); `hints` say how to fix
    an HTTP status that retrying cannot."""
    import requests

    import gitlab

    if isinstance(exc, gitlab.exceptions.GitlabParsingError):  # a 200 with an HTML page: SSO or captive proxy
        host = _host_of(last.url)
        reason = (f"{host} answered with a page that is not JSON: a proxy or single sign-on page in front of the API? "
                  "Check CI_SERVER_URL and the proxy settings (HTTPS_PROXY, NO_PROXY)")  # fmt: skip
        return Failure(reason, retryable=False, maybe_applied=False)
    if isinstance(exc, gitlab.exceptions.GitlabError) and exc.response_code is not None:
        code = int(exc.response_code)
        message = _message_text(exc.error_message) or _phrase(code)
        reason = message if message.startswith(str(code)) else f"{code} {message}".strip()
        if code != 429 and code not in TRANSIENT_STATUSES:
            hint = hints.get(code)
            return Failure(reason + (f" ({hint})" if hint else ""), retryable=False, maybe_applied=False)
        wait, reset_at = _asked_wait(last.headers) if code in (429, 503) else (None, None)
        return Failure(reason, True, code not in NOT_APPLIED_STATUSES, wait, reset_at)
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


def _asked_wait(headers: Mapping[str, str]) -> tuple[float | None, float | None]:
    """(seconds to wait, reset epoch) from `Retry-After`, else from a used-up `RateLimit-Reset`."""
    named = {name.lower(): value for name, value in headers.items()}
    for name in ("retry-after", "ratelimit-reset"):
        try:
            value = max(0.0, float(named[name]))
        except (KeyError, ValueError):
            continue
        if name == "retry-after":
            return value, None
        if named.get("ratelimit-remaining") == "0":
            return max(0.0, value - time.time()), value
    return None, None


def gitlab_retrier(
    last: LastResponse, hints: Mapping[int, str], options: ForgeOptions, sleep: Callable[[float], None] = time.sleep
) -> Retrier:
    """The shared retry policy with GitLab's verdicts and wording (no write pacing: GitLab does not ask for it)."""
    wording = Wording("GitLab", lambda what: f"GitLab: {what} failed")
    return Retrier(wording, lambda exc: classify(exc, last, hints), max_attempts=options.max_attempts,
                   max_backoff=options.max_backoff, jitter=True, before_attempt=last.clear, sleep=sleep)  # fmt: skip
