"""A small GitHub REST client on the standard library (`http.client`, `json`, `urllib.parse`).

Why not PyGithub: `import github` pulls in requests, urllib3, jwt and cryptography and costs ~0.26 s, more than the
whole 0.25 s budget of posting a report; the requests themselves take ~35 ms. This client does only what the forge
needs: JSON requests with GitHub's headers, `Link` pagination, keep-alive connections, TLS, HTTP(S)_PROXY/NO_PROXY.

Failures are typed so `github_http` can decide about retries: `ApiError` (GitHub answered >= 300; carries status,
`message`, `documentation_url` and the headers), `ConnectTimeout` (nothing sent), `ResponseTimeout` and
`ConnectionLost` (the request may have been applied). The token travels only in the Authorization header and is
replaced by `***` in anything an error carries (some proxies and servers echo credentials back).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from cml_action import __version__

API_VERSION = "2022-11-28"
USER_AGENT = f"cml-action/{__version__}"
PER_PAGE = 100  # the REST maximum page size
MAX_REDIRECTS = 5
# What requests' `requote_uri` leaves alone: a path that is already valid passes unchanged.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


class RestError(Exception):
    """A request to GitHub failed; the text never contains the token."""


class ApiError(RestError):
    """GitHub (or a proxy in front of it) answered with an error status."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str]) -> None:
        self.status = status
        self.data = data  # the decoded JSON body, {"data": text} for a non-JSON body, None for an empty one
        self.headers = dict(headers)  # lower-case names
        fields = data if isinstance(data, dict) else {}
        message = fields.get("message")
        self.message: str = message if isinstance(message, str) else ""
        self.documentation_url = str(fields.get("documentation_url") or "")
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        super().__init__(f"GitHub answered {status}" + (f": {first}" if first else ""))

    @property
    def retry_after(self) -> str | None:
        return self.headers.get("retry-after")

    @property
    def ratelimit_remaining(self) -> str | None:
        return self.headers.get("x-ratelimit-remaining")

    @property
    def ratelimit_reset(self) -> str | None:
        return self.headers.get("x-ratelimit-reset")


class TransportError(RestError):
    """No (complete) answer from GitHub."""


class ConnectTimeout(TransportError):
    """The connection could not be opened in time: the request was not sent."""


class ResponseTimeout(TransportError):
    """The request was sent but no answer came in time: it may have been applied."""


