"""GitHub Enterprise Server: the API lives at `{server}/api/v3` (GITHUB_API_URL) and the web at GITHUB_SERVER_URL.
Neither is ever guessed: every request goes to GITHUB_API_URL, every link the report carries starts with
GITHUB_SERVER_URL, and nothing goes anywhere else (api.github.com, github.com, uploads.github.com, …).

"Anywhere else" is observable: the run gets HTTP(S)_PROXY pointing at a tripwire proxy with only the fake's
address in NO_PROXY, so any other host the run contacts (by Python or by git) is recorded there.
GITHUB_SERVER_URL names the fake by another host name (`localhost`), so a link built from the API URL, or a
request to the web side, shows.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e import logcheck
from tests.e2e.hostile_support import github_env, make_repo, pr_target_payload, run_entrypoint
from tests.fakes.github import FakeGitHub


class TripwireProxy(ThreadingHTTPServer):
    """An HTTP proxy that forwards nothing: it records each request (`CONNECT host:443`, `GET http://…`)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    def _refuse(self) -> None:
        assert isinstance(self.server, TripwireProxy)
        self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_CONNECT = do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[TripwireProxy]:
    server = TripwireProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _png(color: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_enterprise_server_requests_go_to_api_v3_and_links_to_the_server_url(
    fake_github: FakeGitHub, tmp_path: Path, proxy: TripwireProxy
) -> None:
    gh = fake_github
    server_url = gh.server_url.replace("127.0.0.1", "localhost")
    repo = tmp_path / "ws"
    base, head = make_repo(repo, {"eval/metrics.json": '{"acc": 0.5}'}, {"eval/metrics.json": '{"acc": 0.75}',
                           "report.md": "Enterprise\n\n![inline](inline.png)\n", "plot.png": _png("purple"),
                           "inline.png": _png("orange")})  # fmt: skip
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    number = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
    payload = pr_target_payload(gh, base, head, number)
    env = github_env(gh, repo, tmp_path / "runner", "pull_request_target", payload, head, gh.app_token,
                     report="report.md", metrics="eval/metrics.json", images="plot.png", send_as="both")  # fmt: skip
    env |= {"GITHUB_API_URL": gh.enterprise_api_url, "GITHUB_SERVER_URL": server_url}
    env |= {name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")}
    env |= {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}

    run = run_entrypoint(repo, env)
    assert run.code == 0, run.log
    assert logcheck.problems(run.log, secrets=[gh.app_token]) == []
    assert proxy.seen == []  # no request to any other host
    assert gh.requests and all(request.enterprise for request in gh.requests), [
        (r.method, r.path) for r in gh.requests if not r.enterprise
    ]
    prefix = f"/repos/{gh.repo}"
    assert [f"{r.method} {r.path.removeprefix(prefix)}" for r in gh.writes()] == [
        "POST /git/blobs",
        "POST /git/blobs",
        "POST /git/trees",
        "POST /git/commits",
        "POST /git/refs",
        "POST /check-runs",
        f"POST /issues/{number}/comments",
        "POST /git/trees",  # the results store records the run (docs/store.md), through the same API prefix
        "POST /git/commits",
        "PATCH /git/refs/heads/cml-assets",
    ]

    (posted,) = gh.issue_comments(gh.repo, number)
    tip = gh.ref(gh.repo, "heads/cml-assets")
    (tip,) = gh.commit(gh.repo, tip)["parents"]  # the images' commit, under the results store's record
    links = re.findall(r"\]\((http[^)\s]+)\)", posted["body"])
    image_links = [link for link in links if "/blob/" in link]
    assert len(image_links) == 2  # the `images` input and the image the markdown references
    for link in image_links:
        assert link.startswith(f"{server_url}/{gh.repo}/blob/{tip}/cml/") and link.endswith("?raw=true"), link
        # The link resolves on the server's web side (the fake serves raw blobs there) to a published PNG.
        with urllib.request.urlopen(link.replace("localhost", "127.0.0.1"), timeout=5) as answer:
            assert answer.read().startswith(b"\x89PNG")
    assert f"({server_url}/{gh.repo}/actions/runs/7)" in posted["body"]  # the footer's run link
    assert not [link for link in links if not link.startswith(server_url)], links

    (check,) = gh.check_runs(gh.repo)
    images = gh.check_run_output(gh.repo, check["id"]).get("images", [])
    assert images and all(image["image_url"].startswith(f"{server_url}/{gh.repo}/blob/{tip}/") for image in images)
    assert check["details_url"] == f"{server_url}/{gh.repo}/actions/runs/7"
