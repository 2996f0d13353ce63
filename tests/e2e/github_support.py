"""Helpers for testing GitHubForge against the fake GitHub (tests/fakes/github)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from cml_action.context import RunContext
from cml_action.forges.base import CommentRequest, ForgeOptions, PreparedImage, Target
from cml_action.forges.github.forge import GitHubForge
from tests.fakes.github import FakeGitHub

BOT = "github-actions[bot]"


def marker(key: str = "CML/train") -> str:
    return f"<!-- cml-action:key={key} -->"


def body(text: str, key: str = "CML/train") -> str:
    return f"## CML Report\n\n{text}\n\n{marker(key)}\n"


def comment(text: str, key: str = "CML/train", *, mode: str = "update", target: Target | None = None) -> CommentRequest:
    return CommentRequest(body(text, key), marker(key), target or Target("auto"), mode)  # type: ignore[arg-type]


def context(gh: FakeGitHub, **overrides: Any) -> RunContext:
    base = RunContext(
        forge="github",
        workspace=Path("."),
        head_sha=gh.main_sha,
        event="pull_request",
        repo=gh.repo,
        api_url=gh.api_url,
        server_url=gh.server_url,
        token=gh.app_token,
        token_source="input 'token'",
        run_url=f"{gh.server_url}/{gh.repo}/actions/runs/42",
        workflow="CML",
        job="train",
        run_id="42",
    )
    return replace(base, **overrides)


class Sleeps(list[float]):
    """Records the waits the forge asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def forge(gh: FakeGitHub, ctx: RunContext | None = None, **options: Any) -> tuple[GitHubForge, Sleeps]:
    sleeps = Sleeps()
    settings = {"write_interval": 0.0, "timeout": 1.0, "max_attempts": 4, "max_backoff": 5.0, **options}
    return GitHubForge(ctx or context(gh), ForgeOptions(**settings), sleep=sleeps), sleeps


def image(folder: Path, content: bytes, name: str = "plot", ext: str = "png") -> PreparedImage:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{hashlib.md5(content).hexdigest()[:6]}.{ext}"
    path.write_bytes(content)
    return PreparedImage(path, hashlib.sha256(content).hexdigest(), ext, name, 10, 10)


def calls(gh: FakeGitHub) -> list[str]:
    """The request sequence as 'METHOD /path' (repository prefix cut), for exact assertions."""
    prefix = f"/repos/{gh.repo}"
    return [f"{r.method} {r.path.removeprefix(prefix)}" for r in gh.requests]


def report_comments(gh: FakeGitHub, number: int, key: str = "CML/train") -> list[dict[str, Any]]:
    return [c for c in gh.issue_comments(gh.repo, number) if marker(key) in c["body"]]


def runner_env(
    gh: FakeGitHub, *, head: str, event: str, event_path: Path, workspace: Path, runner: Path, run_id: str
) -> dict[str, str]:
    """What a runner sets for a Docker action step of the CML workflow's `train` job (no INPUT_* but the token)."""
    return {
        "PATH": os.environ["PATH"],
        **{name: os.environ[name] for name in ("CML_DVC",) if name in os.environ},  # a test's stand-in dvc
        "HOME": str(runner),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_SHA": head,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_RUN_ID": run_id,
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "INPUT_TOKEN": gh.app_token,
    }
