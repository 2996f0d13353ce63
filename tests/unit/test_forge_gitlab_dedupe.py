"""Same-key runs that raced leave one GitLab report (issue 15 item 4): MR notes and commit discussions."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.forges.base import Target
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.fakes.gitlab.fixtures import gitlab_forge
from tests.forge_support import MARKER, NOTES, comment, discussions_path, report

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name

OTHER_KEY = "<!-- cml-action:key=gitlab-ci/other -->"


class RacingRun(list[int]):
    """A fault hook: another run of the key posts its copy on MR !1 at that moment."""

    def __call__(self, fake: FakeGitLab) -> None:
        self.append(fake.add_mr_note(42, 1, report("racer"), user=fake.bot))


def test_an_update_run_keeps_the_newest_copy_and_deletes_only_its_own_others(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gl = fake_gitlab
    human = gl.add_mr_note(42, 1, report("alice quoting"), user=gl.alice)
    copies = [gl.add_mr_note(42, 1, report(f"race {n}"), user=gl.bot) for n in range(3)]
    other_key = gl.add_mr_note(42, 1, report("b", OTHER_KEY), user=gl.bot)
    published = gitlab_forge(gl, tmp_path).post_comment(comment(report("rerun")))
    # no request beyond a plain update's: the copies are in the search's listing
    assert gl.sequence() == [
        f"GET {NOTES}",
        "GET /user",
        f"PUT {NOTES}/{copies[2]}",
        f"DELETE {NOTES}/{copies[0]}",
        f"DELETE {NOTES}/{copies[1]}",
    ]
    assert [n["id"] for n in gl.mr_notes()] == [human, copies[2], other_key]
    assert published.id == str(copies[2])


def test_a_run_that_created_last_deletes_the_racing_copy(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    racer = RacingRun()
    gl.faults.add("POST", rf"^{NOTES}$", "hook", hook=racer)  # it creates just before us
    published = gitlab_forge(gl, tmp_path).post_comment(comment(report("mine")))
    (only,) = gl.mr_notes()
    assert only["body"] == report("mine") and published.id == str(only["id"])
    assert gl.sequence() == [f"GET {NOTES}", f"POST {NOTES}", f"GET {NOTES}", f"DELETE {NOTES}/{racer[0]}"]


def test_a_run_whose_copy_is_older_deletes_its_own_and_points_to_the_newest(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gl = fake_gitlab
    racer = RacingRun()
    gl.faults.add("GET", rf"^{NOTES}$", "hook", after=1, hook=racer)  # it creates just after us
    published = gitlab_forge(gl, tmp_path).post_comment(comment(report("mine")))
    (only,) = gl.mr_notes()
    assert only["id"] == racer[0] and published.id == str(racer[0])


def test_commit_discussions_converge_to_one(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    for n in range(4):
        gl.add_commit_discussion(42, gl.head_sha, report(f"race {n}"), user=gl.bot)
    gl.add_commit_discussion(42, gl.head_sha, report("alice quoting"), user=gl.alice)
    gitlab_forge(gl, tmp_path).post_comment(comment(report("rerun"), Target("commit")))
    bodies = [[n["body"] for n in d["notes"]] for d in gl.commit_discussions()]
    assert bodies == [[report("rerun")], [report("alice quoting")]]
    assert len(gl.api_requests("GET", discussions_path(gl))) == 1


def test_a_failed_duplicate_delete_is_a_warning_and_the_next_run_converges(
    fake_gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gl = fake_gitlab
    old = gl.add_mr_note(42, 1, report("old copy"), user=gl.bot)
    gl.add_mr_note(42, 1, report("newer copy"), user=gl.bot)
    gl.faults.add("DELETE", rf"^{NOTES}/{old}$", "status", status=500, times=100)
    assert gitlab_forge(gl, tmp_path).post_comment(comment(report("rerun"))).id
    assert "the next run retries" in capsys.readouterr().out
    assert len([n for n in gl.mr_notes() if MARKER in n["body"]]) == 2
    gl.faults.clear()
    gitlab_forge(gl, tmp_path).post_comment(comment(report("later")))
    assert [n["body"] for n in gl.mr_notes()] == [report("later")]
