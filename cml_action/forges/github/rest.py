"""GitHub's REST API on the shared HTTP stack (`forges.http`, i.e. requests): only what is GitHub's lives here.

That is: GitHub's headers and API version, the API base's path prefix (`/api/v3` on GitHub Enterprise), `Link`
pagination, same-host 301s followed with the same method (a renamed repository), and typed failures so that
`failures` can decide about retries: `ApiError` (GitHub answered >= 300; carries status, `message`,
`documentation_url`, the headers and GitHub's request id), `ConnectTimeout` (nothing sent), `ResponseTimeout` and
`ConnectionLost` (the request may have been applied), `UntrustedCertificate` and `NotJson` (retrying cannot help).
Nothing here retries: a create whose answer was lost is looked up before it is sent again (`forges.retry`).
The token travels only in the Authorization header and is replaced by `***` in anything an error carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from cml_action import __version__
from cml_action.errors import PublishError

if TYPE_CHECKING:
    import requests

API_VERSION = "2022-11-28"
USER_AGENT = f"cml-action/{__version__}"
PER_PAGE = 100  # the REST maximum page size
MAX_REDIRECTS = 5


class RestError(Exception):
    """A request to GitHub failed; the text never contains the token."""


class ApiError(RestError):
    """GitHub (or a proxy in front of it) answered with an error status."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str]) -> None:
        self.status = status
        self.data = data  # the decoded JSON body, {"data": text} for a non-JSON body, None for an empty one
        self.headers = {name.lower(): value for name, value in headers.items()}
        fields = data if isinstance(data, dict) else {}
        message = fields.get("message")
        self.message: str = message if isinstance(message, str) else ""
        self.documentation_url = str(fields.get("documentation_url") or "")
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        super().__init__(f"GitHub answered {status}" + (f": {first}" if first else ""))

    @property
    def request_id(self) -> str:
        """GitHub's id for the request (`X-GitHub-Request-Id`), what GitHub support asks for."""
        return self.headers.get("x-github-request-id", "")


class TransportError(RestError):
    """No (complete) answer from GitHub."""


class ConnectTimeout(TransportError):
    """The connection could not be opened in time: the request was not sent."""


class ResponseTimeout(TransportError):
    """The request was sent but no answer came in time: it may have been applied."""


class ConnectionLost(TransportError):
    """The connection failed, was reset or closed before a complete answer: the request may have been applied."""


class UntrustedCertificate(RestError):
    """The server's TLS certificate does not verify: the same on every attempt, so never retried."""


class NotJson(RestError):
    """A success status with a body that is not JSON (an SSO or captive proxy page): retrying cannot help."""


class NotGitHubShape(RestError):
    """JSON, but not the shape GitHub's API answers (a proxy or another server at the API URL)."""


def sha_in(answer: Any, *path: str) -> str:
    """The sha at `path` in a Git Data answer (`sha_in(ref, "object", "sha")`); NotGitHubShape when it is not there,
    so every caller reports a foreign answer the same way instead of failing on an index."""
    found = answer
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, str) or not found:
        raise NotGitHubShape(f"the answer has no {'.'.join(path)} (check GITHUB_API_URL)")
    return found


