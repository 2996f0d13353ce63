"""Same-key runs that raced leave one report (issue 15 item 4): keep the newest, delete the other copies by us."""

from __future__ import annotations

import pytest

from cml_action.forges.base import Target
from tests.e2e.github_support import BOT, body, calls, comment, context, forge, marker, report_comments
from tests.fakes.github import FakeGitHub


@pytest.fixture
def pr(fake_github: FakeGitHub) -> int:
    return fake_github.add_pull(fake_github.repo, head_sha=fake_github.main_sha)


def test_an_update_run_keeps_the_newest_and_deletes_only_its_own_authors_copies(
    fake_github: FakeGitHub, pr: int
) -> None:
    gh = fake_github
    other_app = gh.add_issue_comment(gh.repo, pr, body("theirs"), user="other-app[bot]", user_type="Bot")
    copies = [gh.add_issue_comment(gh.repo, pr, body(f"race {n}"), user=BOT, user_type="Bot") for n in range(3)]
    other_key = gh.add_issue_comment(gh.repo, pr, body("b", "CML/b"), user=BOT, user_type="Bot")
    human = gh.add_issue_comment(gh.repo, pr, "> quoting\n" + marker(), user="octocat")
    forge(gh, context(gh, pr_number=pr))[0].post_comment(comment("rerun"))
    # no request beyond a plain update's: the copies are in the search's listing
    assert calls(gh) == [
        f"GET /issues/{pr}/comments",
        f"PATCH /issues/comments/{copies[2]}",
        f"DELETE /issues/comments/{copies[0]}",
        f"DELETE /issues/comments/{copies[1]}",
    ]
    assert [c["id"] for c in gh.issue_comments(gh.repo, pr)] == [other_app, copies[2], other_key, human]
    assert [c["body"] for c in report_comments(gh, pr) if c["user"]["login"] == BOT] == [body("rerun")]


class RacingRun(list[int]):
    """A fault hook: another run of the key posts its copy at that moment (it searched before we created)."""

    def __init__(self, pr: int) -> None:
        super().__init__()
        self.pr = pr

    def __call__(self, fake: FakeGitHub) -> None:
        self.append(fake.add_issue_comment(fake.repo, self.pr, body("racer"), user=BOT, user_type="Bot"))


def test_a_run_that_created_after_a_racing_run_deletes_the_older_copy(fake_github: FakeGitHub, pr: int) -> None:
    gh = fake_github
    racer = RacingRun(pr)
    gh.faults.add("POST", rf"/issues/{pr}/comments$", "hook", hook=racer)  # it creates just before us
    published = forge(gh, context(gh, pr_number=pr))[0].post_comment(comment("mine"))
    (only,) = report_comments(gh, pr)
    assert only["body"] == body("mine") and published.id == str(only["id"])
    assert calls(gh) == [
        f"GET /issues/{pr}/comments",
        f"POST /issues/{pr}/comments",
        f"GET /issues/{pr}/comments",
        f"DELETE /issues/comments/{racer[0]}",
    ]


def test_a_run_whose_copy_is_older_deletes_its_own_and_points_to_the_newest(fake_github: FakeGitHub, pr: int) -> None:
    gh = fake_github
    racer = RacingRun(pr)
    gh.faults.add("GET", rf"/issues/{pr}/comments$", "hook", after=1, hook=racer)  # it creates just after us
    published = forge(gh, context(gh, pr_number=pr))[0].post_comment(comment("mine"))
    (only,) = report_comments(gh, pr)
    assert only["id"] == racer[0] and published.id == str(racer[0]) and published.url == only["html_url"]


def test_a_failed_duplicate_delete_is_a_warning_and_the_report_stands(
    fake_github: FakeGitHub, pr: int, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = fake_github
    old = gh.add_issue_comment(gh.repo, pr, body("old copy"), user=BOT, user_type="Bot")
    gh.add_issue_comment(gh.repo, pr, body("newer copy"), user=BOT, user_type="Bot")
    gh.faults.add("DELETE", rf"/issues/comments/{old}$", "status", status=500, times=10)
    published = forge(gh, context(gh, pr_number=pr), max_attempts=2)[0].post_comment(comment("rerun"))
    assert published.id and len(report_comments(gh, pr)) == 2
    assert "the next run retries" in capsys.readouterr().out
    gh.faults.clear()
    forge(gh, context(gh, pr_number=pr))[0].post_comment(comment("later"))
    assert [c["body"] for c in report_comments(gh, pr)] == [body("later")]


def test_commit_comment_copies_converge_to_one(fake_github: FakeGitHub) -> None:
    gh = fake_github
    sha = gh.main_sha
    copies = [gh.add_commit_comment(gh.repo, sha, body(f"race {n}"), user=BOT, user_type="Bot") for n in range(3)]
    forge(gh, context(gh, event="push"))[0].post_comment(comment("rerun", target=Target("commit")))
    assert calls(gh) == [
        f"GET /commits/{sha}/comments",
        f"PATCH /comments/{copies[2]}",
        f"DELETE /comments/{copies[0]}",
        f"DELETE /comments/{copies[1]}",
    ]
    assert [c["body"] for c in gh.commit_comments(gh.repo, sha)] == [body("rerun")]
