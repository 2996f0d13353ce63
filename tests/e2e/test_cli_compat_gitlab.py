"""CML-compatible commands in a GitLab merge request pipeline (fake GitLab): same commands, GitLab's forms."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from cml_action import cli
from tests.fakes.gitlab.fixtures import fake_gitlab, gitlab_env  # noqa: F401  (fixture)
from tests.fakes.gitlab.server import FakeGitLab
from tests.gitutil import commit_files, init_repo
from tests.support import tune_forge_options

DEFAULT_MARKER = "<!-- cml-action:key=cml -->"


@pytest.fixture
def lab(fake_gitlab: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGitLab:  # noqa: F811
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "CML_")) or name == "REPO_TOKEN":
            monkeypatch.delenv(name)
    ws = init_repo(tmp_path / "ws")
    commit_files(ws, {"README.md": "# demo\n"})
    for name, value in gitlab_env(fake_gitlab, CI_PROJECT_DIR=str(ws)).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ws)
    tune_forge_options(monkeypatch, max_backoff=0.01)
    return fake_gitlab


def cml(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def our_notes(lab: FakeGitLab) -> list[dict[str, object]]:
    return [note for note in lab.mr_notes() if not note.get("system")]


def test_comment_update_is_one_mr_note_edited_in_place(lab: FakeGitLab, capsys: pytest.CaptureFixture[str]) -> None:
    Path("report.md").write_text("v1\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "update", "report.md")
    assert code == 0, err
    [note] = our_notes(lab)
    assert note["body"] == f"v1\n\n{DEFAULT_MARKER}"
    assert out.startswith(lab.server_url) and out.endswith(f"#note_{note['id']}\n")
    Path("report.md").write_text("v2\n", encoding="utf-8")
    assert cml(capsys, "comment", "update", "report.md")[0] == 0
    [edited] = our_notes(lab)
    assert (edited["id"], edited["body"]) == (note["id"], f"v2\n\n{DEFAULT_MARKER}")


def test_referenced_image_becomes_a_project_upload(lab: FakeGitLab, capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (9, 9, 200)).save(buffer, "PNG")
    Path("plot.png").write_bytes(buffer.getvalue())
    Path("report.md").write_text("![plot](plot.png)\n", encoding="utf-8")
    assert cml(capsys, "comment", "create", "report.md")[0] == 0
    [upload] = lab.uploads()
    [note] = our_notes(lab)
    body = str(note["body"])
    assert body.startswith("![plot](/uploads/") and body.endswith(f".png)\n\n{DEFAULT_MARKER}")
    assert upload.filename in body  # type: ignore[attr-defined]


def test_asset_publish_prints_an_absolute_project_link(lab: FakeGitLab, capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 9, 9)).save(buffer, "PNG")
    Path("plot.png").write_bytes(buffer.getvalue())
    code, out, err = cml(capsys, "asset", "publish", "plot.png")
    assert code == 0, err
    assert out.startswith(f"{lab.server_url}/{lab.project_path}/uploads/") and out.endswith(".png\n")


def test_check_is_a_commit_status_plus_a_note(lab: FakeGitLab, capsys: pytest.CaptureFixture[str]) -> None:
    Path("report.md").write_text("gate failed\n", encoding="utf-8")
    code, out, err = cml(capsys, "check", "create", "report.md", "--title", "Eval", "--conclusion", "failure")
    assert code == 0, err
    [status] = lab.statuses()
    assert (status["name"], status["status"]) == ("Eval", "failed")
    [note] = our_notes(lab)
    assert note["body"] == "gate failed\n\n<!-- cml-action:key=check:Eval -->"
    assert out == ""


@pytest.mark.parametrize(
    ("conclusion", "state", "description"),
    [
        ("failure", "failed", "Eval: failure"),
        ("success", "success", "Eval: success"),
        ("cancelled", "success", "Eval: cancelled (posted as neutral)"),
        ("timed_out", "failed", "Eval: timed out (posted as failure)"),
    ],
)
def test_check_status_text_follows_the_conclusion(
    lab: FakeGitLab, capsys: pytest.CaptureFixture[str], conclusion: str, state: str, description: str
) -> None:
    """No gates here: the status says the conclusion the user gave, not "regression gates tripped"."""
    Path("report.md").write_text("eval\n", encoding="utf-8")
    code, _, err = cml(capsys, "check", "create", "report.md", "--title", "Eval", f"--conclusion={conclusion}")
    assert code == 0, err
    [status] = lab.statuses()
    assert (status["status"], status["description"]) == (state, description)


def test_job_token_alone_is_one_clear_line(
    lab: FakeGitLab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CML_TOKEN")
    Path("report.md").write_text("x\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "create", "report.md")
    assert code == 1
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1 and "CI_JOB_TOKEN cannot post notes" in lines[0]
    assert lab.writes() == []


CML_WATERMARK = '![](https://cml.dev/watermark.png#1f2e3d4c "CML watermark")'


def test_comment_update_takes_over_the_note_cml_left(lab: FakeGitLab, capsys: pytest.CaptureFixture[str]) -> None:
    """Switching from CML: its note (same bot, CML's watermark) is edited, not joined by a second report."""
    cml_note = lab.add_mr_note(lab.project_id, lab.mr_iid, f"old CML report\n\n{CML_WATERMARK}", user=lab.bot)
    lab.add_mr_note(lab.project_id, lab.mr_iid, f"quoted by a person\n\n{CML_WATERMARK}", user=lab.alice)
    Path("report.md").write_text("new\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "update", "report.md")
    assert code == 0, err
    bodies = {note["id"]: note["body"] for note in our_notes(lab)}
    assert bodies[cml_note] == f"new\n\n{DEFAULT_MARKER}"
    assert len(bodies) == 2  # alice's note is hers: left alone, and no new note


def test_a_target_with_no_merge_request_uploads_nothing(
    lab: FakeGitLab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--target=pr` on a commit no open MR contains is refused before the report's image is uploaded."""
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    monkeypatch.setenv("CI_PIPELINE_SOURCE", "push")
    lone = lab.add_commit(lab.project_id)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (9, 200, 9)).save(buffer, "PNG")
    Path("plot.png").write_bytes(buffer.getvalue())
    Path("report.md").write_text("![plot](plot.png)\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "create", "--target=pr", f"--commit-sha={lone}", "report.md")
    assert (code, out) == (1, "")
    assert err == (
        f"error: --target: no open merge request contains commit {lone[:8]} (use --target=commit, or run the job "
        "in a merge request pipeline)\n"
    )
    assert lab.uploads() == [] and lab.writes() == []


def test_the_same_image_published_twice_in_a_job_is_uploaded_once(
    lab: FakeGitLab, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cml-publish plot.png` in two commands, then a report linking it: one upload, one link everywhere."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (120, 9, 9)).save(buffer, "PNG")
    Path("plot.png").write_bytes(buffer.getvalue())
    first = cml(capsys, "asset", "publish", "plot.png")
    second = cml(capsys, "asset", "publish", "plot.png")
    assert first[0] == second[0] == 0 and first[1] == second[1]
    Path("report.md").write_text("![plot](plot.png)\n", encoding="utf-8")
    assert cml(capsys, "comment", "create", "report.md")[0] == 0
    [upload] = lab.uploads()
    [note] = our_notes(lab)
    assert first[1].strip().endswith(upload.url) and f"![plot]({upload.url})" in str(note["body"])  # type: ignore[attr-defined]