class GitHubRest:
    """JSON requests to one GitHub API base (`https://api.github.com`, or `https://ghe.example/api/v3`)."""

    def __init__(self, api_url: str, token: str, *, timeout: float, user_agent: str = USER_AGENT) -> None:
        parts = urlsplit(api_url.rstrip("/"))
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RestError(f"unsupported URL scheme or host in {parts.scheme}://{parts.hostname or ''}")
        self._origin = f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2]}"
        self._host = parts.hostname
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._secret = token
        self._user_agent = user_agent
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            **({"Authorization": f"Bearer {token}"} if token else {}),
        }
        self._session: requests.Session | None = None

    def __repr__(self) -> str:  # never the token
        return f"GitHubRest({self._origin}{self._prefix})"

    # -- public API -----------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """The decoded JSON answer (None when empty) of `method` on `path` (relative to the API base)."""
        target = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        return self._request(method, target, body)[1]

    def pages(self, path: str, *, query: Mapping[str, Any] | None = None, key: str = "") -> Iterator[Any]:
        """Every item over all pages (`per_page=100`, then the `Link: rel="next"` URLs), fetched lazily.
        `key` names the list in an object answer (`check_runs`)."""
        target: str | None = self._prefix + path + "?" + urlencode({**(query or {}), "per_page": PER_PAGE})
        while target is not None:
            headers, data = self._request("GET", target, None)
            yield from (data.get(key) or []) if key and isinstance(data, dict) else (data or [])
            target = self._next_page(headers.get("link", ""))

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _next_page(self, link: str) -> str | None:
        for part in link.split(","):
            url, _, params = part.partition(";")
            if 'rel="next"' in params.replace(" ", "") or "rel=next" in params.replace(" ", ""):
                parts = urlsplit(url.strip().strip("<>"))
                # Only the path and query are used: the token goes to the configured API origin, nowhere else.
                return parts.path + (f"?{parts.query}" if parts.query else "")
        return None

    def _request(self, method: str, target: str, body: Any) -> tuple[dict[str, str], Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        for _redirect in range(MAX_REDIRECTS + 1):
            status, headers, raw = self._exchange(method, target, payload)
            location = headers.get("location", "")
            if status == 301 and location:  # a renamed repository: same origin, same method (as PyGithub did)
                moved = urlsplit(location)
                if (moved.hostname or self._host) == self._host and moved.path != target:
                    target = moved.path + (f"?{moved.query}" if moved.query else "")
                    continue
            if 200 <= status < 300:
                return headers, self._json(status, headers, raw)
            raise self._error(status, headers, raw)
        raise self._error(status, headers, raw)

    def _json(self, status: int, headers: Mapping[str, str], raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            kind = headers.get("content-type", "").partition(";")[0].strip() or "no content type"
            raise NotJson(
                f"{self._host} answered {status} with a page that is not JSON ({kind}): a proxy or single sign-on page "
                "in front of the API? Check the API URL and the proxy settings (HTTPS_PROXY, NO_PROXY)"
            ) from None

    def _error(self, status: int, headers: Mapping[str, str], raw: bytes) -> ApiError:
        text = self._redact(raw.decode("utf-8", errors="replace"))
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = {"data": text}
        return ApiError(status, data, {name: self._redact(value) for name, value in headers.items()})

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _connect(self) -> requests.Session:
        if self._session is None:
            from cml_action.forges.http import new_session

            try:
                self._session = new_session(self._user_agent)
            except PublishError as exc:  # a CA bundle that is not there
                raise RestError(str(exc)) from None
        return self._session

    def _exchange(self, method: str, target: str, payload: bytes | None) -> tuple[int, dict[str, str], bytes]:
        import requests

        session = self._connect()
        headers = dict(self._headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        where = f"{method} {self._origin}{target.partition('?')[0]}"
        try:
            # The adapter, not Session.send: that one parses a redirect's Location even when not following it,
            # and fails on a malformed one; redirects are ours to follow (`_request`).
            prepared = session.prepare_request(requests.Request(method, self._origin + target, headers, data=payload))
            url = prepared.url or ""
            settings = session.merge_environment_settings(url, {}, False, None, None)
            response = session.get_adapter(url).send(prepared, stream=False, timeout=self._timeout,
                                                     verify=settings["verify"] or True, cert=settings["cert"],
                                                     proxies=settings["proxies"])  # fmt: skip
            raw = response.content
        except requests.exceptions.SSLError:
            from cml_action.forges.http import untrusted_certificate

            raise UntrustedCertificate(untrusted_certificate(self._host)) from None
        except requests.exceptions.ConnectTimeout:
            raise ConnectTimeout(f"connecting to {self._origin} timed out after {self._timeout:g} s") from None
        except requests.exceptions.ReadTimeout:
            raise ResponseTimeout(f"{where}: no response in {self._timeout:g} s") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ConnectionLost(f"{where}: {type(exc).__name__}") from None
        except requests.exceptions.InvalidSchema as exc:  # e.g. a socks5:// proxy without PySocks
            raise RestError(self._redact(_first_line(exc))) from None
        except (requests.exceptions.RequestException, OSError) as exc:
            raise RestError(f"{where}: {type(exc).__name__}: {self._redact(_first_line(exc))}") from None
        return response.status_code, {name.lower(): value for name, value in response.headers.items()}, raw


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
