"""The CML-compatible commands in a pull request job of the fake GitHub: the job's environment, a workspace, and
what the commands posted; shared by the compat tests."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from cml_action import cli
from tests.e2e import payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.gitutil import commit_files, init_repo
from tests.support import tune_forge_options

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PR = 7
DEFAULT_MARKER = "<!-- cml-action:key=cml -->"


def png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Run:
    gh: FakeGitHub
    ws: Path
    head: str
    env: dict[str, str]


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "CML_", "RUNNER_")) or name in ("REPO_TOKEN",):
            monkeypatch.delenv(name)


def pull_request_job_env(gh: FakeGitHub, head: str, ws: Path, event_file: Path) -> dict[str, str]:
    """What the runner sets for a job of pull request #PR (head `head`) in workspace `ws`; no token."""
    event = payloads.with_commits("pull_request_opened", head=head, base=gh.main_sha, number=PR, repo=gh.repo)
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(payloads.write(event_file, event)),
        "GITHUB_SHA": head,
        "GITHUB_WORKSPACE": str(ws),
    }


@pytest.fixture
def run(fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:  # noqa: F811
    gh = fake_github
    head = gh.add_commit(gh.repo, {"README.md": b"# hello\n", "train.py": b"print(1)\n"}, message="Train")
    gh.add_pull(gh.repo, head_sha=head, number=PR, base_sha=gh.main_sha)
    ws = init_repo(tmp_path / "ws")
    commit_files(ws, {"README.md": "# hello\n"})
    env = pull_request_job_env(gh, head, ws, tmp_path / "event.json") | {"GITHUB_SHA": gh.main_sha}
    env |= {"GITHUB_TOKEN": gh.app_token, "GITHUB_RUN_ID": "4242", "GITHUB_WORKFLOW": "CML", "GITHUB_JOB": "train"}
    _clean_env(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ws)
    monkeypatch.setenv("CML_WRITE_INTERVAL", "0")
    tune_forge_options(monkeypatch, timeout=5.0)
    yield Run(gh, ws, head, env)


def cml(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pr_comments(run: Run) -> list[dict[str, object]]:
    return run.gh.issue_comments(run.gh.repo, PR)


def asset_link(run: Run) -> str:
    """The one image on the assets branch, as the link GitHub renders (blob URL with ?raw=true)."""
    commit = run.gh.ref(run.gh.repo, "heads/cml-assets")
    assert commit is not None
    paths = [p for p in run.gh.tree_paths(run.gh.repo, commit) if p.startswith("cml/")]
    assert len(paths) == 1
    return f"{run.gh.server_url}/{run.gh.repo}/blob/{commit}/{paths[0]}?raw=true"
