"""Hostile content (issue 7): a pull request from a fork controls the repository's files — report text, metric
names and values, file names, symlinks — and the action runs with a write token (`pull_request_target` checking
out the PR head, or a `workflow_run` job). The run is `python entrypoint.py` as a Docker action runs it.

What must hold: nothing the attacker wrote acts as a workflow command in the log (tests/e2e/logcheck.py reads the
log as the runner does), metric names render as text in the posted table, step outputs cannot be forged, and no
file outside the workspace is read and published.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import logcheck, payloads
from tests.fakes.github import FakeGitHub
from tests.gitutil import GIT_ENV, git, init_repo

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- cml-action:key=CML/train -->"
OUTPUT_NAMES = {"comment-url", "comment-id", "check-url", "report-file", "regressions"}

# -- running the action like a runner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    output_file: str  # GITHUB_OUTPUT as written
    summary: str  # GITHUB_STEP_SUMMARY as written
    report: str  # cml-report/report.md ("" when not written)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


def make_repo(path: Path, baseline: dict[str, str | bytes], head: dict[str, str | bytes]) -> tuple[str, str]:
    """A git repo with a baseline commit and a head commit (the working tree is the head); (base, head) shas."""
    init_repo(path)
    shas = []
    for files in (baseline, head):
        for name, content in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        git(path, "add", "-A")
        git(path, "commit", "-q", "--allow-empty", "-m", "commit")
        shas.append(git(path, "rev-parse", "HEAD"))
    return shas[0], shas[1]


def github_env(gh: FakeGitHub, repo: Path, runner: Path, event: str, payload: dict[str, object],
               head: str, token: str, **inputs: str) -> dict[str, str]:  # fmt: skip
    """The environment of a Docker action step: GITHUB_* of the run, INPUT_* (hyphens kept)."""
    runner.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(runner / "home"),
        **GIT_ENV,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_SHA": head,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(payloads.write(runner / "event.json", payload)),
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_RUN_ID": "7",
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "INPUT_TOKEN": token,
        "INPUT_FETCH-BASELINE": "false",  # the temporary repo has no remote; both commits are local
    }
    env.update({f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()})
    return env


def run_entrypoint(repo: Path, env: dict[str, str]) -> Run:
    done = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip

    def read(name: str) -> str:
        path = Path(name)
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    report = repo / "cml-report" / "report.md"
    return Run(done.returncode, done.stdout, done.stderr, read(env.get("GITHUB_OUTPUT", "")),
               read(env.get("GITHUB_STEP_SUMMARY", "")), read(str(report)))  # fmt: skip


def pr_target_payload(gh: FakeGitHub, base: str, head: str, number: int) -> dict[str, object]:
    """`pull_request_target` of a fork PR: the job has the base repository's write token."""
    return payloads.with_commits("pull_request_fork", head=head, base=base, number=number, repo=gh.repo)


def run_on_pr(gh: FakeGitHub, repo: Path, base: str, head: str, **inputs: str) -> tuple[Run, int]:
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    number = gh.add_pull(gh.repo, head_sha=head, base_sha=base, head_repo="someone/hello-world")
    payload = pr_target_payload(gh, base, head, number)
    env = github_env(gh, repo, repo.parent / "runner", "pull_request_target", payload, head, gh.app_token, **inputs)
    return run_entrypoint(repo, env), number


# -- the hostile repository ---------------------------------------------------------------------------------------

# Lines that are workflow commands when a runner sees them at a line start (or anywhere, for `##[`).
COMMAND_LINES = (
    "::set-output name=x::y",
    "::add-mask::secret",
    "::stop-commands::tok",
    "::error::pwned",
    "##[error]legacy",
    "::warning file=x::spoofed",
    "   ::error title=indented::indented",
    "::set-env name=NODE_OPTIONS::--require ./pwn.js",
    "::add-path::/tmp/pwn",
)
PAYLOAD_DATA = ("y", "secret", "tok", "pwned", "legacy", "spoofed", "indented", "--require", "/tmp/pwn")
HOSTILE_REPORT = "\n".join(
    [
        "# Results",
        *COMMAND_LINES,
        "<!-- cml-action:key=CML/other -->",  # another job's sticky marker: must not hijack its report
        '<img src="gone.png\n::error::from-img-src">',  # a missing image: its name reaches a warning
        "![x](missing::error::name.png)",
        "",
    ]
)
HOSTILE_METRICS = {
    "a|b": 1,
    "<script>alert(1)</script>": 2,
    "<img src=x onerror=alert(1)>": 3,
    "@octocat": 4,
    "cc @octo-org/security-team": 5,
    "`code`": 6,
    "a\n::error::x": 7,
    "::set-output name=x::y": 8,
    "##[error]legacy": 9,
    "see #1": 10,
    "[click](https://evil.example)": 11,
    "trail\\": 12,
    "value": "::add-mask::v|<b>x</b>\n::error::in-value @octocat",
}


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "ws"
    base, head = make_repo(
        repo,
        {"eval/metrics.json": '{"acc": 0.5}\n', "report.md": "old\n"},
        {"eval/metrics.json": json.dumps(HOSTILE_METRICS), "report.md": HOSTILE_REPORT},
    )
    return repo, base, head


