"""Matrix jobs as real processes: one `python entrypoint.py` per job, each in its own clone of one workspace, all
started together against a fake forge (the concurrency tests and benchmarks/bench_matrix.py share this)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e import payloads
from tests.e2e.github_support import runner_env
from tests.fakes.github import FakeGitHub
from tests.gitutil import commit_files, git, init_repo

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "entrypoint.py"
IMAGE_LINK = re.compile(
    r"(?P<url>https?://[^\s()]+/blob/(?P<commit>[0-9a-f]{40})/(?P<path>cml/[0-9a-f]{2}/(?P<sha>[0-9a-f]{64})\.png)"
    r"\?raw=true)"
)


@dataclass(frozen=True)
class Template:
    """A workspace with a baseline and a head commit; each job clones it (as each runner checks out the repo)."""

    path: Path
    base: str
    head: str


@dataclass(frozen=True)
class Job:
    command: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class Finished:
    index: int
    code: int
    seconds: float  # from the process start to its exit
    log: str  # stdout then stderr


def make_template(folder: Path) -> Template:
    repo = init_repo(folder / "template")
    base = commit_files(repo, {"report.md": "# Training\n\nbaseline\n", "metrics.json": '{"acc": 0.8}\n'})
    head = commit_files(repo, {"report.md": "# Training\n\nAccuracy went **up**.\n", "metrics.json": '{"acc": 0.9}\n'})
    return Template(repo, base, head)


def clone(template: Template, folder: Path) -> Path:
    git(template.path.parent, "clone", "-q", str(template.path), str(folder))
    return folder


def job_image(workspace: Path, index: int) -> str:
    """A plot that differs per job (size and colour), so every job publishes its own blob."""
    from PIL import Image

    Image.new("RGB", (40 + index, 20), (17 * index % 256, 90, 200)).save(workspace / "plot.png")
    return "plot.png"


def github_job(gh: FakeGitHub, template: Template, folder: Path, number: int, run_id: int, **inputs: str) -> Job:
    """A pull_request job of the CML workflow; `inputs` use the action's input names (hyphens)."""
    runner = folder / "runner"
    runner.mkdir(parents=True)
    event = payloads.with_commits("pull_request_opened", head=template.head, base=template.base, number=number,
                                  repo=gh.repo)  # fmt: skip
    event_path = payloads.write(runner / "event.json", event)
    env = runner_env(gh, head=template.head, event="pull_request", event_path=event_path, workspace=folder / "ws",
                     runner=runner, run_id=str(run_id))  # fmt: skip
    env["INPUT_FETCH-BASELINE"] = "false"
    env |= {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    return Job([sys.executable, str(ENTRYPOINT)], env, folder / "ws")


def run_together(jobs: list[Job], *, timeout: float) -> list[Finished]:
    """Start every job at once (as a matrix does) and wait for all; each job's time runs from its own start."""
    logs = [job.cwd.parent / "log.txt" for job in jobs]
    started: list[float] = []
    processes: list[subprocess.Popen[bytes]] = []
    for job, log in zip(jobs, logs, strict=True):
        with log.open("wb") as sink:
            started.append(time.perf_counter())
            processes.append(
                subprocess.Popen(job.command, cwd=job.cwd, env=job.env, stdout=sink, stderr=subprocess.STDOUT)
            )
    ended: dict[int, float] = {}
    deadline = time.perf_counter() + timeout
    while len(ended) < len(processes) and time.perf_counter() < deadline:
        for index, process in enumerate(processes):
            if index not in ended and process.poll() is not None:
                ended[index] = time.perf_counter()
        time.sleep(0.02)
    for index, process in enumerate(processes):
        if index not in ended:  # a hang: stop only the processes this function started
            process.kill()
            process.wait()
            ended[index] = time.perf_counter()
    return [
        Finished(i, p.returncode, ended[i] - started[i], logs[i].read_text(encoding="utf-8", errors="replace"))
        for i, p in enumerate(processes)
    ]
