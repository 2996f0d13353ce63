"""HTTP layer: a ThreadingHTTPServer whose handler authenticates, validates against the spec, applies
faults, dispatches to the route handlers under the state lock and records every request."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import re
import socket
import struct
import time
import traceback
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import (  # noqa: F401  (register routes)
    routes_actions,
    routes_checks,
    routes_comments,
    routes_contents,
    routes_git,
    routes_pulls,
    routes_repo,
)
from .errors import ApiError, SpecViolation, bad_credentials, not_accessible_by_integration, not_found
from .faults import SECONDARY_RATE_LIMIT_MESSAGE, Fault
from .routing import ROUTES, Ctx, Response
from .state import RATE_LIMIT, Token

if TYPE_CHECKING:
    from .fake import FakeGitHub

ENTERPRISE_PREFIX = "/api/v3"
WEB_RAW = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/blob/(?P<commit>[0-9a-f]{40})/(?P<path>.+)$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the /api/v3 prefix and without the query
    query: dict[str, list[str]]
    json: Any
    status: int  # 0 when the connection was dropped (reset, timeout, apply_then_drop)
    headers: dict[str, str]  # lower-case names, authorization removed
    login: str | None
    fault: str | None = None
    enterprise: bool = False


class Dropped(Exception):
    """Raised to close the connection without an HTTP response."""


class FakeGitHubServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # matrix fan-in tests open many connections at once

    def __init__(self, fake: FakeGitHub) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fake = fake


def _token_of(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.github.com; every response has Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the 40 ms delayed-ACK stall
    server: FakeGitHubServer

    def version_string(self) -> str:
        return "GitHub.com"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- plumbing ---------------------------------------------------------------------------------------

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        path, enterprise = url.path, False
        if path == ENTERPRISE_PREFIX or path.startswith(ENTERPRISE_PREFIX + "/"):
            path, enterprise = path[len(ENTERPRISE_PREFIX) :] or "/", True
        query = parse_qs(url.query, keep_blank_values=True)
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        token_value = _token_of(self.headers.get("authorization"))
        token = fake.state.tokens.get(token_value) if token_value else None
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        try:
            body_json = json.loads(raw) if raw.strip() else None
        except ValueError:
            body_json = None
        fault = None if (not enterprise and WEB_RAW.match(path)) else fake.faults.take(method, path)

        def record(status: int) -> None:
            login = token.login if token else None
            entry = RecordedRequest(
                method, path, query, body_json, status, headers, login, fault.kind if fault else None, enterprise
            )
            with fake.record_lock:
                fake.requests.append(entry)

        try:
            response = self._respond(method, path, enterprise, query, raw, token, fault)
        except Dropped:
            record(0)
            self._drop()
            return
        except Exception as bug:  # a defect in the fake itself: answer 500 and let the fixture fail the test
            fake.add_internal_error(f"{method} {path}: {bug!r}\n{traceback.format_exc()}")
            response = _error(ApiError(500, f"fake GitHub internal error: {bug!r}"))
        record(response.status)
        self._send(response, token)

    def _respond(
        self,
        method: str,
        path: str,
        enterprise: bool,
        query: dict[str, list[str]],
        raw: bytes,
        token: Token | None,
        fault: Fault | None,
    ) -> Response:
        fake = self.server.fake
        if fault is not None:
            early = self._fault_before(fault)
            if early is not None:
                return early
        if not enterprise and method == "GET" and (web := WEB_RAW.match(path)):
            return fake.web_raw(web.group("owner"), web.group("repo"), web.group("commit"), web.group("path"))
        if not enterprise and method == "GET" and path.startswith(routes_actions.STORAGE_PREFIX):
            return routes_actions.storage(fake.state, path)
        response = self._api(method, path, enterprise, query, raw, token)
        if fault is not None and fault.kind == "apply_then_drop":
            raise Dropped()
        return response

    def _fault_before(self, fault: Fault) -> Response | None:
        faults = self.server.fake.faults
        kind = fault.kind
        if kind == "status":
            message = {502: "Server Error", 503: "Service Unavailable"}.get(fault.status, "Server Error")
            return _error(ApiError(fault.status, message))
        if kind == "rate_limit_429":
            err = ApiError(429, "API rate limit exceeded.", headers={"retry-after": str(fault.retry_after)})
            response = _error(err)
            response.headers["x-ratelimit-remaining"] = "0"
            return response
        if kind == "secondary_rate_limit":
            request_id = _request_id()
            message = f"{SECONDARY_RATE_LIMIT_MESSAGE}{request_id}."
            err = ApiError(
                403,
                message,
                documentation_url="https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                headers={"retry-after": str(fault.retry_after), "x-github-request-id": request_id},
            )
            return _error(err)
        if kind == "non_fast_forward":
            return _error(ApiError(422, "Update is not a fast forward"))
        if kind == "reset":
            raise Dropped()
        if kind == "timeout":
            time.sleep(fault.delay if fault.delay is not None else faults.timeout_delay)
            raise Dropped()
        if kind == "slow":
            time.sleep(fault.delay if fault.delay is not None else faults.slow_delay)
        if kind == "hook" and fault.hook is not None:
            fault.hook(self.server.fake)
        return None

    def _api(
        self,
        method: str,
        path: str,
        enterprise: bool,
        query: dict[str, list[str]],
        raw: bytes,
        token: Token | None,
    ) -> Response:
        fake = self.server.fake
        if token is None:
            # The fake has no anonymous access (an Actions step always sends a token).
            has_header = bool(self.headers.get("authorization"))
            return _error(bad_credentials() if has_header else ApiError(401, "Requires authentication"))
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return _error(ApiError(400, "Problems parsing JSON"))
        if method == "POST" and path in routes_pulls.GRAPHQL_PATHS:  # GraphQL has no OpenAPI operation
            return self._graphql(path, query, body, token)
        matched = fake.spec.match(method, path)
        if matched is None or matched[0].key not in ROUTES:
            return _error(not_found())
        op, params = matched
        if method != "GET" and token.permission == "read":
            return _error(not_accessible_by_integration())
        problems = fake.spec.request_problems(op, query, body)
        if problems:
            fake.add_violations(method, path, problems)
            return _error(ApiError(422, "Invalid request.\n\n" + "\n".join(problems)))
        ctx = Ctx(
            state=fake.state,
            method=method,
            path=path,
            params=params,
            query=query,
            body=body,
            token=token,
            api_base=fake.api_url + (ENTERPRISE_PREFIX if enterprise else ""),
            server_url=fake.server_url,
        )
        with fake.state.lock:
            if op.template != "/rate_limit":  # GitHub: reading the rate limit does not count against it
                fake.state.rate_used[token.value] = fake.state.rate_used.get(token.value, 0) + 1
            try:
                response = ROUTES[op.key](ctx)
            except SpecViolation as violation:
                fake.add_violations(method, path, [violation.problem])
                return _error(violation)
            except ApiError as err:
                return _error(err)
        fake.check_response_later(op, response.status, response.body)
        return response

    def _graphql(self, path: str, query: dict[str, list[str]], body: Any, token: Token) -> Response:
        fake = self.server.fake
        if token.permission == "read":
            return _error(not_accessible_by_integration())
        ctx = Ctx(fake.state, "POST", path, {}, query, body, token, fake.api_url, fake.server_url)
        with fake.state.lock:
            return routes_pulls.graphql(ctx)

    def _send(self, response: Response, token: Token | None) -> None:
        fake = self.server.fake
        if isinstance(response.body, bytes):
            payload = response.body
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        used = fake.state.rate_used.get(token.value, 0) if token else 0
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-github-request-id": _request_id(),
            "x-github-api-version-selected": "2022-11-28",
            "x-github-media-type": "github.v3; format=json",
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - used, 0)),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
            **response.headers,
        }
        if response.status == 204:
            headers.pop("content-type")
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()

    def _drop(self) -> None:
        """Close with a TCP reset and no response at all: what the client sees as a lost connection."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket is already gone after a dropped connection
            super().finish()


def _request_id() -> str:
    raw = uuid.uuid4().hex.upper()
    return f"{raw[:4]}:{raw[4:9]}:{raw[9:16]}:{raw[16:23]}:{raw[23:31]}"


def _error(err: ApiError) -> Response:
    return Response(err.status, err.body(), dict(err.headers))


def web_file(data: bytes | None, path: str) -> Response:
    if data is None:
        return Response(404, b"Not Found", {"content-type": "text/plain; charset=utf-8"})
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Response(200, data, {"content-type": kind})
