"""Channels and images fail independently on GitLab (docs/report.md, "Sections that fail independently"):
`python entrypoint.py` against the fake GitLab.

- `send-as: check` with the commit status refused for good still posts the note (which holds the report).
- An upload refused for good leaves the note posted without the image, a warning naming it, and exit 1.
- A note edit that landed but whose answers were lost is found by re-reading the notes, not reported as failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gitlab_support import MR_IID, Workspace, make_workspace, mr_bodies, report_file, run_job, seed
from tests.fakes.gitlab import FakeGitLab

NOTES = f"/projects/42/merge_requests/{MR_IID}/notes"


@pytest.fixture(name="gl")
def _gl() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


@pytest.fixture(name="ws")
def _ws(tmp_path: Path, gl: FakeGitLab) -> Workspace:
    workspace = make_workspace(tmp_path / "repo")
    seed(gl, workspace)
    return workspace


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_a_refused_commit_status_still_posts_the_note(gl: FakeGitLab, ws: Workspace) -> None:
    gl.faults.add("POST", r"/statuses/", "status", status=403, times=10)  # refused for good (a 500 is retried)
    done = run_job(gl, ws, report="report.md", metrics="metrics.json", store="off", **{"send-as": "check"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert gl.sequence() == [
        f"POST /projects/42/statuses/{ws.head_sha}",
        f"GET {NOTES}",
        f"POST {NOTES}",
        f"GET {NOTES}",  # after its create, a run removes same-key copies a race left
    ]
    assert mr_bodies(gl) == [report_file(ws)]
    (error,) = error_lines(done.stdout + done.stderr)
    assert error.startswith("error: GitLab: set the commit status failed: 403 Forbidden (the token from ")


def test_an_upload_refused_for_good_leaves_the_note_posted_without_the_image(gl: FakeGitLab, ws: Workspace) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 30, 30)).save(ws.path / "confusion.png")
    gl.faults.add("POST", r"/uploads$", "status", status=403, times=10)
    done = run_job(gl, ws, report="report.md", images="confusion.png")
    assert done.returncode == 1, done.stdout + done.stderr
    (body,) = mr_bodies(gl)
    assert body.startswith("## CML Report\n\n# Training results\n") and "![" not in body
    warning = "> - image 'confusion' left out: it could not be published (see the job log); the report file keeps it"
    assert [line for line in body.splitlines() if line.startswith("> - ")] == [warning]
    assert warning in report_file(ws) and "](images/" in report_file(ws)
    (error,) = error_lines(done.stdout + done.stderr)
    assert error.startswith("error: the report was posted without its 1 image(s): GitLab: upload ")
    assert gl.uploads() == []


def test_a_note_edit_that_landed_but_whose_answers_were_lost_succeeds(gl: FakeGitLab, ws: Workspace) -> None:
    first = run_job(gl, ws, report="report.md", metrics="metrics.json", store="off")
    assert first.returncode == 0, first.stderr
    (note,) = gl.mr_notes(gl.project_id, MR_IID)
    (ws.path / "metrics.json").write_text('{"acc": 0.95, "loss": 0.3}', encoding="utf-8")
    gl.clear_requests()
    gl.faults.add("PUT", r"/notes/\d+$", "apply_then_drop", times=10)
    second = run_job(gl, ws, report="report.md", metrics="metrics.json", store="off")
    assert second.returncode == 0, second.stdout + second.stderr
    assert gl.sequence() == [f"GET {NOTES}", "GET /user", f"PUT {NOTES}/{note['id']}", f"GET {NOTES}"]
    assert mr_bodies(gl) == [report_file(ws)] and "0.95" in mr_bodies(gl)[0]
    assert gl.note_updates(note["id"]) == 1


def test_the_report_file_exists_before_the_first_upload(gl: FakeGitLab, ws: Workspace) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 30, 30)).save(ws.path / "confusion.png")
    seen: list[bool] = []
    gl.faults.add("POST", r"/uploads$", "hook", hook=lambda _: seen.append("# Training results" in report_file(ws)))
    done = run_job(gl, ws, report="report.md", images="confusion.png")
    assert done.returncode == 0, done.stdout + done.stderr
    assert seen == [True]
    (upload,) = gl.uploads()
    assert f"]({upload.url})" in report_file(ws)  # rewritten with the published link


def test_sections_whose_data_failed_are_warnings_and_the_note_is_posted(gl: FakeGitLab, ws: Workspace) -> None:
    (ws.path / "metrics.json").write_text("acc: [0.9", encoding="utf-8")
    done = run_job(gl, ws, report="report.md", metrics="metrics.json", plots="loss.csv", **{"dvc-diff": True})
    assert done.returncode == 0, done.stdout + done.stderr
    assert error_lines(done.stdout + done.stderr) == []
    (body,) = mr_bodies(gl)
    assert body == report_file(ws) and body.startswith("## CML Report\n\n# Training results\n")
    sections = [line.split(" left out: ")[0] for line in body.splitlines() if line.startswith("> - ")]
    assert sections == ["> - metrics", "> - plots", "> - files changed (dvc-diff)"]
