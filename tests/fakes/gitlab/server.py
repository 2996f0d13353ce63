"""The loopback fake GitLab: real HTTP on 127.0.0.1 under /api/v4, GitLab's auth, pagination and error shapes,
a request log and fault injection. See README.md for the seeding and inspection API."""

from __future__ import annotations

import email.parser
import email.policy
import json
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import routes, routes_commits, routes_mrs, routes_repository  # noqa: F401  (they register their routes on import)
from .faults import Faults
from .seeding import Seeding
from .state import State, Token

API_PREFIX = "/api/v4"
Answer = tuple[int, bytes, str, dict[str, str]]  # status, payload, content type, headers
DEFAULT_PER_PAGE = 20  # GitLab's default page size
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without /api/v4 and query, still url-encoded (a project path shows as group%2Fproject)
    query: dict[str, str]
    body: Any  # JSON / form fields; an upload's file part as (filename, size)
    status: int  # 0 when the connection was dropped
    user: str | None  # username the token authenticated, None when anonymous
    headers: dict[str, str]  # lower-case; private-token, authorization and job-token left out


class FakeGitLab(Seeding):
    def __init__(self, *, seed_defaults: bool = True) -> None:
        self.state = State()
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.server_url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.server_url + API_PREFIX
        self._thread: threading.Thread | None = None
        if seed_defaults:
            self.seed_defaults()

    def start(self) -> FakeGitLab:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-gitlab", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGitLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inspection --------------------------------------------------------------------------------------------------

    def record(self, entry: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(entry)

    def api_requests(self, method: str | None = None, path_regex: str | None = None) -> list[RecordedRequest]:
        import re

        with self._log_lock:
            found = list(self.requests)
        return [r for r in found if (method is None or r.method == method)
                and (path_regex is None or re.search(path_regex, r.path))]  # fmt: skip

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.api_requests() if r.method in ("POST", "PUT", "DELETE")]

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def sequence(self) -> list[str]:
        """'METHOD path' of every request, in order: handy for exact request-sequence assertions."""
        return [f"{r.method} {r.path}" for r in self.api_requests()]

    # -- request handling (called from the handler thread) -------------------------------------------------------------

    def authenticate(self, headers: Any, query: dict[str, str]) -> tuple[Token | None, bool]:
        """(token or None for anonymous, rejected). A job token is ignored by routes that do not take it."""
        value = headers.get("PRIVATE-TOKEN") or query.get("private_token")
        auth = headers.get("Authorization") or ""
        if not value and auth.lower().startswith("bearer "):
            value = auth[7:].strip()
        if not value:
            return None, False  # anonymous; JOB-TOKEN / job_token are not accepted on these routes
        token = self.state.tokens.get(value)
        if token is None or token.kind == "job":
            return None, True  # an unknown token, or a job token sent as a personal one: 401 everywhere
        return token, False

    def dispatch(self, method: str, raw_path: str, query: dict[str, str], form: dict[str, Any],
                 token: Token | None) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        for route_method, pattern, handler in routes.ROUTES:
            match = pattern.match(raw_path) if route_method == method else None
            if match is None:
                continue
            if token is None and handler not in routes.ANONYMOUS_OK:
                # Notes, discussions, statuses and uploads call `authenticate!` first (lib/api/*.rb): 401 before any
                # lookup. A JOB-TOKEN header lands here too: these routes do not accept job tokens.
                return 401, {"message": "401 Unauthorized"}, {}
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            req = routes.Req(self.state, method, raw_path, params, query, form, token, self.server_url)
            with self.state.lock:
                try:
                    status, body = handler(req)
                except routes.ApiError as exc:
                    return exc.status, exc.body, {}
            if isinstance(body, list):
                return self._paginate(raw_path, query, body)
            return status, body, {}
        return 404, {"error": "404 Not Found"}, {}

    def _paginate(self, raw_path: str, query: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = _int(query.get("per_page"), DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(1, _int(query.get("page"), 1))
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(number: int) -> str:
            params = dict(query, page=str(number), per_page=str(per_page))
            return f"{self.api_url}{raw_path}?{urllib.parse.urlencode(params)}"

        rels = []
        if page > 1:
            rels.append(f'<{link(page - 1)}>; rel="prev"')
        if page < total_pages:
            rels.append(f'<{link(page + 1)}>; rel="next"')
        rels += [f'<{link(1)}>; rel="first"', f'<{link(total_pages)}>; rel="last"']
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-next-page": str(page + 1) if page < total_pages else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
            "x-total": str(len(items)),
            "x-total-pages": str(total_pages),
            "link": ", ".join(rels),
        }
        return 200, chunk, headers

    def serve_web(self, raw_path: str) -> tuple[int, bytes, str]:
        """GET {server}/{project path}/uploads/{secret}/{name}: the uploaded bytes (to check links resolve)."""
        head, sep, tail = raw_path.partition("/uploads/")
        with self.state.lock:
            project = self.state.project(urllib.parse.unquote(head.strip("/"))) if sep else None
            for upload in project.uploads if project else []:
                if upload.url == "/uploads/" + tail:
                    return 200, upload.data, "application/octet-stream"
        return 404, b"Not Found", "text/plain"


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(raw.decode())
        return data if isinstance(data, dict) else {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        form: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            form[str(name)] = (filename, payload) if filename else payload.decode(errors="replace")
        return form
    return {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}


def _make_handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not url.path.startswith(API_PREFIX + "/"):
                status, data, ctype = fake.serve_web(url.path)
                self._send(status, data, ctype, {})
                return
            path = url.path[len(API_PREFIX) :]
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            form = parse_body(self.headers.get("Content-Type") or "", raw)
            token, rejected = fake.authenticate(self.headers, query)
            fault = fake.faults.pick(method, path)
            answer = self._serve(method, path, query, form, token, rejected, fault)
            logged = {k: (v[0], len(v[1])) if isinstance(v, tuple) else v for k, v in form.items()}
            headers = {k.lower(): v for k, v in self.headers.items()
                       if k.lower() not in ("private-token", "authorization", "job-token")}  # fmt: skip
            # Logged before the answer leaves: a client that got its answer always finds the request in the log.
            fake.record(RecordedRequest(method, path, query, logged, answer[0] if answer else 0,
                                        token.user.username if token else None, headers))  # fmt: skip
            if answer is None:
                self._drop()
            else:
                self._send(*answer)

        def _serve(self, method: str, path: str, query: dict[str, str], form: dict[str, Any],
                   token: Token | None, rejected: bool, fault: Any) -> Answer | None:  # fmt: skip
            """The answer to send, or None to drop the connection."""
            kind = fault.kind if fault else ""
            if kind == "hook":
                fault.options["hook"](fake)
            if kind in ("slow", "timeout"):
                time.sleep(float(fault.options.get("delay", 0.3 if kind == "slow" else fake.faults.timeout_delay)))
            if kind in ("reset", "timeout"):
                return None
            if kind == "status":
                code = int(fault.options.get("status", 502))
                return code, f"<html><body><h1>{code}</h1></body></html>".encode(), "text/html", {}
            if kind == "rate_limit_429":
                wait = str(fault.options.get("retry_after", 1))
                limits = {
                    "Retry-After": wait,
                    "RateLimit-Name": "throttle_authenticated_api",
                    "RateLimit-Remaining": "0",
                }
                return 429, b"Retry later\n", "text/plain", limits
            if rejected:
                status, body, headers = 401, {"message": "401 Unauthorized"}, {}
            else:
                status, body, headers = fake.dispatch(method, path, query, form, token)
            if kind == "apply_then_drop":
                return None
            return status, b"" if status == 204 else json.dumps(body).encode(), "application/json", headers

        def _drop(self) -> None:
            # SO_LINGER 0: the close sends a TCP reset, as a broken proxy would.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def _send(self, status: int, payload: bytes, ctype: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if payload:
                self.wfile.write(payload)

    return Handler
