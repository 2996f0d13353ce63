"""Run the action (`python entrypoint.py`, as the GitHub runner does) on a generated project, against the fake
GitHub, for a pull request from the head commit to the baseline commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.test_github_action import Run, Workspace, pr_event, run_action
from tests.fakes.github import FakeGitHub
from tests.projects.getstarted import Project, tool_path
from tests.projects.reading import images


@dataclass(frozen=True)
class Posted:
    """What the reviewer sees (the PR comment) and what the runner recorded (exit code, log, outputs)."""

    run: Run
    body: str

    @property
    def context(self) -> str:
        """Everything to print when an assertion fails."""
        return (
            f"exit {self.run.code}\n--- body\n{self.body}\n--- stdout\n{self.run.stdout}\n--- stderr\n{self.run.stderr}"
        )

    @property
    def image_alts(self) -> list[str]:
        return [alt for alt, _ in images(self.body)]


def run_on_pull_request(gh: FakeGitHub, project: Project, monkeypatch: pytest.MonkeyPatch, **inputs: Any) -> Posted:
    """One run for a PR (head -> base); the one report comment's body ("" when none was posted)."""
    monkeypatch.setenv("PATH", tool_path())  # the image has `dvc` on PATH; so does this job
    ws = Workspace(project.workspace, project.base, project.head)
    number = gh.add_pull(gh.repo, head_sha=project.head, base_sha=project.base)
    as_text: dict[str, Any] = {name: str(value) for name, value in inputs.items()}  # INPUT_* values are strings
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), **as_text)
    comments = gh.issue_comments(gh.repo, number)
    assert len(comments) <= 1, "one report, one comment"
    return Posted(run, comments[0]["body"] if comments else "")
