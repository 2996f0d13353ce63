"""Issue 15, dangerous inputs: runs of the entrypoint against the fake GitHub where an input used to hang, leak,
inject or end in "internal error". Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_github_action import MARKER, Workspace, pr_event, run_action
from tests.e2e.test_github_action import workspace as workspace  # the fixture
from tests.fakes.github import FakeGitHub


def test_a_broken_summary_and_output_path_still_posts_the_comment_with_warnings(
    fake_github: FakeGitHub, workspace: Workspace, tmp_path: Path
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    broken = {"GITHUB_STEP_SUMMARY": str(tmp_path / "gone" / "summary.md"), "GITHUB_OUTPUT": str(tmp_path)}
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", extra_env=broken)
    assert run.code == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stdout + run.stderr
    (posted,) = gh.issue_comments(gh.repo, number)
    assert posted["body"].startswith("## CML Report\n\nHello **team**") and MARKER in posted["body"]
    warnings = [line for line in run.log if line.startswith("::warning")]
    assert len(warnings) == 2, run.log
    assert "GITHUB_STEP_SUMMARY" in warnings[0] and "No such file or directory" in warnings[0]
    assert "GITHUB_OUTPUT" in warnings[1] and "Is a directory" in warnings[1]


@pytest.mark.parametrize(
    "token",
    ["ghs_CANARYfirstline0123\nCANARYsecondline4567", "ghs_CANARY\u00e9t\u00e9-beyond-latin1-\u20ac-0123456789"],
    ids=["newline", "not-latin-1"],
)
def test_a_malformed_token_is_one_line_that_does_not_echo_it(
    fake_github: FakeGitHub, workspace: Workspace, token: str
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", token=token)
    assert run.code == 1, run.stdout + run.stderr
    errors = [line for line in run.log if line.startswith("::error")]
    assert len(errors) == 1 and "input 'token'" in errors[0], run.log
    assert "internal error" not in errors[0]
    assert "CANARY" not in run.stdout + run.stderr + run.summary
    assert gh.writes() == []
