"""Benchmark: posting a PR comment with cml-action against Iterative's CML 0.20.6 doing the same (#13's bar: ours at
most 0.5x CML's time), both against the fake GitHub over HTTPS on 127.0.0.1.

CML always talks to `https://<host>/api/v3` for a host other than github.com (GitHub Enterprise), so the fake is
served over TLS with a throw-away certificate (`openssl`) that both sides trust (NODE_EXTRA_CA_CERTS for Node,
REQUESTS_CA_BUNDLE for us), and both use the Enterprise prefix: same transport, same server, same report file.
Each side runs as the step would: `python entrypoint.py` (update mode: find our comment, then create or edit it)
and `node bin/cml.js comment create report.md` (CML's default: always a new comment). The request sequences are
printed beside the times.

CML 0.20.6 is not on the npm registry reachable here, so the benchmark takes its source: `--cml-source` a folder
holding CML's checkout at 0.20.6 (`git clone --branch v0.20.6 https://github.com/iterative/cml`); its runtime
dependencies are installed with `npm ci --omit=dev` into that folder on the first run.

Run: .venv/bin/python benchmarks/bench_vs_cml.py --cml-source /path/to/cml [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_github import make_workspace  # noqa: E402
from tests.e2e import payloads  # noqa: E402
from tests.e2e.github_support import calls, runner_env  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402

TARGET_RATIO = 0.5


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


def serve_tls(gh: FakeGitHub, cert: Path, key: Path) -> None:
    """Wrap the started fake's listening socket: every accepted connection speaks TLS from then on."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = gh._server  # the fake has no TLS switch; this benchmark is its only TLS user
    assert server is not None
    server.socket = context.wrap_socket(server.socket, server_side=True)


def ensure_cml(source: Path) -> Path:
    script = source / "bin" / "cml.js"
    if not script.is_file():
        raise SystemExit(f"{source} is not a CML checkout (no bin/cml.js)")
    if not (source / "node_modules").is_dir():
        print(f"installing CML's runtime dependencies in {source} (npm ci --omit=dev)")
        subprocess.run(["npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=source,
                       check=True, capture_output=True)  # fmt: skip
    version = subprocess.run(["node", str(script), "--version"], capture_output=True, text=True, check=True)
    if version.stdout.strip() != "0.20.6":
        print(f"note: CML reports version {version.stdout.strip()}, not 0.20.6")
    return script


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:2]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def median_of(runs: int, once: Callable[[int], float]) -> tuple[float, list[float]]:
    times = [once(run) for run in range(runs)]
    return statistics.median(times), times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cml-source", type=Path, default=os.environ.get("CML_SOURCE"),
                        help="a checkout of iterative/cml at v0.20.6 (or set CML_SOURCE)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if args.cml_source is None:
        print("skipped: give --cml-source (a checkout of iterative/cml at v0.20.6)")
        return 0
    cml = ensure_cml(args.cml_source.resolve())
    with tempfile.TemporaryDirectory(prefix="cml-vs-") as tmp, FakeGitHub() as gh:
        folder = Path(tmp)
        cert, key = make_certificate(folder)
        serve_tls(gh, cert, key)
        api = f"https://127.0.0.1:{gh.port}/api/v3"
        repo, base, head = make_workspace(folder)  # the same report as bench_github.py
        gh.register_commit(gh.repo, base)
        gh.register_commit(gh.repo, head, parents=[base])
        number = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
        # CML comments on a PR of its own: on ours, cml-action would take CML's watermarked comments over.
        cml_number = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
        event = payloads.with_commits("pull_request_opened", head=head, base=base, number=number, repo=gh.repo)
        event_path = payloads.write(folder / "event.json", event)

        def env_for(run: int) -> dict[str, str]:
            runner = folder / f"run-{run}"
            runner.mkdir(exist_ok=True)
            env = runner_env(gh, head=head, event="pull_request", event_path=event_path, workspace=repo,
                             runner=runner, run_id=str(run))  # fmt: skip
            return env | {"GITHUB_API_URL": api, "GITHUB_SERVER_URL": f"https://127.0.0.1:{gh.port}",
                          "REQUESTS_CA_BUNDLE": str(cert), "NODE_EXTRA_CA_CERTS": str(cert),
                          "INPUT_REPORT": "report.md", "INPUT_FETCH-BASELINE": "false", "INPUT_SUMMARY": "false",
                          "CML_WRITE_INTERVAL": "0"}  # fmt: skip

        ours_cmd = [sys.executable, str(ROOT / "entrypoint.py")]
        cml_cmd = ["node", str(cml), "comment", "create", "--driver", "github", "--token", gh.app_token, "--repo",
                   f"https://127.0.0.1:{gh.port}/{gh.repo}", "--target", f"pr/{cml_number}", "report.md"]  # fmt: skip
        # One warm-up each (first-run disk caches), then alternate so load drifts hit both alike.
        timed(ours_cmd, env_for(0), repo)
        timed(cml_cmd, env_for(0), repo)
        ours_times, bare_times, cml_times = [], [], []
        for run in range(1, args.runs + 1):
            ours_times.append(timed(ours_cmd, env_for(run), repo))
            bare_times.append(timed(ours_cmd, env_for(run) | {"INPUT_STORE": "off"}, repo))
            cml_times.append(timed(cml_cmd, env_for(run), repo))
        ours, bare, theirs = (statistics.median(times) for times in (ours_times, bare_times, cml_times))
        print(f"PR comment, median of {args.runs}: cml-action {ours:.3f} s, CML 0.20.6 {theirs:.3f} s; "
              f"ratio {ours / theirs:.2f} (target <= {TARGET_RATIO})")  # fmt: skip
        # The store reads main's trend before the comment and records after it: the comment itself is not later.
        print(
            f"  cml-action with store: off (no trend read, no record): {bare:.3f} s, ratio {bare / theirs:.2f}; "
            "at GitHub's 1 s write pacing a record ends the step up to 1 s after the comment is posted"
        )
        gh.clear_requests()
        timed(ours_cmd, env_for(99), repo)
        print(f"  cml-action requests: {', '.join(calls(gh))}")
        gh.clear_requests()
        timed(cml_cmd, env_for(99), repo)
        print(f"  CML requests:        {', '.join(calls(gh))}")
        return 0 if ours / theirs <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
