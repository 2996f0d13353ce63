"""Runners shared by the hostile-content, symlink, token-canary and Enterprise tests: a repository with a
baseline and a head commit, the Docker-action env GitHub gives, and the entrypoint run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.e2e import gitlab_support, logcheck, payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.gitutil import GIT_ENV, git, init_repo

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- cml-action:key=CML/train -->"
ZWSP = "\u200b"
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


def make_repo(path: Path, baseline: Mapping[str, str | bytes], head: Mapping[str, str | bytes]) -> tuple[str, str]:
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
        "CML_WRITE_INTERVAL": "0",  # GitHub's 1 s between writes is for real GitHub, not the fake
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


def run_gitlab_job(gl: FakeGitLab, tmp: Path, files: Mapping[str, str | bytes], token: str, api_url: str = "",
                   **inputs: str) -> Run:  # fmt: skip
    """An MR pipeline job (`CI_*` as GitLab sets them, inputs as `CML_<NAME>`) on a fresh two-commit workspace."""
    repo = tmp / "ws"
    base, head = make_repo(repo, {"README.md": "seed\n"}, files)
    ws = gitlab_support.Workspace(repo, base, head)
    gitlab_support.seed(gl, ws)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), **GIT_ENV, **gitlab_support.predefined(gl, ws)}
    env |= {"CML_TOKEN": token, "CML_FETCH_BASELINE": "false"}
    env |= {f"CML_{name.upper()}": value for name, value in inputs.items()}
    if api_url:
        env["CI_API_V4_URL"] = api_url + "/api/v4"
    return run_entrypoint(repo, env)


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


def acted(log: str, kind: str) -> list[logcheck.Command]:
    return [command for command in logcheck.scan(log) if command.name == kind and not command.paused]