class ConnectionLost(TransportError):
    """The connection failed, was reset or closed before a complete answer: the request may have been applied."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _origin_of(url: str) -> Origin:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise RestError(f"unsupported URL scheme or host in {parts.scheme}://{parts.hostname or ''}")
    return Origin(scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))


def _env(name: str) -> str:
    return (os.environ.get(name.lower()) or os.environ.get(name.upper()) or "").strip()


def bypasses_proxy(host: str, port: int, no_proxy: str) -> bool:
    """NO_PROXY as curl and requests read it: `*`, host names (a leading dot optional, subdomains match),
    `host:port`, IP addresses and CIDR ranges, comma- or space-separated."""
    host = host.lower().strip("[]")
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.startswith("["):  # [v6] or [v6]:port
            name, _, rest = entry[1:].partition("]")
            entry_port = rest.removeprefix(":")
        elif entry.count(":") == 1:  # host:port (a bare IPv6 address has more colons)
            name, entry_port = entry.split(":")
        else:
            name, entry_port = entry, ""
        name = name.lstrip(".")
        if entry_port and entry_port != str(port):
            continue
        if "/" in name and _in_network(host, name):
            return True
        if host == name or host.endswith("." + name):
            return True
    return False


def _in_network(host: str, cidr: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def proxy_for(origin: Origin) -> str:
    """The proxy URL for a request to `origin` from the environment ('' for a direct connection)."""
    if bypasses_proxy(origin.host, origin.port, _env("no_proxy")):
        return ""
    return _env(f"{origin.scheme}_proxy") or _env("all_proxy")


def _tls_context() -> Any:
    import ssl

    variable = next((name for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE") if os.environ.get(name)), "")
    bundle = os.environ.get(variable, "") if variable else ""
    try:
        if bundle and os.path.isdir(bundle):
            return ssl.create_default_context(capath=bundle)
        return ssl.create_default_context(cafile=bundle or None)
    except OSError as exc:  # ssl.SSLError too: a missing or unreadable bundle
        raise RestError(f"the CA bundle {variable}={bundle} cannot be loaded: {exc.strerror or exc}") from None


class _Route:
    """How to reach the API origin: directly, through an HTTP proxy (absolute-URI requests for http://),
    or through a CONNECT tunnel (https://)."""

    def __init__(self, origin: Origin, proxy_url: str, timeout: float) -> None:
        self.origin = origin
        self.timeout = timeout
        self.proxy: Origin | None = None
        self.proxy_headers: dict[str, str] = {}
        self._tls: Any = None  # one context per client: loading the CA store costs milliseconds
        if proxy_url:
            parts = urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}")
            if parts.scheme.lower() != "http":  # never the URL itself: it may hold the proxy's password
                raise RestError(
                    f"the proxy {parts.scheme}://{parts.hostname or ''} is not supported: only http:// proxy URLs "
                    "are (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY)"
                )
            self.proxy = _origin_of(proxy_url)
            if parts.username is not None:
                pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
                self.proxy_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")

    def connection(self) -> http.client.HTTPConnection:
        origin, proxy = self.origin, self.proxy
        if origin.scheme == "https":
            target = proxy or origin
            if self._tls is None:
                self._tls = _tls_context()
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                target.host, target.port, timeout=self.timeout, context=self._tls
            )
            if proxy is not None:
                conn.set_tunnel(origin.host, origin.port, headers=self.proxy_headers)
            return conn
        target = proxy or origin
        return http.client.HTTPConnection(target.host, target.port, timeout=self.timeout)

    def request_target(self, path: str) -> str:
        if self.proxy is not None and self.origin.scheme == "http":
            return f"http://{self.origin.netloc}{path}"  # a plain-HTTP proxy takes the absolute URI
        return path

    def extra_headers(self) -> dict[str, str]:
        return self.proxy_headers if self.proxy is not None and self.origin.scheme == "http" else {}


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection the server has closed (readable means EOF or unexpected bytes)."""
    if conn.sock is None:
        return True
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class GitHubRest:
    """JSON requests to one GitHub API base (`https://api.github.com`, or `https://ghe.example/api/v3`)."""

    def __init__(self, api_url: str, token: str, *, timeout: float, user_agent: str = USER_AGENT) -> None:
        parts = urlsplit(api_url.rstrip("/"))
        self._origin = _origin_of(api_url)
        self._prefix = parts.path.rstrip("/")
        self._route = _Route(self._origin, proxy_for(self._origin), timeout)
        self._secret = token
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": user_agent,
            **({"Authorization": f"Bearer {token}"} if token else {}),
        }
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the token
        return f"GitHubRest({self._origin.scheme}://{self._origin.netloc}{self._prefix})"

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
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

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
                if (moved.hostname or self._origin.host) == self._origin.host and moved.path != target:
                    target = moved.path + (f"?{moved.query}" if moved.query else "")
                    continue
            if 200 <= status < 300:
                return headers, (json.loads(raw) if raw.strip() else None)
            raise self._error(status, headers, raw)
        raise self._error(status, headers, raw)

    def _error(self, status: int, headers: Mapping[str, str], raw: bytes) -> ApiError:
        text = self._redact(raw.decode("utf-8", errors="replace"))
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = {"data": text}
        return ApiError(status, data, {name: self._redact(value) for name, value in headers.items()})

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _exchange(self, method: str, target: str, payload: bytes | None) -> tuple[int, dict[str, str], bytes]:
        conn = self._checkout()
        headers = {**self._headers, **self._route.extra_headers()}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, self._route.request_target(quote(target, safe=_URL_SAFE)), payload, headers)
            response = conn.getresponse()
            raw = response.read()
        except TimeoutError:
            conn.close()
            raise ResponseTimeout(f"{method} {self._where(target)}: no response in {self._route.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ConnectionLost(f"{method} {self._where(target)}: {type(exc).__name__}") from None
        answer = {name.lower(): value for name, value in response.getheaders()}
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        return response.status, answer, raw

    def _where(self, target: str) -> str:
        return f"{self._origin.scheme}://{self._origin.netloc}{target.partition('?')[0]}"

    def _checkout(self) -> http.client.HTTPConnection:
        """An idle keep-alive connection still open, else a newly connected one."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if not _dropped(conn):
                return conn
            conn.close()
        conn = self._route.connection()
        where = f"{self._origin.scheme}://{self._origin.netloc}"
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise ConnectTimeout(f"connecting to {where} timed out after {self._route.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ConnectionLost(f"connecting to {where} failed: {type(exc).__name__}") from None
        return conn
