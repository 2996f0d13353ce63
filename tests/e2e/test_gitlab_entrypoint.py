"""`python entrypoint.py` as a GitLab job runs it: the variables templates/report.yml sets, against the fake GitLab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gitlab_support import MR_IID, Workspace, make_workspace, mr_bodies, report_file, run_job, seed
from tests.fakes.gitlab import FakeGitLab


@pytest.fixture
def gl() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


@pytest.fixture
def ws(tmp_path: Path, gl: FakeGitLab) -> Workspace:
    workspace = make_workspace(tmp_path / "repo")
    seed(gl, workspace)
    return workspace


def test_mr_pipeline_first_run_creates_one_note_and_rerun_updates_it(gl: FakeGitLab, ws: Workspace) -> None:
    first = run_job(gl, ws, report="report.md", metrics="metrics.json")
    assert first.returncode == 0, first.stderr
    assert mr_bodies(gl) == [report_file(ws)]
    body = mr_bodies(gl)[0]
    assert body.startswith("## CML Report\n") and "# Training results" in body
    assert "<!-- cml-action:key=gitlab-ci/cml-report -->" in body
    note_id = gl.mr_notes(gl.project_id, MR_IID)[0]["id"]

    (ws.path / "metrics.json").write_text('{"acc": 0.95, "loss": 0.3}', encoding="utf-8")
    second = run_job(gl, ws, report="report.md", metrics="metrics.json")
    assert second.returncode == 0, second.stderr
    assert mr_bodies(gl) == [report_file(ws)]
    assert "0.95" in mr_bodies(gl)[0]
    assert gl.note_updates(note_id) == 1
    assert [r.method for r in gl.writes() if "/notes" in r.path] == ["POST", "PUT"]
    # Each run recorded its results on the store branch (docs/store.md): the first run's commit is refused for
    # want of the branch and sent again starting it from main; the re-run's `create` of its commit's document is
    # refused (the first run wrote it) and sent again as an `update`.
    commits = [(r.status, r.body.get("start_branch")) for r in gl.writes() if "/notes" not in r.path]
    assert commits == [(400, None), (201, "main"), (400, None), (201, None)]


def test_branch_pipeline_of_an_mr_branch_reports_on_the_mr(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, mr=False, report="report.md", metrics="metrics.json")
    assert done.returncode == 0, done.stderr
    assert mr_bodies(gl) == [report_file(ws)]


def test_branch_pipeline_without_an_mr_reports_in_a_commit_discussion(gl: FakeGitLab, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "repo")
    seed(gl, ws, open_mr=False)
    for _ in range(2):
        done = run_job(gl, ws, mr=False, report="report.md", metrics="metrics.json")
        assert done.returncode == 0, done.stderr
    threads = gl.commit_discussions(gl.project_id, ws.head_sha)
    assert [[n["body"] for n in d["notes"]] for d in threads] == [[report_file(ws)]]


def test_send_as_both_sets_a_commit_status_and_the_note(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, report="report.md", metrics="metrics.json", **{"send-as": "both",
                   "thresholds": "acc min 0.95", "title": "Model check"})  # fmt: skip
    assert done.returncode == 0, done.stderr  # fail-on-regression is false
    statuses = gl.statuses(gl.project_id, ws.head_sha)
    assert [(s["name"], s["status"], s["target_url"]) for s in statuses] == [
        ("Model check", "failed", f"{gl.server_url}/{gl.project_path}/-/jobs/77")
    ]
    assert mr_bodies(gl) == [report_file(ws)]


def test_images_are_uploaded_once_across_reruns(gl: FakeGitLab, ws: Workspace) -> None:
    from PIL import Image

    (ws.path / "plots").mkdir()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(ws.path / "plots" / "confusion.png")
    for _ in range(2):
        done = run_job(gl, ws, report="report.md", images="plots/confusion.png")
        assert done.returncode == 0, done.stderr
    uploads = gl.uploads()
    assert len(uploads) == 1
    assert f"]({uploads[0].url})" in mr_bodies(gl)[0]


def test_only_the_job_token_fails_with_the_fix_and_sends_nothing(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, token="", report="report.md")
    output = done.stdout + done.stderr  # the CLI prints its one-line error on stdout
    assert done.returncode != 0
    assert "masked CI/CD variable named CML_TOKEN" in output
    assert "Traceback" not in output and gl.job_token not in output
    assert gl.requests == []


def test_the_token_never_shows_up_anywhere(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, report="report.md", metrics="metrics.json")
    assert done.returncode == 0, done.stderr
    for text in (done.stdout, done.stderr, report_file(ws), *mr_bodies(gl)):
        assert gl.project_token not in text
    assert all(gl.project_token not in repr(r) for r in gl.requests)


def test_a_bad_input_value_fails_before_any_request(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, report="report.md", **{"metrics-precision": "many"})
    assert done.returncode != 0 and "input 'metrics-precision'" in done.stdout + done.stderr
    assert gl.requests == []


def test_a_refused_publish_fails_with_one_line_and_keeps_the_report_file(gl: FakeGitLab, ws: Workspace) -> None:
    done = run_job(gl, ws, token=gl.reporter_token, report="report.md", metrics="metrics.json")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "GitLab: create the report on MR !3 failed: 403 Forbidden" in output
    assert "Traceback" not in output
    assert "# Training results" in report_file(ws)
    assert mr_bodies(gl) == []
