"""Editing and deleting one comment by its id (forges' EditsComments), as a group's comment needs: the exact
requests, a comment gone meanwhile, and an id that names someone else's comment (the id comes from the store)."""

from __future__ import annotations

from pathlib import Path

from cml_action.forges.base import CommentRequest, Target
from cml_action.report.group import group_marker
from tests.e2e.github_support import calls, context, forge
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.fakes.gitlab.fixtures import gitlab_forge

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name

MARKER = group_marker("models")


def request(text: str, target: Target | None = None) -> CommentRequest:
    return CommentRequest(f"## CML Report\n\n{text}\n\n{MARKER}\n", MARKER, target or Target("auto"), "create")


def test_github_edits_and_deletes_a_pull_request_comment_by_id_in_one_request_each(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = gh.add_pull(gh.repo, head_sha=gh.main_sha)
    github, _ = forge(gh, context(gh, pr_number=number))
    created = github.post_comment(request("first"))
    gh.clear_requests()
    edited = github.edit_comment(request("second"), created.id)
    assert edited is not None and (edited.id, edited.url) == (created.id, created.url)
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [request("second").body]
    github.delete_comment(request("second"), created.id)
    assert gh.issue_comments(gh.repo, number) == []
    assert calls(gh) == [f"PATCH /issues/comments/{created.id}", f"DELETE /issues/comments/{created.id}"]
    assert github.edit_comment(request("third"), created.id) is None  # gone: the caller creates anew
    github.delete_comment(request("third"), created.id)  # already gone is what was asked


def test_github_edits_a_commit_comment_by_id(fake_github: FakeGitHub) -> None:
    gh = fake_github
    github, _ = forge(gh, context(gh, event="push"))
    target = Target("commit", sha=gh.main_sha)
    created = github.post_comment(request("first", target))
    gh.clear_requests()
    assert github.edit_comment(request("second", target), created.id) is not None
    assert calls(gh) == [f"PATCH /comments/{created.id}"]
    assert [c["body"] for c in gh.commit_comments(gh.repo, gh.main_sha)] == [request("second", target).body]


def test_gitlab_edits_only_its_own_marked_note_by_id(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gl = fake_gitlab
    gitlab = gitlab_forge(gl, tmp_path)
    created = gitlab.post_comment(request("first"))
    someone = gl.add_mr_note(gl.project_id, gl.mr_iid, "a reviewer's note")
    assert gitlab.edit_comment(request("second"), created.id).id == created.id
    # An id naming another note (a hand-edited store) is not the group's comment: nothing is overwritten.
    assert gitlab.edit_comment(request("third"), str(someone)) is None
    gitlab.delete_comment(request("third"), str(someone))
    assert [note["body"] for note in gl.mr_notes()] == [request("second").body, "a reviewer's note"]
    gitlab.delete_comment(request("second"), created.id)
    assert [note["body"] for note in gl.mr_notes()] == ["a reviewer's note"]
