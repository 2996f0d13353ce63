"""The HTTP stack of both forges: GitHub's REST client (headers, API prefix, pagination, typed errors, keep-alive),
proxies and TLS as both forges see them (the same variables), and answers that are not what an API sends.

A scripted loopback server answers each request from a queue and records what it got (request line, headers,
body, which TCP connection). Proxies: a recording proxy for plain-HTTP origins, and a CONNECT proxy (plain or
itself behind TLS) that tunnels to a TLS server whose certificate only `CA_VARIABLES` make trusted.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cml_action.forges.github.failures import classify
from cml_action.forges.github.rest import (
    ApiError,
    ConnectionLost,
    ConnectTimeout,
    GitHubRest,
    ResponseTimeout,
    RestError,
    UntrustedCertificate,
)

TOKEN = "ghs_" + "S3CRET" * 6
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                   "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # fmt: skip


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    stall: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection instead of answering


@dataclass
class Seen:
    line: str
    headers: dict[str, str]
    body: bytes
    connection: int


class Scripted(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.seen: list[Seen] = []
        self.connections = itertools.count(1)  # numbers each accepted TCP connection (object ids get reused)
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        assert isinstance(self.server, Scripted)
        self.number = next(self.server.connections)

    def _answer(self) -> None:
        server = self.server
        assert isinstance(server, Scripted)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        server.seen.append(Seen(self.requestline, headers, body, self.number))
        answer = server.answers.pop(0) if server.answers else Answer(body={})
        time.sleep(answer.stall)
        if answer.drop:
            self.close_connection = True
            return
        payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        for name, value in {"Content-Type": "application/json", **answer.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[Scripted]:
    yield from _serve(Scripted())


def test_requests_carry_githubs_headers_and_the_enterprise_prefix(server: Scripted) -> None:
    server.answers.append(Answer(201, {"id": 1}))
    client = GitHubRest(server.url + "/api/v3/", TOKEN, timeout=2)
    assert client.request("POST", "/repos/o/r/issues/1/comments", body={"body": "hé"}) == {"id": 1}
    (seen,) = server.seen
    assert seen.line == "POST /api/v3/repos/o/r/issues/1/comments HTTP/1.1"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.headers["x-github-api-version"] == "2022-11-28"
    assert seen.headers["user-agent"].startswith("cml-action")
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"body": "hé"}
    assert TOKEN not in repr(client)


def test_pages_follow_the_link_header_lazily_and_reuse_one_connection(server: Scripted) -> None:
    nxt = f'<{server.url}/api/v3/repos/o/r/issues/1/comments?per_page=100&page=2>; rel="next", <x>; rel="last"'
    server.answers += [Answer(body=[{"id": 1}, {"id": 2}], headers={"Link": nxt}), Answer(body=[{"id": 3}])]
    client = GitHubRest(server.url + "/api/v3", TOKEN, timeout=2)
    pages = client.pages("/repos/o/r/issues/1/comments")
    assert next(pages) == {"id": 1} and len(server.seen) == 1  # the second page is read only when needed
    assert [item["id"] for item in pages] == [2, 3]
    assert [s.line.split()[1] for s in server.seen] == [
        "/api/v3/repos/o/r/issues/1/comments?per_page=100",
        "/api/v3/repos/o/r/issues/1/comments?per_page=100&page=2",
    ]
    assert len({s.connection for s in server.seen}) == 1  # keep-alive


def test_pages_of_an_object_answer_read_the_named_list(server: Scripted) -> None:
    server.answers.append(Answer(body={"total_count": 1, "check_runs": [{"id": 9}]}))
    client = GitHubRest(server.url, TOKEN, timeout=2)
    runs = list(client.pages("/repos/o/r/commits/abc/check-runs", query={"check_name": "CML report"}, key="check_runs"))
    assert runs == [{"id": 9}]
    assert server.seen[0].line.split()[1] == "/repos/o/r/commits/abc/check-runs?check_name=CML+report&per_page=100"


def test_an_error_answer_is_typed_and_never_carries_the_token(server: Scripted) -> None:
    body = {"message": f"Bad credentials {TOKEN}", "documentation_url": "https://docs.github.com/rest"}
    headers = {"Retry-After": "7", "X-RateLimit-Reset": "1700000000", "X-Echo": TOKEN}
    server.answers.append(Answer(401, body, headers))
    with pytest.raises(ApiError) as caught:
        GitHubRest(server.url, TOKEN, timeout=2).request("GET", "/user")
    error = caught.value
    assert (error.status, error.documentation_url) == (401, "https://docs.github.com/rest")
    assert (error.headers["retry-after"], error.headers["x-ratelimit-reset"]) == ("7", "1700000000")
    assert error.message == "Bad credentials ***"
    assert TOKEN not in str(error) + repr(error.data) + repr(error.headers)


def test_a_text_error_body_becomes_data_without_a_message(server: Scripted) -> None:
    server.answers.append(Answer(502, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(ApiError) as caught:
        GitHubRest(server.url, TOKEN, timeout=2).request("GET", "/user")
    assert (caught.value.data, caught.value.message, str(caught.value)) == (
        {"data": "<html>Bad gateway</html>"},
        "",
        "GitHub answered 502",
    )


def test_a_same_host_301_is_followed_with_the_same_method(server: Scripted) -> None:
    server.answers += [
        Answer(301, {}, {"Location": f"{server.url}/repositories/42/issues/1/comments"}),
        Answer(body=[]),
    ]
    GitHubRest(server.url, TOKEN, timeout=2).request("POST", "/repos/old/r/issues/1/comments", body={"body": "x"})
    assert [s.line for s in server.seen] == [
        "POST /repos/old/r/issues/1/comments HTTP/1.1",
        "POST /repositories/42/issues/1/comments HTTP/1.1",
    ]


def test_a_dropped_connection_and_a_stall_are_distinct_transport_errors(server: Scripted) -> None:
    client = GitHubRest(server.url, TOKEN, timeout=0.3)
    server.answers.append(Answer(drop=True))
    with pytest.raises(ConnectionLost) as lost:
        client.request("POST", "/repos/o/r/git/blobs", body={})
    server.answers.append(Answer(stall=0.8))
    with pytest.raises(ResponseTimeout) as stalled:
        client.request("GET", "/user")
    for error in (lost.value, stalled.value):
        assert TOKEN not in str(error)
    assert [classify(e) is not None and classify(e).maybe_applied for e in (lost.value, stalled.value)] == [True, True]
    assert client.request("GET", "/user") == {}  # a fresh connection after a broken one


def test_a_connect_timeout_means_nothing_was_sent(monkeypatch: pytest.MonkeyPatch, server: Scripted) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise TimeoutError("timed out")

    monkeypatch.setattr("urllib3.util.connection.create_connection", never)
    monkeypatch.setattr("urllib3.connection.connection.create_connection", never)
    with pytest.raises(ConnectTimeout) as caught:
        GitHubRest(server.url, TOKEN, timeout=0.1).request("POST", "/x", body={})
    failure = classify(caught.value)
    assert failure is not None and (failure.retryable, failure.maybe_applied) == (True, False)
    assert server.seen == []


def test_an_idle_connection_the_server_closed_is_replaced(server: Scripted) -> None:
    server.answers += [Answer(body=1, headers={"Connection": "close"}), Answer(body=2)]
    client = GitHubRest(server.url, TOKEN, timeout=2)
    assert [client.request("GET", "/a"), client.request("GET", "/b")] == [1, 2]
    assert len({s.connection for s in server.seen}) == 2


class Recorder(ThreadingHTTPServer):
    """A proxy that answers itself: plain-HTTP requests come as absolute URIs, CONNECT is refused (502)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _RecorderHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecorderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        assert isinstance(self.server, Recorder)
        self.server.seen.append((self.requestline, {k.lower(): v for k, v in self.headers.items()}))
        payload = b"{}" if self.command != "CONNECT" else b""
        self.send_response(200 if self.command != "CONNECT" else 502)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_CONNECT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    yield from _serve(Recorder())


