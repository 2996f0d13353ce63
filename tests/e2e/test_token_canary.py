"""Token canary (issue 7): a distinctive token in INPUT_TOKEN / GITHUB_TOKEN (GitHub) or CML_TOKEN (GitLab) must
never appear in stdout, stderr, the job summary, GITHUB_OUTPUT, the report file, or any request body or URL the
forge received — not on success, not on bad input, not when publishing fails for good, not when a server echoes
the credential back in its error, not when the client library raises. (Request headers carry it; that is the
only place it may go.)

Every scenario is `python entrypoint.py` in its own workspace against its own server; they run concurrently
(one module fixture) because two of them wait out the full retry schedule of a server that answers 500 forever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e import logcheck
from tests.e2e.hostile_support import (
    Run,
    github_env,
    make_repo,
    pr_target_payload,
    run_entrypoint,
    run_gitlab_job,
)
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab

GITHUB_CANARY = "ghs_CANARY7q2XbV9mLk3Pz8Wd4Rt6Yh1Nc5Fg0Js"  # ghs_ + 36: an installation token's shape
GITLAB_CANARY = "glpat-CANARYx7Kq2Vb9Mz4Lw8Tn"  # glpat- + 20
CANARY_CORE = "CANARY"  # no part of a canary may leak either (e.g. a token cut after its prefix)
METRICS = {"eval/metrics.json": '{"acc": 0.9}\n', "report.md": "Report\n"}


@dataclass(frozen=True)
class Outcome:
    run: Run
    sent: str  # every request body, path and query the server received, as one text
    expect_code: int
    expect_line: str  # a text the one error line (or the log, on success) must contain
    problems: tuple[str, ...] = ()  # server-side problems (fake crashes, spec violations)
    report_files: str = ""  # every file in the report output folder


# -- servers ------------------------------------------------------------------------------------------------------


class EchoServer(ThreadingHTTPServer):
    """A forge that misbehaves on purpose: it copies the request's credential into its answers.

    Modes: `401` (Bad credentials: <credential>), `422-on-write` (reads answer `[]`, writes 422 with the
    credential in `errors`), `403-list` (a JSON list body), `418-text` (plain text), `bad-json` (a truncated JSON
    body on 200, so the client library fails to decode it), `bad-redirect` (302 to a URL built from the token,
    which the HTTP library cannot even parse).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _EchoHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _EchoHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        assert isinstance(self.server, EchoServer)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        self.server.seen.append(f"{self.command} {self.path}\n{body}")
        credential = self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""
        token = credential.split(" ")[-1]
        status, payload, headers = self._response(self.server.mode, credential, token)
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "X-Echo": credential, **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _response(self, mode: str, credential: str, token: str) -> tuple[int, bytes, dict[str, str]]:
        if mode == "401":
            return 401, json.dumps({"message": f"Bad credentials: {credential}"}).encode(), {}
        if mode == "422-on-write":
            if self.command == "GET":
                return 200, b"[]", {}
            errors = [{"resource": "IssueComment", "code": "custom", "message": f"token {token} is not allowed"}]
            return 422, json.dumps({"message": f"Validation Failed ({token})", "errors": errors}).encode(), {}
        if mode == "403-list":
            return 403, json.dumps([credential, token]).encode(), {}
        if mode == "418-text":
            return 418, f"I'm a teapot holding {credential}".encode(), {"Content-Type": "text/plain"}
        if mode == "bad-json":
            return 200, ('{"message": "' + token).encode(), {}
        return 302, b"", {"Location": f"http://[{token}/x"}

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Callable[[], None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop


# -- scenarios ----------------------------------------------------------------------------------------------------


def _github_sent(gh: FakeGitHub) -> str:
    return json.dumps([[r.method, r.path, r.query, r.json] for r in gh.requests])


def _github_problems(gh: FakeGitHub) -> tuple[str, ...]:
    return (*gh.internal_errors, *gh.violations)


def _report_files(repo: Path) -> str:
    folder = repo / "cml-report"
    files = sorted(folder.rglob("*")) if folder.is_dir() else []
    return "".join(path.read_bytes().decode("utf-8", errors="replace") for path in files if path.is_file())


def _github_run(gh: FakeGitHub, tmp: Path, files: Mapping[str, str | bytes], api_url: str = "",
                **inputs: str) -> Run:  # fmt: skip
    """A `pull_request_target` run with the canary as INPUT_TOKEN and GITHUB_TOKEN."""
    repo = tmp / "ws"
    base, head = make_repo(repo, {"README.md": "seed\n"}, files)
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    number = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
    payload = pr_target_payload(gh, base, head, number)
    env = github_env(gh, repo, tmp / "runner", "pull_request_target", payload, head, GITHUB_CANARY, **inputs)
    env["GITHUB_TOKEN"] = GITHUB_CANARY
    if api_url:
        env["GITHUB_API_URL"] = api_url
    return run_entrypoint(repo, env)


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (24, 12), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def github_success(tmp: Path) -> Outcome:
    with FakeGitHub() as gh:
        gh.add_token(GITHUB_CANARY, "github-actions[bot]", kind="app", permission="write", user_id=41898282)
        files: dict[str, str | bytes] = {**METRICS, "plot.png": _png()}
        run = _github_run(gh, tmp, files, report="report.md", metrics="eval/metrics.json", images="plot.png",
                          send_as="both")  # fmt: skip
        sent = _github_sent(gh) + json.dumps([blob.decode("latin-1") for blob in _blobs(gh)])
        return Outcome(run, sent, 0, "Report posted to PR #", _github_problems(gh), _report_files(tmp / "ws"))


def _blobs(gh: FakeGitHub) -> list[bytes]:
    return list(gh.state.get_repo(gh.repo).git.blobs.values())


def github_bad_input(tmp: Path) -> Outcome:
    with FakeGitHub() as gh:
        gh.add_token(GITHUB_CANARY, "github-actions[bot]", kind="app", permission="write", user_id=41898282)
        run = _github_run(gh, tmp, METRICS, report="report.md", send_as="sometimes")
        return Outcome(run, _github_sent(gh), 1, "input 'send-as'", _github_problems(gh))


def github_500_forever(tmp: Path) -> Outcome:
    with FakeGitHub() as gh:
        gh.add_token(GITHUB_CANARY, "github-actions[bot]", kind="app", permission="write", user_id=41898282)
        gh.faults.add("POST", r"/issues/\d+/comments$", "status", times=1000, status=500)
        run = _github_run(gh, tmp, METRICS, report="report.md", metrics="eval/metrics.json")
        return Outcome(run, _github_sent(gh), 1, "failed after 5 attempts", _github_problems(gh),
                       _report_files(tmp / "ws"))  # fmt: skip


def github_echo(mode: str, expect_code: int, expect_line: str) -> Callable[[Path], Outcome]:
    def scenario(tmp: Path) -> Outcome:
        echo = EchoServer(mode)
        stop = _serve(echo)
        try:
            with FakeGitHub() as gh:  # only for the repository name and the payload; the API is the echo server
                run = _github_run(gh, tmp, METRICS, api_url=echo.url, report="report.md")
        finally:
            stop()
        return Outcome(run, "\n".join(echo.seen), expect_code, expect_line)

    return scenario


def _gitlab_run(gl: FakeGitLab, tmp: Path, files: Mapping[str, str | bytes], api_url: str = "",
                **inputs: str) -> Run:  # fmt: skip
    return run_gitlab_job(gl, tmp, files, GITLAB_CANARY, api_url, **inputs)


def _gitlab_sent(gl: FakeGitLab) -> str:
    return json.dumps([[r.method, r.path, r.query, repr(r.body)] for r in gl.requests])


def gitlab_success(tmp: Path) -> Outcome:
    with FakeGitLab() as gl:
        gl.add_token(GITLAB_CANARY, gl.bot, kind="project")
        run = _gitlab_run(gl, tmp, {**METRICS, "plot.png": _png()}, report="report.md",
                          metrics="eval/metrics.json", images="plot.png", send_as="both")  # fmt: skip
        return Outcome(run, _gitlab_sent(gl), 0, "Report posted to MR !", (), _report_files(tmp / "ws"))


def gitlab_500_forever(tmp: Path) -> Outcome:
    with FakeGitLab() as gl:
        gl.add_token(GITLAB_CANARY, gl.bot, kind="project")
        gl.faults.add("POST", r"/notes$", "status", times=1000, status=500)
        run = _gitlab_run(gl, tmp, METRICS, report="report.md", metrics="eval/metrics.json")
        # A 500 is retried like GitHub's (one rule for both forges), then one line.
        expected = "failed after 5 attempts: 500 Internal Server Error"
        return Outcome(run, _gitlab_sent(gl), 1, expected, (), _report_files(tmp / "ws"))


def gitlab_echo(tmp: Path) -> Outcome:
    echo = EchoServer("401")
    stop = _serve(echo)
    try:
        with FakeGitLab() as gl:
            run = _gitlab_run(gl, tmp, METRICS, api_url=echo.url, report="report.md")
    finally:
        stop()
    return Outcome(run, "\n".join(echo.seen), 1, "401")


SCENARIOS: dict[str, Callable[[Path], Outcome]] = {
    "github-success": github_success,
    "github-bad-input": github_bad_input,
    "github-500-forever": github_500_forever,
    "github-echo-401": github_echo("401", 1, "GitHub answered 401"),
    "github-echo-422-on-write": github_echo("422-on-write", 1, "GitHub answered 422"),
    # A 403 whose body is a JSON list (no message): the usual publish error line, exit 1.
    "github-echo-403-list": github_echo("403-list", 1, "GitHub answered 403"),
    "github-echo-418-text": github_echo("418-text", 1, "GitHub answered 418"),
    # A 200 whose body is not JSON (an SSO or proxy page): a publish error naming the host, exit 1.
    "github-echo-bad-json": github_echo("bad-json", 1, "127.0.0.1 answered 200 with a page that is not JSON"),
    # A 302 is not followed (only a same-host 301 is, for renamed repositories): a publish error, exit 1.
    "github-echo-bad-redirect": github_echo("bad-redirect", 1, "GitHub answered 302"),
    "gitlab-success": gitlab_success,
    "gitlab-500-forever": gitlab_500_forever,
    "gitlab-echo-401": gitlab_echo,
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = {name: pool.submit(run, tmp_path_factory.mktemp(name)) for name, run in SCENARIOS.items()}
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_token_never_leaves_the_authorization_header(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    run = outcome.run
    assert outcome.problems == ()
    assert "Traceback" not in run.log
    assert run.code == outcome.expect_code, run.log
    if outcome.expect_code:
        errors = [line for line in run.log.splitlines() if line.startswith(("::error", "error:"))]
        assert len(errors) == 1 and outcome.expect_line in errors[0], run.log
    else:
        assert outcome.expect_line in run.log, run.log
    # `::add-mask::TOKEN` is how the runner learns to mask it (the runner hides that line); nothing else may name it.
    stdout = "\n".join(line for line in run.stdout.splitlines() if line != f"::add-mask::{GITHUB_CANARY}")
    places = {
        "stdout": stdout,
        "stderr": run.stderr,
        "summary": run.summary,
        "GITHUB_OUTPUT": run.output_file,
        "report file": run.report,
        "report folder": outcome.report_files,
        "requests": outcome.sent,
    }
    for where, text in places.items():
        assert CANARY_CORE not in text, f"the token leaked into {where}"
    if name.startswith("github"):
        # The runner masks what `add-mask` names; the canary is the only value we may name.
        masks = [c.data for c in logcheck.scan(run.log) if c.name == "add-mask"]
        assert set(masks) <= {GITHUB_CANARY}


def test_the_scenarios_reached_the_servers(outcomes: dict[str, Outcome]) -> None:
    """A canary that was never sent proves nothing: every publishing scenario made requests with it."""
    for name, outcome in outcomes.items():
        if name != "github-bad-input":
            assert outcome.sent.strip(), name
    assert outcomes["github-success"].report_files and outcomes["gitlab-success"].report_files


def test_an_error_answer_with_a_plain_text_body_is_one_clear_line(outcomes: dict[str, Outcome]) -> None:
    """A proxy in front of GitHub Enterprise answers 4xx with text or HTML: the error then has `data={"data": …}`
    and no message. The user must get the usual publish error (exit 1), not "internal error: IndexError"."""
    run = outcomes["github-echo-418-text"].run
    (error,) = [line for line in run.log.splitlines() if line.startswith("::error")]
    assert run.code == 1 and "publishing the comment to octo-org/hello-world failed: GitHub answered 418" in error
