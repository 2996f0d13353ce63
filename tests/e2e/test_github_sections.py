"""Sections and channels fail independently (docs/report.md, "Sections that fail independently"): the action as
the runner runs it, against the fake GitHub.

- The report file and the job summary exist before the first forge write, whatever fails afterwards.
- Images that cannot be published leave the report posted without them (a warning names each), and the step fails.
- A refused check run does not stop the comment (and the other way round); each failure is one ::error:: line.
- An update whose response was lost but which landed is found by re-reading it, not reported as a failure.
- A section whose data is broken (metrics, plots, dvc diff) becomes a warning; the rest is posted, exit 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.action_support import MARKER, Run, Workspace, pr_event, run_action
from tests.e2e.action_support import workspace as workspace  # the fixture: report.md, metrics at two commits
from tests.e2e.github_support import calls
from tests.fakes.github import FakeGitHub

IMAGE_STEPS = {"blob": r"/git/blobs$", "tree": r"/git/trees$", "commit": r"/git/commits$", "ref": r"/git/refs$"}
IMAGE_STEP_CALLS = ["POST /git/blobs", "POST /git/trees", "POST /git/commits", "POST /git/refs"]


def errors(run: Run) -> list[str]:
    return [line for line in run.log if line.startswith("::error")]


def warning_lines(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith("> - ")]


@pytest.mark.parametrize("step", list(IMAGE_STEPS))
def test_an_image_that_cannot_be_published_leaves_the_report_posted_without_it(
    fake_github: FakeGitHub, workspace: Workspace, step: str
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    gh.faults.add("POST", IMAGE_STEPS[step], "status", status=403, times=10)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), store="off", report="report.md",
                     metrics="eval/metrics.json", images="plot.png")  # fmt: skip
    assert run.code == 1, run.stdout + run.stderr
    failed_at = list(IMAGE_STEPS).index(step)
    assert calls(gh) == [
        "GET /git/ref/heads/cml-assets",
        *IMAGE_STEP_CALLS[: failed_at + 1],
        f"GET /issues/{number}/comments",
        f"POST /issues/{number}/comments",
        f"GET /issues/{number}/comments",  # after its create, a run removes same-key copies a race left
    ]
    (posted,) = gh.issue_comments(gh.repo, number)
    body = posted["body"]
    assert body.startswith("## CML Report\n\nHello **team**\n")
    assert "![" not in body  # no link to an image that is nowhere
    assert METRICS_ROW.search(body)
    (warning,) = warning_lines(body)
    assert warning == "> - image 'plot' left out: it could not be published (see the job log); the report file keeps it"
    assert body.rstrip().endswith(MARKER)
    (error,) = errors(run)
    assert error.startswith("::error::the report was posted without its 1 image(s): publishing the images to ")
    assert "Traceback" not in run.stderr
    # The report file and the summary keep the image (a local copy beside report.md) and say what happened.
    report_file = Path(run.outputs["report-file"])
    local = report_file.read_text(encoding="utf-8")
    assert "](images/" in local and warning in local
    assert "Hello **team**" in run.summary and warning in run.summary
    assert run.outputs["comment-url"] == posted["html_url"] and run.outputs["regressions"] == "0"


def test_the_report_file_and_summary_are_written_before_the_first_forge_write(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    seen: dict[str, bool] = {}
    summary = ws.path.parent / "runner-1" / "summary.md"
    report = ws.path / "cml-report" / "report.md"

    def look(_: FakeGitHub) -> None:
        seen["summary"] = summary.exists() and "Hello **team**" in summary.read_text(encoding="utf-8")
        seen["report"] = report.exists() and "Hello **team**" in report.read_text(encoding="utf-8")

    gh.faults.add("POST", r"/git/blobs$", "hook", hook=look)
    run = run_action(
        gh, ws, "pull_request", pr_event(gh, ws, number), store="off", report="report.md", images="plot.png"
    )
    assert run.code == 0, run.stdout + run.stderr
    assert seen == {"summary": True, "report": True}
    # Once the images are published, both are rewritten with the published links (written once, not appended).
    tip = gh.ref(gh.repo, "heads/cml-assets")
    link = f"{gh.server_url}/{gh.repo}/blob/{tip}/cml/"
    assert link in run.summary and run.summary.count("Hello **team**") == 1
    assert link in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("refused", ["check", "comment"])
def test_one_refused_channel_does_not_stop_the_other(
    fake_github: FakeGitHub, workspace: Workspace, refused: str
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    # The usual missing `permissions: checks: write` (or `pull-requests: write`).
    gh.faults.add("POST", r"/check-runs$" if refused == "check" else r"/issues/\d+/comments$", "status", status=403,
                  times=10)  # fmt: skip
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), store="off", report="report.md", send_as="both")
    assert run.code == 1, run.stdout + run.stderr
    relist = [f"GET /issues/{number}/comments"] if refused == "check" else []  # after a create that landed
    assert calls(gh) == ["POST /check-runs", f"GET /issues/{number}/comments", f"POST /issues/{number}/comments",
                         *relist]  # fmt: skip
    fix = "`permissions: checks: write`" if refused == "check" else "`permissions: pull-requests: write` (PRs) or"
    (error,) = errors(run)
    assert error.startswith(f"::error::publishing the {refused} to {gh.repo} failed: GitHub answered 403 Server Error")
    assert f"(give the job {fix}" in error
    comments, checks = gh.issue_comments(gh.repo, number), gh.check_runs(gh.repo)
    if refused == "check":
        (posted,) = comments
        assert posted["body"].startswith("## CML Report\n\nHello **team**\n") and checks == []
        assert run.outputs["comment-url"] == posted["html_url"] and run.outputs["comment-id"] == str(posted["id"])
        assert run.outputs["check-url"] == ""
    else:
        (check,) = checks
        assert check["output"]["summary"].startswith("## CML Report\n\nHello **team**\n") and comments == []
        assert run.outputs["check-url"] == check["html_url"] and run.outputs["comment-url"] == ""


def test_images_and_comment_both_refused_give_two_lines_and_keep_the_report(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    gh.faults.add("POST", r"/git/blobs$", "status", status=403, times=10)
    gh.faults.add("POST", r"/issues/\d+/comments$", "status", status=403, times=10)
    run = run_action(
        gh, ws, "pull_request", pr_event(gh, ws, number), store="off", report="report.md", images="plot.png"
    )
    assert run.code == 1, run.stdout + run.stderr
    images_error, comment_error = errors(run)
    assert images_error.startswith(f"::error::1 image(s) could not be published: publishing the images to {gh.repo}")
    assert comment_error.startswith(f"::error::publishing the comment to {gh.repo} failed: GitHub answered 403")
    assert gh.issue_comments(gh.repo, number) == []
    assert "Hello **team**" in run.summary and "](images/" in Path(run.outputs["report-file"]).read_text("utf-8")


def test_an_update_that_landed_but_whose_answers_were_lost_succeeds(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    first = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), store="off", run_id="1", report="report.md")
    assert first.code == 0, first.stdout + first.stderr
    (old,) = gh.issue_comments(gh.repo, number)
    gh.clear_requests()
    gh.faults.add("PATCH", r"/issues/comments/\d+$", "apply_then_drop", times=10)
    second = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), store="off", run_id="2", report="report.md")
    assert second.code == 0, second.stdout + second.stderr
    assert calls(gh) == [
        f"GET /issues/{number}/comments",
        f"PATCH /issues/comments/{old['id']}",
        f"GET /issues/comments/{old['id']}",
    ]
    (updated,) = gh.issue_comments(gh.repo, number)
    assert updated["id"] == old["id"] and "/actions/runs/2" in updated["body"]
    assert errors(second) == [] and second.outputs["comment-url"] == updated["html_url"]


# -- sections ------------------------------------------------------------------------------------------------------


METRICS_ROW = re.compile(r"^\| eval/metrics\.json +\| acc +\| 0\.8 +\| 0\.9 +\| 0\.1 +\|$", re.M)


def _report_with(gh: FakeGitHub, ws: Workspace, **inputs: str) -> tuple[str, Run]:
    """Run on a PR with report.md and `inputs`; the one comment posted (checked against the report file)."""
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", **inputs)
    assert run.code == 0, run.stdout + run.stderr
    assert errors(run) == []
    (posted,) = gh.issue_comments(gh.repo, number)
    body = str(posted["body"])
    assert body.startswith("## CML Report\n\nHello **team**\n") and body.rstrip().endswith(MARKER)
    assert Path(run.outputs["report-file"]).read_text(encoding="utf-8") == body
    assert "Hello **team**" in run.summary
    return body, run


def test_an_unparseable_metrics_file_leaves_out_the_metrics_only(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    (ws.path / "eval" / "metrics.json").write_text('{"acc": 0.9,', encoding="utf-8")
    body, run = _report_with(gh, ws, metrics="eval/metrics.json", dvc_diff="true")
    # No DVC project here: the files-changed section says why in DVC's words (or that DVC is not installed).
    metrics_line, files_line = warning_lines(body)
    assert metrics_line == (
        "> - metrics left out: metrics file 'eval/metrics.json' line 1: Expecting property name enclosed in double "
        "quotes (column 13)"
    )
    assert files_line.startswith("> - files changed (dvc-diff) left out: ")
    assert "not inside of a DVC repository" in files_line or "DVC is not installed" in files_line
    assert "| acc" not in body
    assert any(line.startswith("::warning::metrics left out: ") for line in run.log)


def test_gates_over_unreadable_metrics_are_not_evaluated_and_fail_on_regression_fails(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    (ws.path / "eval" / "metrics.json").write_text('{"acc": 0.9,', encoding="utf-8")
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md",
                     metrics="eval/metrics.json", thresholds="acc min 0.5", fail_on_regression="true")  # fmt: skip
    assert run.code == 1, run.stdout + run.stderr
    (posted,) = gh.issue_comments(gh.repo, number)  # published first, then the step fails
    assert warning_lines(posted["body"])[1:] == ["> - 1 gate(s) not evaluated: the metrics could not be read"]
    assert "passed" not in posted["body"]
    assert errors(run) == ["::error::1 gate not evaluated: the metrics could not be read (fail-on-regression is true)"]


def test_a_plot_whose_data_is_missing_leaves_out_the_plots_only(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    body, _ = _report_with(gh, ws, metrics="eval/metrics.json", plots="loss.csv")
    assert METRICS_ROW.search(body)
    assert warning_lines(body) == [
        "> - plots left out: input 'plots': 'loss.csv' not found (give a data file in the workspace or a plot id "
        "from dvc.yaml)"
    ]
    assert "dvc.yaml?" not in body


def test_a_missing_report_file_is_a_warning_and_the_rest_is_posted(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md\nmissing.md",
                     metrics="eval/metrics.json")  # fmt: skip
    assert run.code == 0 and errors(run) == [], run.stdout + run.stderr
    (posted,) = gh.issue_comments(gh.repo, number)
    body = str(posted["body"])
    assert METRICS_ROW.search(body) and "Hello **team**" in body
    assert warning_lines(body) == [
        "> - report text left out: input 'report': 'missing.md' does not exist (check the path (relative to the "
        "workspace))"
    ]


def test_dvc_diff_quotes_dvcs_own_error_and_the_rest_is_posted(
    fake_github: FakeGitHub, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh, ws = fake_github, workspace
    # A `dvc` that fails as DVC does with an S3 remote and no dvc-s3 installed.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_dvc = bin_dir / "dvc"
    fake_dvc.write_text(
        "#!/bin/sh\n"
        "echo \"ERROR: unexpected error - s3 is supported, but requires 'dvc-s3' to be installed: "
        "No module named 'dvc_s3'\" >&2\n"
        "exit 255\n",
        encoding="utf-8",
    )
    fake_dvc.chmod(0o755)
    monkeypatch.setenv("CML_DVC", str(fake_dvc))
    body, _ = _report_with(gh, ws, metrics="eval/metrics.json", dvc_diff="true")
    assert METRICS_ROW.search(body)
    assert warning_lines(body) == [
        "> - files changed (dvc-diff) left out: dvc diff failed: unexpected error - s3 is supported, but requires "
        "'dvc-s3' to be installed: No module named 'dvc_s3'"
    ]