def test_http_proxy_gets_absolute_uris_with_its_credentials(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv("HTTP_PROXY", recorder.url.replace("http://", "http://user:p%40ss@"))
    GitHubRest("http://ghe.invalid/api/v3", TOKEN, timeout=2).request("GET", "/user")
    ((line, headers),) = recorder.seen
    assert line == "GET http://ghe.invalid/api/v3/user HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic dXNlcjpwQHNz"  # user:p@ss


def test_https_goes_through_a_connect_tunnel_that_never_sees_the_token(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv("https_proxy", recorder.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with pytest.raises(ConnectionLost) as caught:  # the recorder refuses the tunnel
        GitHubRest("https://api.github.invalid", TOKEN, timeout=2).request("GET", "/user")
    ((line, headers),) = recorder.seen
    assert line.startswith("CONNECT api.github.invalid:443 HTTP/1.")
    assert TOKEN not in json.dumps(headers) + str(caught.value)


def test_no_proxy_hosts_are_reached_directly(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder, server: Scripted
) -> None:
    monkeypatch.setenv("ALL_PROXY", recorder.url)
    monkeypatch.setenv("no_proxy", "example.invalid,127.0.0.1")
    GitHubRest(server.url, TOKEN, timeout=2).request("GET", "/user")
    assert recorder.seen == [] and len(server.seen) == 1


# -- TLS through a real CONNECT tunnel ------------------------------------------------------------------------------


class Tunnel(ThreadingHTTPServer):
    """A CONNECT proxy that pipes bytes to the requested host:port (loopback only)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.targets: list[str] = []
        super().__init__(("127.0.0.1", 0), _TunnelHandler)


class _TunnelHandler(BaseHTTPRequestHandler):
    def do_CONNECT(self) -> None:
        assert isinstance(self.server, Tunnel)
        self.server.targets.append(self.path)
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection(("127.0.0.1" if host == "localhost" else host, int(port)))
        self.send_response(200, "Connection established")
        self.end_headers()
        pumps = [threading.Thread(target=_pump, args=pair, daemon=True) for pair in
                 ((self.connection, upstream), (upstream, self.connection))]  # fmt: skip
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join(5)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Scripted, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    server = Scripted()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for running in _serve(server):
        yield running, cert


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_https_through_a_tunnel_with_a_custom_ca(
    monkeypatch: pytest.MonkeyPatch, tls_server: tuple[Scripted, Path], variable: str
) -> None:
    server, cert = tls_server
    tunnel = Tunnel()
    for _running in _serve(tunnel):
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{tunnel.server_address[1]}")
        monkeypatch.setenv(variable, str(cert))
        api = f"https://localhost:{server.server_address[1]}/api/v3"
        server.answers.append(Answer(body={"login": "octocat"}))
        assert GitHubRest(api, TOKEN, timeout=5).request("GET", "/user") == {"login": "octocat"}
        assert tunnel.targets == [f"localhost:{server.server_address[1]}"]
        assert server.seen[0].line == "GET /api/v3/user HTTP/1.1"
        monkeypatch.delenv(variable)
        with pytest.raises(UntrustedCertificate):  # without the CA the certificate is not trusted
            GitHubRest(api, TOKEN, timeout=5).request("GET", "/user")


def test_an_unsupported_proxy_is_one_publish_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from cml_action.errors import PublishError
    from tests.e2e.github_support import comment, context, forge
    from tests.fakes.github import FakeGitHub

    monkeypatch.setenv("ALL_PROXY", "socks5://user:pa55word@proxy.invalid:1080")
    with FakeGitHub() as gh:
        instance = forge(gh, context(gh, pr_number=1))[0]
        with pytest.raises(PublishError) as caught:
            instance.post_comment(comment("x"))
        assert gh.requests == []
    assert str(caught.value) == f"publishing the comment to {gh.repo} failed: Missing dependencies for SOCKS support."
    assert "pa55word" not in str(caught.value)


def test_a_missing_ca_bundle_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(RestError) as caught:
        GitHubRest("https://ghe.invalid/api/v3", TOKEN, timeout=1).request("GET", "/user")
    assert (
        str(caught.value)
        == f"the CA bundle SSL_CERT_FILE={tmp_path / 'missing.pem'} cannot be loaded: No such file or directory"
    )


# -- one HTTP stack: the same TLS and proxy rules on both forges, and one-line errors for what retrying cannot fix ---


def _github_forge(api_url: str, sleeps: list[float]) -> Any:
    from cml_action.context import RunContext
    from cml_action.forges.base import ForgeOptions
    from cml_action.forges.github.forge import GitHubForge

    ctx = RunContext(forge="github", workspace=Path("."), head_sha="a" * 40, event="pull_request", repo="o/r",
                     api_url=api_url, server_url=api_url, token=TOKEN, token_source="input", pr_number=1)  # fmt: skip
    options = ForgeOptions(write_interval=0.0, timeout=5.0, max_attempts=5, max_backoff=1.0)
    return GitHubForge(ctx, options, sleep=sleeps.append)


def _gitlab_forge(api_url: str, tmp_path: Path, sleeps: list[float]) -> Any:
    from cml_action.forges.base import ForgeOptions
    from cml_action.forges.gitlab.context import gitlab_context
    from cml_action.forges.gitlab.forge import GitLabForge

    env = {"GITLAB_CI": "true", "CI_SERVER_URL": api_url.removesuffix("/api/v4"), "CI_API_V4_URL": api_url,
           "CI_PROJECT_ID": "42", "CI_PROJECT_PATH": "g/p", "CI_COMMIT_SHA": "a" * 40, "CI_JOB_TOKEN": "job",
           "CML_TOKEN": TOKEN, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}  # fmt: skip
    ctx = gitlab_context(env, tmp_path)
    options = ForgeOptions(timeout=5.0, max_attempts=5, max_backoff=0.01)
    return GitLabForge(ctx, options, sleep=sleeps.append)


def _comment() -> Any:
    from cml_action.forges.base import CommentRequest, Target

    return CommentRequest("report\n<!-- k -->", "<!-- k -->", Target("auto"), "update")


def test_an_untrusted_certificate_is_named_at_once_on_both_forges(
    tls_server: tuple[Scripted, Path], tmp_path: Path
) -> None:
    from cml_action.errors import PublishError

    server, _cert = tls_server
    origin = f"https://localhost:{server.server_address[1]}"
    github_sleeps: list[float] = []
    with pytest.raises(PublishError) as github:
        _github_forge(f"{origin}/api/v3", github_sleeps).post_comment(_comment())
    gitlab_sleeps: list[float] = []
    with pytest.raises(PublishError) as gitlab:
        _gitlab_forge(f"{origin}/api/v4", tmp_path, gitlab_sleeps).post_comment(_comment())
    fix = (
        "the TLS certificate of localhost is not trusted by the default CA bundle (a private CA, e.g. GitHub "
        "Enterprise or self-managed GitLab?): set REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) to a PEM file that includes "
        "that CA"
    )
    assert str(github.value) == f"publishing the comment to o/r failed: {fix}"
    assert str(gitlab.value).endswith(f"failed: {fix}") and str(gitlab.value).startswith("GitLab: ")
    assert (github_sleeps, gitlab_sleeps, server.seen) == ([], [], [])  # not retried: it cannot fix itself


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_gitlab_trusts_the_same_ca_variables_as_github(
    monkeypatch: pytest.MonkeyPatch, tls_server: tuple[Scripted, Path], variable: str, tmp_path: Path
) -> None:
    from cml_action.forges.gitlab.client import LastResponse, make_client

    server, cert = tls_server
    monkeypatch.setenv(variable, str(cert))
    forge = _gitlab_forge(f"https://localhost:{server.server_address[1]}/api/v4", tmp_path, [])
    server.answers.append(Answer(body={"username": "octocat"}))
    client = make_client(forge._ctx, forge._options, LastResponse())
    assert client.http_get("/user") == {"username": "octocat"}
    assert server.seen[0].line == "GET /api/v4/user HTTP/1.1"


def test_https_proxy_urls_are_supported(monkeypatch: pytest.MonkeyPatch, tls_server: tuple[Scripted, Path]) -> None:
    server, cert = tls_server
    tunnel = Tunnel()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, cert.with_name("key.pem"))
    tunnel.socket = context.wrap_socket(tunnel.socket, server_side=True)
    for _running in _serve(tunnel):
        monkeypatch.setenv("HTTPS_PROXY", f"https://localhost:{tunnel.server_address[1]}")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted for the proxy and for the API alike
        server.answers.append(Answer(body={"login": "octocat"}))
        api = f"https://localhost:{server.server_address[1]}/api/v3"
        assert GitHubRest(api, TOKEN, timeout=5).request("GET", "/user") == {"login": "octocat"}
        assert tunnel.targets == [f"localhost:{server.server_address[1]}"]


def test_an_html_page_with_status_200_is_a_publish_error_naming_the_host(server: Scripted, tmp_path: Path) -> None:
    from cml_action.errors import PublishError

    sso = Answer(raw=b"<html><title>Sign in</title></html>", headers={"Content-Type": "text/html; charset=utf-8"})
    server.answers += [sso, sso]
    with pytest.raises(PublishError) as github:
        _github_forge(server.url, []).post_comment(_comment())
    assert str(github.value) == (
        "publishing the comment to o/r failed: 127.0.0.1 answered 200 with a page that is not JSON (text/html): a "
        "proxy or single sign-on page in front of the API? Check the API URL and the proxy settings (HTTPS_PROXY, "
        "NO_PROXY)"
    )
    with pytest.raises(PublishError) as gitlab:
        _gitlab_forge(f"{server.url}/api/v4", tmp_path, []).post_comment(_comment())
    assert "127.0.0.1 answered with a page that is not JSON" in str(gitlab.value)
    assert "\n" not in str(github.value) + str(gitlab.value)
