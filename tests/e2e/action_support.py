"""The action as a runner runs a Docker action (`python entrypoint.py` with INPUT_*, an event payload, output and
summary files) against the fake GitHub, on a workspace with a baseline and a head commit; shared by the e2e tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import payloads
from tests.e2e.github_support import runner_env
from tests.fakes.github import FakeGitHub
from tests.gitutil import commit_files, init_repo
from tests.support import read_outputs

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "entrypoint.py"
MARKER = "<!-- cml-action:key=CML/train -->"


@dataclass
class Workspace:
    path: Path
    base: str
    head: str


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def log(self) -> list[str]:
        """What the runner reads workflow commands from: stdout and stderr."""
        return self.stdout.splitlines() + self.stderr.splitlines()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    from PIL import Image

    repo = init_repo(tmp_path / "ws")
    base = commit_files(repo, {"eval/metrics.json": '{"acc": 0.80, "loss": 0.40}\n', "report.md": "old"})
    head = commit_files(repo, {"eval/metrics.json": '{"acc": 0.90, "loss": 0.30}\n', "report.md": "Hello **team**"})
    Image.new("RGB", (32, 16), "red").save(repo / "plot.png")
    return Workspace(repo, base, head)


def run_action(
    gh: FakeGitHub,
    ws: Workspace,
    event: str,
    payload: dict[str, object],
    run_id: str = "1",
    python_flags: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    **inputs: str,
) -> Run:
    gh.register_commit(gh.repo, ws.base)  # the commits were "pushed": GitHub knows them
    gh.register_commit(gh.repo, ws.head, parents=[ws.base])
    folder = ws.path.parent / f"runner-{run_id}"
    folder.mkdir()
    output, summary = folder / "output", folder / "summary.md"
    event_path = payloads.write(folder / "event.json", payload)
    env = runner_env(gh, head=ws.head, event=event, event_path=event_path, workspace=ws.path, runner=folder,
                     run_id=run_id)  # fmt: skip
    env |= {
        "INPUT_FETCH-BASELINE": "false",  # the temporary repo has no remote; both commits are local
        "CML_WRITE_INTERVAL": "0",
    }
    env.update({f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()})
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, *python_flags, str(ENTRYPOINT)],
        cwd=ws.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = read_outputs(output) if output.exists() else {}
    text = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return Run(done.returncode, done.stdout, done.stderr, outputs, text)


def pr_event(gh: FakeGitHub, ws: Workspace, number: int, name: str = "pull_request_opened") -> dict[str, object]:
    return payloads.with_commits(name, head=ws.head, base=ws.base, number=number, repo=gh.repo)
