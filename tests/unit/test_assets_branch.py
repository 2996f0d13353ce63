"""The assets branch: never the default branch, a protected-looking or an invalid ref name (issue 15 item 8);
a 422 on the ref update is a lost race only when GitHub says "not a fast forward" / "already exists"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cml_action.errors import InputError, PublishError
from cml_action.forges.github.context import github_context
from cml_action.forges.gitlab.context import gitlab_context
from cml_action.refnames import assets_branch_problem
from tests.e2e import payloads
from tests.e2e.github_support import calls, context, forge, image
from tests.fakes.github import FakeGitHub


@pytest.mark.parametrize(
    ("branch", "problem"),
    [
        ("cml-assets", None),
        ("ci/plots-2024", None),
        ("trunk", "is the repository's default branch"),
        ("main", "looks like a protected branch"),
        ("Master", "looks like a protected branch"),
        ("gh-pages", "looks like a protected branch"),
        ("release/1.0", "looks like a protected branch"),
        ("refs/heads/x", "must be a branch name, not a full ref"),
        ("HEAD", "is not a valid branch name"),
        ("-x", "is not a valid branch name"),
        ("a..b", "is not a valid branch name"),
        ("a b", "is not a valid branch name"),
        ("a~1", "is not a valid branch name"),
        ("a^", "is not a valid branch name"),
        ("a:b", "is not a valid branch name"),
        ("a?", "is not a valid branch name"),
        ("a*", "is not a valid branch name"),
        ("a[b", "is not a valid branch name"),
        ("a\\b", "is not a valid branch name"),
        ("a@{1}", "is not a valid branch name"),
        ("@", "is not a valid branch name"),
        ("a/.b", "is not a valid branch name"),
        ("a.lock", "is not a valid branch name"),
        ("a/b.lock/c", "is not a valid branch name"),
        ("a/", "is not a valid branch name"),
        ("/a", "is not a valid branch name"),
        ("a//b", "is not a valid branch name"),
        ("a.", "is not a valid branch name"),
        ("a\x7fb", "is not a valid branch name"),
        ("a\tb", "is not a valid branch name"),
        ("", "is not a valid branch name"),
    ],
)
def test_assets_branch_problems(branch: str, problem: str | None) -> None:
    assert assets_branch_problem(branch, "trunk") == problem


def test_the_default_branch_comes_from_the_event_and_from_gitlab(tmp_path: Path) -> None:
    event = payloads.write(tmp_path / "event.json", {"after": "a" * 40, "repository": {"default_branch": "develop"}})
    env = {"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_SHA": "a" * 40}  # fmt: skip
    assert github_context(env, tmp_path).default_branch == "develop"
    gitlab = {"CI_API_V4_URL": "http://gl/api/v4", "CI_PROJECT_ID": "1", "CI_COMMIT_SHA": "a" * 40,
              "CI_DEFAULT_BRANCH": "stable"}  # fmt: skip
    assert gitlab_context(gitlab, tmp_path).default_branch == "stable"


@pytest.mark.parametrize("branch", ["main", "trunk", "a..b"])
def test_preflight_refuses_before_any_request(fake_github: FakeGitHub, branch: str) -> None:
    gh = fake_github
    github, _ = forge(gh, replace(context(gh), default_branch="trunk"), assets_branch=branch)
    with pytest.raises(InputError) as caught:
        github.preflight(wants_comment=True, wants_check=False, wants_images=True)
    assert str(caught.value).startswith(f"input 'assets-branch': '{branch}' ")
    assert "\n" not in str(caught.value)
    assert gh.requests == []


def test_a_422_that_is_not_a_race_fails_at_once(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    # e.g. "Cannot update this protected ref": rebuilding on a new tip cannot help.
    gh.faults.add("POST", r"/git/refs$", "status", times=99, status=422)
    github, _ = forge(gh)
    with pytest.raises(PublishError) as caught:
        github.publish_images([image(tmp_path, b"png-bytes")])
    assert "kept moving" not in str(caught.value)
    assert "GitHub answered 422" in str(caught.value)
    assert calls(gh).count("POST /git/refs") == 1


def test_blobs_of_one_commit_are_not_paced_as_separate_writes(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    github, sleeps = forge(gh, write_interval=1.0)
    images = [image(tmp_path, bytes([n]) * 40, name=f"p{n}") for n in range(20)]
    links = github.publish_images(images)
    assert len(links) == 20
    assert calls(gh).count("POST /git/blobs") == 20 and calls(gh).count("POST /git/commits") == 1
    # Pacing spaces the tree, commit and ref writes (about 1 s each after the first), not 20 blob uploads.
    assert sum(sleeps) <= 2.5, sleeps
