"""Every bad input: one clear line naming the input and the fix, the documented exit code, no traceback, and
nothing written to the forge (a tripwire server counts every request the run makes)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.bad_input_cases import CASES, Case
from tests.gitutil import GIT_ENV, commit_files, git, init_repo

ROOT = Path(__file__).resolve().parents[2]


class Tripwire(ThreadingHTTPServer):
    """Answers every request with 500 and remembers it: a pre-publish error must make no write at all."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _TripwireHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _TripwireHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        assert isinstance(self.server, Tripwire)
        self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"message":"tripwire"}')

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tripwire() -> Iterator[Tripwire]:
    server = Tripwire()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _png(width: int, height: int, *, body: bool = True) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height))) if body else b"\x00"
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", pixels) + (chunk(b"IEND", b"") if body else b"")


def _write(repo: Path, name: str, value: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if value.startswith("@link:"):
        path.symlink_to(os.path.expanduser(value[len("@link:") :]))
    elif value.startswith("@png:"):
        width, height = (int(n) for n in value[len("@png:") :].split("x"))
        path.write_bytes(_png(width, height))
    elif value == "@bomb":
        path.write_bytes(_png(20_000, 20_000, body=False))
    elif value == "@truncated":
        path.write_bytes(_png(64, 64)[:60])
    elif value == "@binary":
        path.write_bytes(b"\x00\x01\x02binary\x00" * 8)
    elif value == "@huge":
        path.write_bytes(b"a" * (9 * 1024 * 1024))
    elif value == "@late-nul":
        path.write_bytes(b"# Report\n" + b"text " * 4000 + b"\x00\n")
    elif value == "@fifo":
        os.mkfifo(path)
    elif value.startswith("@bigint:"):
        path.write_text(value[len("@bigint:") :].replace("BIG", "1" * 5000), encoding="utf-8")
    elif value == "@latin1":
        path.write_bytes("caf\xe9 r\xe9sultats\n".encode("latin-1"))
    else:
        path.write_text(value, encoding="utf-8")


def _forge_env(case: Case, repo: Path, head: str, tripwire: Tripwire) -> dict[str, str]:
    if case.forge == "github":
        event = repo.parent / "event.json"
        event.write_text(json.dumps({"before": "0" * 40, "after": head, "ref": "refs/heads/main",
                                     "repository": {"full_name": "octo/repo"}}))  # fmt: skip
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo/repo", "GITHUB_SHA": head,
            "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": tripwire.url,
            "GITHUB_SERVER_URL": "http://github.example", "GITHUB_WORKSPACE": str(repo), "GITHUB_RUN_ID": "7",
            "GITHUB_WORKFLOW": "ci", "GITHUB_JOB": "train", "GITHUB_OUTPUT": str(repo.parent / "out.txt"),
            "GITHUB_STEP_SUMMARY": str(repo.parent / "summary.md"), "INPUT_TOKEN": "ghs_" + "b" * 36,
        }  # fmt: skip
        if case.env.get("GITHUB_EVENT_PATH", "").startswith("@event:"):
            event.write_text(case.env["GITHUB_EVENT_PATH"][len("@event:") :])
            return {**env, **{k: v for k, v in case.env.items() if k != "GITHUB_EVENT_PATH"}}
        return {**env, **case.env}
    if case.forge == "gitlab":
        env = {
            "GITLAB_CI": "true", "CI_API_V4_URL": tripwire.url + "/api/v4", "CI_SERVER_URL": tripwire.url,
            "CI_PROJECT_ID": "42", "CI_PROJECT_PATH": "group/project", "CI_COMMIT_SHA": head,
            "CI_PIPELINE_SOURCE": "push", "CI_PROJECT_DIR": str(repo), "CI_JOB_URL": tripwire.url + "/-/jobs/1",
        }  # fmt: skip
        return {**env, **case.env}
    return dict(case.env)


def _run(case: Case, tmp_path: Path, tripwire: Tripwire) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "repo"
    if case.forge == "none":
        repo.mkdir()
    else:
        init_repo(repo)
    head = ""
    if case.commit and case.forge != "none":
        head = commit_files(repo, {"README.md": "seed\n"}, "seed")
    late = {name: value for name, value in case.files.items() if value == "@fifo"}  # git cannot add a FIFO
    for name, value in case.files.items():
        if name not in late:
            _write(repo, name, value)
    if case.commit and case.forge != "none" and len(case.files) > len(late):
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "files")
    for name, value in late.items():
        _write(repo, name, value)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        **GIT_ENV,
        **_forge_env(case, repo, head, tripwire),
    }
    return subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_the_table_is_large_and_unique() -> None:
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, tripwire: Tripwire) -> None:
    before = len(tripwire.seen)
    done = _run(case, tmp_path, tripwire)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == case.exit_code, output
    lines = [line for line in output.splitlines() if case.expect in line]
    assert lines, f"expected a line containing {case.expect!r}:\n{output}"
    if case.exit_code:
        errors = [line for line in output.splitlines() if line.startswith(("::error", "error:"))]
        assert len(errors) == 1, output
    else:
        assert any(line.startswith(("::warning", "warning:")) for line in lines), output
    writes = [request for request in tripwire.seen[before:] if not request.startswith("GET")]
    assert writes == [], f"published before failing: {writes}"
