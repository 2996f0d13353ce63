"""Shared by the GitLab end-to-end tests: a real git workspace with a baseline and a head commit, a fake GitLab that
knows both commits and an open MR, and the job variables templates/report.yml sets for given inputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fakes.gitlab import FakeGitLab

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "report.yml"
MR_IID = 3
_INPUT_REF = re.compile(r"\$\[\[ inputs\.([a-z-]+) \]\]")


@dataclass(frozen=True)
class Workspace:
    path: Path
    base_sha: str
    head_sha: str


def git(path: Path, *args: str) -> str:
    env_args = ["-c", "user.email=ci@example.com", "-c", "user.name=CI", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, *args], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def make_workspace(path: Path) -> Workspace:
    """Baseline commit (acc 0.80) then head commit (acc 0.90); the working tree is the head."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "report.md").write_text("# Training results\n\nTrained for 3 epochs.\n", encoding="utf-8")
    (path / "metrics.json").write_text(json.dumps({"acc": 0.8, "loss": 0.5}), encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "baseline")
    base = git(path, "rev-parse", "HEAD")
    (path / "metrics.json").write_text(json.dumps({"acc": 0.9, "loss": 0.4}), encoding="utf-8")
    git(path, "commit", "-q", "-am", "better model")
    return Workspace(path, base, git(path, "rev-parse", "HEAD"))


def seed(gl: FakeGitLab, ws: Workspace, *, open_mr: bool = True) -> None:
    gl.add_commit(gl.project_id, ws.base_sha)
    gl.add_commit(gl.project_id, ws.head_sha)
    gl.add_mr(gl.project_id, ws.head_sha, iid=MR_IID, state="opened" if open_mr else "merged")


def predefined(gl: FakeGitLab, ws: Workspace, *, mr: bool = True) -> dict[str, str]:
    """What GitLab sets for the job (MR pipeline or branch pipeline)."""
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": gl.api_url,
        "CI_SERVER_URL": gl.server_url,
        "CI_PROJECT_ID": str(gl.project_id),
        "CI_PROJECT_PATH": gl.project_path,
        "CI_PROJECT_DIR": str(ws.path),
        "CI_COMMIT_SHA": ws.head_sha,
        "CI_JOB_NAME": "cml-report",
        "CI_JOB_URL": f"{gl.server_url}/{gl.project_path}/-/jobs/77",
        "CI_PIPELINE_ID": "55",
        "CI_PIPELINE_URL": f"{gl.server_url}/{gl.project_path}/-/pipelines/55",
        "CI_JOB_TOKEN": gl.job_token,
        "CI_DEFAULT_BRANCH": "main",
    }
    if mr:
        env |= {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": str(MR_IID),
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": ws.base_sha,
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        }
    else:
        env |= {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": ws.base_sha, "CI_COMMIT_BRANCH": "feature"}
    return env


def template_variables(inputs: dict[str, Any]) -> dict[str, str]:
    """The job's `variables:` after GitLab interpolates `inputs` (and the spec defaults) into the template."""
    header, body = yaml.safe_load_all(TEMPLATE.read_text(encoding="utf-8"))
    spec = header["spec"]["inputs"]
    unknown = set(inputs) - set(spec)
    assert not unknown, f"not inputs of the component: {unknown}"

    def value(name: str) -> str:
        raw = inputs.get(name, spec[name].get("default"))
        return str(raw).lower() if isinstance(raw, bool) else str(raw)

    variables: dict[str, str] = body[".cml-report"]["variables"]
    return {name: _INPUT_REF.sub(lambda m: value(m.group(1)), str(text)) for name, text in variables.items()}


def clean_env() -> dict[str, str]:
    prefixes = ("CI_", "GITLAB_", "GITHUB_", "CML_", "INPUT_", "RUNNER_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k not in ("REPO_TOKEN",)}


def run_job(gl: FakeGitLab, ws: Workspace, *, mr: bool = True, token: str | None = None,
            **inputs: Any) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = clean_env() | predefined(gl, ws, mr=mr) | template_variables(inputs)
    env["CML_TOKEN"] = gl.project_token if token is None else token  # the masked CI/CD variable
    env = {k: v for k, v in env.items() if v != "" or k == "INPUT_TOKEN"}
    return subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws.path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def report_file(ws: Workspace) -> str:
    return (ws.path / "cml-report" / "report.md").read_text(encoding="utf-8")


def mr_bodies(gl: FakeGitLab) -> list[str]:
    return [n["body"] for n in gl.mr_notes(gl.project_id, MR_IID)]
