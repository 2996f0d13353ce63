"""Issue 15, dangerous inputs: runs of the entrypoint against the fake GitHub where an input used to hang, leak,
inject or end in "internal error". Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.action_support import MARKER, Workspace, pr_event, run_action
from tests.e2e.action_support import workspace as workspace  # the fixture
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


def test_a_five_megabyte_report_line_keeps_the_metrics_in_the_summary_and_the_comment(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    (ws.path / "report.md").write_text("start " + "x" * 5_000_000 + " end\n", encoding="utf-8")
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md",
                     metrics="eval/metrics.json")  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    assert len(run.summary.encode("utf-8")) <= 1024 * 1024
    (posted,) = gh.issue_comments(gh.repo, number)
    for shown in (run.summary, posted["body"]):
        assert "| eval/metrics.json | acc " in shown  # the table survived
        assert shown.count("x" * 1000) >= 10  # and as much of the text as fits
        assert "report text truncated" in shown
    assert run.summary.rstrip().endswith(MARKER)


def test_a_one_megabyte_string_metric_does_not_pad_the_table_out_of_the_comment(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    note = "n" * 1_000_000
    (ws.path / "eval" / "metrics.json").write_text(f'{{"acc": 0.95, "loss": 0.2, "note": "{note}"}}\n')
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md",
                     metrics="eval/metrics.json")  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    (posted,) = gh.issue_comments(gh.repo, number)
    rows = [line for line in posted["body"].splitlines() if line.startswith("| eval/metrics.json")]
    assert [row.split("|")[2].strip() for row in rows] == ["acc", "loss", "note"]
    assert all(len(row) < 1000 for row in rows)
    assert "n" * 199 + "…" in rows[2] and "report truncated" not in posted["body"]


def test_images_over_the_cap_are_left_out_with_a_warning_and_the_rest_land_in_one_commit(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    from PIL import Image

    from cml_action.media import MAX_IMAGES_PER_REPORT

    gh, ws = fake_github, workspace
    (ws.path / "plots").mkdir()
    for n in range(MAX_IMAGES_PER_REPORT + 5):
        Image.new("RGB", (4, 4), (n, 0, 9)).save(ws.path / "plots" / f"p{n:03d}.png")
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(
        gh, ws, "pull_request", pr_event(gh, ws, number), store="off", report="report.md", images="plots/*.png"
    )
    assert run.code == 0, run.stdout + run.stderr
    (posted,) = gh.issue_comments(gh.repo, number)
    assert posted["body"].count("?raw=true)") == MAX_IMAGES_PER_REPORT
    warnings = [line for line in run.log if line.startswith("::warning") and "left out" in line]
    assert len(warnings) == 1 and "plots/p104.png" in warnings[0]
    assert "5 images left out" in posted["body"]
    writes = [f"{r.method} {r.path}" for r in gh.requests if r.method != "GET"]
    assert sum("/git/commits" in w for w in writes) == 1 and sum("/git/refs" in w for w in writes) == 1
