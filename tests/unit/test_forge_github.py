"""GitHubForge against the fake GitHub: exact bodies, request sequences, targets, checks, images, tokens."""

from __future__ import annotations

import io
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from cml_action.errors import CmlError, PublishError, ReadOnlyToken
from cml_action.forges.base import CheckRequest, Target
from cml_action.forges.github.failures import github_retrier
from cml_action.forges.github.forge import GitHubForge
from tests.e2e.github_support import BOT, body, calls, comment, context, forge, image, marker, report_comments
from tests.fakes.github import FakeGitHub


def pr_of(gh: FakeGitHub) -> int:
    return gh.add_pull(gh.repo, head_sha=gh.main_sha)


# -- sticky comments -------------------------------------------------------------------------------------------


def test_first_run_searches_then_posts_once_and_rerun_patches_the_same_comment(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    ctx = context(gh, pr_number=number)
    first = forge(gh, ctx)[0].post_comment(comment("accuracy 0.91"))
    # search, create, and one re-list that would find a racing run's duplicate (issue 15)
    assert calls(gh) == [
        f"GET /issues/{number}/comments",
        f"POST /issues/{number}/comments",
        f"GET /issues/{number}/comments",
    ]
    assert gh.requests[0].query["per_page"] == ["100"]
    assert gh.requests[1].json == {"body": body("accuracy 0.91")}
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [body("accuracy 0.91")]
    assert first.where == f"PR #{number}"
    assert first.url == gh.issue_comments(gh.repo, number)[0]["html_url"]

    gh.clear_requests()
    second = forge(gh, ctx)[0].post_comment(comment("accuracy 0.93"))
    assert calls(gh) == [f"GET /issues/{number}/comments", f"PATCH /issues/comments/{first.id}"]
    assert second.id == first.id
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [body("accuracy 0.93")]
    assert gh.issue_comments(gh.repo, number)[0]["user"]["login"] == BOT


def test_unchanged_report_is_not_rewritten(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    ctx = context(gh, pr_number=number)
    forge(gh, ctx)[0].post_comment(comment("same"))
    gh.clear_requests()
    forge(gh, ctx)[0].post_comment(comment("same"))
    assert calls(gh) == [f"GET /issues/{number}/comments"]


def test_search_reads_every_page_of_a_long_conversation(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    for index in range(230):
        if index == 170:
            ours = gh.add_issue_comment(gh.repo, number, body("old"), user=BOT, user_type="Bot")
        else:
            gh.add_issue_comment(gh.repo, number, f"chatter {index}")
    forge(gh, context(gh, pr_number=number))[0].post_comment(comment("new"))
    pages = [r.query.get("page", ["1"])[0] for r in gh.api_requests("GET")]
    assert pages == ["1", "2", "3"]
    assert calls(gh)[-1] == f"PATCH /issues/comments/{ours}"
    assert len(report_comments(gh, number)) == 1 and report_comments(gh, number)[0]["body"] == body("new")


def test_a_human_comment_quoting_the_marker_is_left_alone(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    theirs = gh.add_issue_comment(gh.repo, number, "> look\n" + marker(), user="octocat")
    forge(gh, context(gh, pr_number=number))[0].post_comment(comment("ours"))
    assert calls(gh)[-2:] == [f"POST /issues/{number}/comments", f"GET /issues/{number}/comments"]
    by_id = {c["id"]: c for c in gh.issue_comments(gh.repo, number)}
    assert by_id[theirs]["body"] == "> look\n" + marker()


def test_personal_token_matches_its_own_login(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    bot = gh.add_issue_comment(gh.repo, number, body("bot's"), user=BOT, user_type="Bot")
    mine = gh.add_issue_comment(gh.repo, number, body("mine"), user="octocat")
    forge(gh, context(gh, pr_number=number, token=gh.user_token))[0].post_comment(comment("updated"))
    # GET /user only once a marker matched: a first run spends nothing on it.
    assert calls(gh) == [f"GET /issues/{number}/comments", "GET /user", f"PATCH /issues/comments/{mine}"]
    by_id = {c["id"]: c["body"] for c in gh.issue_comments(gh.repo, number)}
    assert by_id == {bot: body("bot's"), mine: body("updated")}


def test_distinct_keys_are_distinct_reports(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    instance = forge(gh, context(gh, pr_number=number))[0]
    instance.post_comment(comment("a", key="CML/a"))
    instance.post_comment(comment("b", key="CML/b"))
    instance.post_comment(comment("a2", key="CML/a"))
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [body("a2", "CML/a"), body("b", "CML/b")]


def test_recreate_deletes_then_posts(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    old = gh.add_issue_comment(gh.repo, number, body("old"), user=BOT, user_type="Bot")
    gh.add_issue_comment(gh.repo, number, "a review remark")
    forge(gh, context(gh, pr_number=number))[0].post_comment(comment("new", mode="recreate"))
    assert calls(gh) == [
        f"GET /issues/{number}/comments",
        f"DELETE /issues/comments/{old}",
        f"POST /issues/{number}/comments",
        f"GET /issues/{number}/comments",
    ]
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == ["a review remark", body("new")]


def test_create_mode_always_adds_a_comment_without_searching(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    instance = forge(gh, context(gh, pr_number=number))[0]
    instance.post_comment(comment("one", mode="create"))
    instance.post_comment(comment("two", mode="create"))
    assert calls(gh) == [f"POST /issues/{number}/comments"] * 2
    assert len(report_comments(gh, number)) == 2


def test_comment_that_vanished_after_the_search_is_posted_anew(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    old = gh.add_issue_comment(gh.repo, number, body("old"), user=BOT, user_type="Bot")
    gh.faults.add(
        "PATCH", r"/issues/comments/\d+$", "hook", hook=lambda fake: fake.delete_issue_comment(fake.repo, old)
    )
    forge(gh, context(gh, pr_number=number))[0].post_comment(comment("new"))
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [body("new")]


# -- targets ---------------------------------------------------------------------------------------------------


def test_no_pull_request_means_a_commit_comment_that_reruns_update(fake_github: FakeGitHub) -> None:
    gh = fake_github
    sha = gh.main_sha
    ctx = context(gh, event="push")
    first = forge(gh, ctx)[0].post_comment(comment("on the commit"))
    assert calls(gh) == [
        f"GET /commits/{sha}/pulls",
        f"GET /commits/{sha}/comments",
        f"POST /commits/{sha}/comments",
        f"GET /commits/{sha}/comments",
    ]
    assert first.where == f"commit {sha[:7]}"
    gh.clear_requests()
    second = forge(gh, ctx)[0].post_comment(comment("updated"))
    assert calls(gh)[-1] == f"PATCH /comments/{first.id}"
    assert second.id == first.id
    assert [c["body"] for c in gh.commit_comments(gh.repo, sha)] == [body("updated")]


def test_push_with_an_open_pull_request_comments_on_the_pull_request(fake_github: FakeGitHub) -> None:
    gh = fake_github
    gh.add_pull(gh.repo, head_sha=gh.main_sha, state="closed")
    number = pr_of(gh)
    published = forge(gh, context(gh, event="push"))[0].post_comment(comment("from push"))
    assert published.where == f"PR #{number}"
    assert [c["body"] for c in gh.issue_comments(gh.repo, number)] == [body("from push")]
    assert gh.commit_comments(gh.repo, gh.main_sha) == []


@pytest.mark.parametrize("kind", ["pr", "issue"])
def test_explicit_number_targets(fake_github: FakeGitHub, kind: str) -> None:
    gh = fake_github
    number = pr_of(gh) if kind == "pr" else gh.add_issue(gh.repo)
    published = forge(gh, context(gh, event="push"))[0].post_comment(comment("x", target=Target(kind, number)))  # type: ignore[arg-type]
    assert calls(gh)[0] == f"GET /issues/{number}/comments"  # no PR lookup
    assert published.where == f"{'PR' if kind == 'pr' else 'issue'} #{number}"
    assert len(report_comments(gh, number)) == 1


def test_commit_sha_target(fake_github: FakeGitHub) -> None:
    gh = fake_github
    other = gh.add_commit(gh.repo, files={"README.md": b"v2"})
    forge(gh, context(gh, pr_number=3))[0].post_comment(comment("x", target=Target("commit", sha=other)))
    assert [c["body"] for c in gh.commit_comments(gh.repo, other)] == [body("x")]


def test_target_pr_without_a_pull_request_is_an_input_error(fake_github: FakeGitHub) -> None:
    gh = fake_github
    with pytest.raises(CmlError, match="input 'target': no open pull request"):
        forge(gh, context(gh, event="push"))[0].post_comment(comment("x", target=Target("pr")))
    assert gh.writes() == []


# -- failures a user sees ----------------------------------------------------------------------------------------


def test_read_only_token_fails_with_the_permission_to_add(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    with pytest.raises(PublishError) as caught:
        forge(gh, context(gh, pr_number=number, token=gh.read_token))[0].post_comment(comment("x"))
    text, _, request_id = str(caught.value).partition(" (GitHub request id ")
    assert text == (
        f"publishing the comment to {gh.repo} failed: GitHub answered 403 Resource not accessible by integration "
        "(give the job `permissions: pull-requests: write` (PRs) or `issues: write` / `contents: write`)"
    )
    assert re.fullmatch(r"[0-9A-F:]+\)", request_id)  # what GitHub support asks for
    assert gh.read_token not in str(caught.value)


def test_body_over_the_limit_is_a_clear_error(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    huge = comment("x" * 70_000)
    with pytest.raises(PublishError, match="422 Validation Failed: Body is too long"):
        forge(gh, context(gh, pr_number=number))[0].post_comment(huge)
    assert GitHubForge.limits.comment == 65536 and GitHubForge.limits.check == 65535


def test_bad_credentials_say_so(fake_github: FakeGitHub) -> None:
    gh = fake_github
    with pytest.raises(PublishError, match=r"401 Bad credentials \(the token is invalid or expired"):
        forge(gh, context(gh, pr_number=pr_of(gh), token="ghs_wrong"))[0].post_comment(comment("x"))


# -- preflight -----------------------------------------------------------------------------------------------------


def test_personal_token_asked_for_a_check_fails_before_any_request(fake_github: FakeGitHub) -> None:
    gh = fake_github
    instance = forge(gh, context(gh, token=gh.user_token))[0]
    with pytest.raises(CmlError) as caught:
        instance.preflight(wants_comment=True, wants_check=True, wants_images=True)
    assert str(caught.value).startswith(
        "send-as check needs a GitHub App token, but the token is a personal access token"
    )
    assert gh.requests == []
    instance.preflight(wants_comment=True, wants_check=False, wants_images=True)  # comments are fine


def test_fork_pull_request_skips_publishing_with_one_reason(fake_github: FakeGitHub) -> None:
    gh = fake_github
    instance = forge(gh, context(gh, pr_number=1, is_fork=True, token=gh.read_token))[0]
    with pytest.raises(ReadOnlyToken) as caught:
        instance.preflight(wants_comment=True, wants_check=False, wants_images=True)
    assert "fork" in str(caught.value) and "workflow_run" in str(caught.value)
    assert gh.requests == []


def test_missing_token_names_its_source(fake_github: FakeGitHub) -> None:
    gh = fake_github
    instance = forge(gh, context(gh, token="", token_source="GITHUB_TOKEN"))[0]
    with pytest.raises(CmlError, match="no GitHub token: GITHUB_TOKEN is empty"):
        instance.preflight(wants_comment=True, wants_check=False, wants_images=False)
    instance.preflight(wants_comment=False, wants_check=False, wants_images=False)  # send-as: none needs none


# -- checks ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("conclusion", ["success", "failure"])
def test_check_run_is_one_post_with_the_report(fake_github: FakeGitHub, conclusion: str) -> None:
    gh = fake_github
    images = (("roc", f"{gh.server_url}/x.png?raw=true"),)
    request = CheckRequest("CML Report", "## CML Report\n\nsummary", conclusion, gh.main_sha, images, "CML/train")  # type: ignore[arg-type]
    published = forge(gh)[0].post_check(request)
    assert calls(gh) == ["POST /check-runs"]
    assert gh.requests[0].json == {
        "name": "CML Report",
        "head_sha": gh.main_sha,
        "status": "completed",
        "conclusion": conclusion,
        "external_id": "CML/train",
        "details_url": f"{gh.server_url}/{gh.repo}/actions/runs/42",
        "output": {
            "title": "CML Report",
            "summary": "## CML Report\n\nsummary",
            "images": [{"alt": "roc", "image_url": f"{gh.server_url}/x.png?raw=true"}],
        },
    }
    (run,) = gh.check_runs(gh.repo)
    assert (run["conclusion"], run["status"], str(run["id"])) == (conclusion, "completed", published.id)
    assert published.url == run["html_url"]


def test_check_run_output_title_is_the_gates_outcome(fake_github: FakeGitHub) -> None:
    gh = fake_github
    request = CheckRequest("CML Report", "s", "failure", gh.main_sha, headline="1 gate tripped")
    forge(gh)[0].post_check(request)
    assert gh.requests[0].json["name"] == "CML Report"
    assert gh.requests[0].json["output"]["title"] == "1 gate tripped"


def test_check_summary_over_the_limit_is_refused_by_github(fake_github: FakeGitHub) -> None:
    gh = fake_github
    request = CheckRequest("CML Report", "y" * 65536, "success", gh.main_sha)
    with pytest.raises(PublishError, match=r"publishing the check .* 422"):
        forge(gh)[0].post_check(request)


# -- images --------------------------------------------------------------------------------------------------------


def test_images_go_to_the_assets_branch_in_one_commit(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    blobs_before = gh.blob_count(gh.repo)
    images = [image(tmp_path, bytes([n]) * 50, name=f"p{n}") for n in range(3)]
    links = forge(gh)[0].publish_images(images)
    assert calls(gh) == [
        "GET /git/ref/heads/cml-assets",
        "POST /git/blobs",
        "POST /git/blobs",
        "POST /git/blobs",
        "POST /git/trees",
        "POST /git/commits",
        "POST /git/refs",
    ]
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None and gh.commit(gh.repo, tip)["parents"] == []  # an orphan branch
    paths = sorted(f"cml/{i.sha256[:2]}/{i.sha256}.png" for i in images)
    assert gh.tree_paths(gh.repo, tip) == paths
    assert gh.blob_count(gh.repo) == blobs_before + 3
    for item in images:
        link = links[item.sha256]
        assert link == f"{gh.server_url}/{gh.repo}/blob/{tip}/cml/{item.sha256[:2]}/{item.sha256}.png?raw=true"
        with urllib.request.urlopen(link) as answer:  # the link resolves to the image bytes
            assert answer.read() == item.path.read_bytes()


def test_publishing_the_same_images_again_creates_nothing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    images = [image(tmp_path, b"same-bytes")]
    first = forge(gh)[0].publish_images(images)
    gh.clear_requests()
    blobs = gh.blob_count(gh.repo)
    again = forge(gh)[0].publish_images(images)
    assert calls(gh) == ["GET /git/ref/heads/cml-assets", f"GET /git/trees/{gh.ref(gh.repo, 'heads/cml-assets')}"]
    assert gh.blob_count(gh.repo) == blobs and again == first


def test_new_images_stack_on_the_branch(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    old = image(tmp_path, b"old")
    forge(gh)[0].publish_images([old])
    first_tip = gh.ref(gh.repo, "heads/cml-assets")
    gh.clear_requests()
    new = image(tmp_path, b"new")
    forge(gh)[0].publish_images([old, new])
    assert [c for c in calls(gh) if c.startswith("POST")] == ["POST /git/blobs", "POST /git/trees", "POST /git/commits"]
    assert calls(gh)[-1] == "PATCH /git/refs/heads/cml-assets"
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None and gh.commit(gh.repo, tip)["parents"] == [first_tip]
    assert len(gh.tree_paths(gh.repo, tip)) == 2


def test_no_images_no_requests(fake_github: FakeGitHub) -> None:
    assert forge(fake_github)[0].publish_images([]) == {}
    assert fake_github.requests == []


def test_enterprise_prefix_works_for_every_call(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    number = pr_of(gh)
    ctx = replace(context(gh, pr_number=number), api_url=gh.enterprise_api_url)
    instance = forge(gh, ctx)[0]
    instance.publish_images([image(tmp_path, b"ghe")])
    instance.post_comment(comment("ghe"))
    assert gh.requests and all(r.enterprise for r in gh.requests)


# -- retry layer -------------------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_writes_are_paced_but_reads_are_not() -> None:
    clock = FakeClock()
    caller = github_retrier("o/r", max_attempts=3, max_backoff=60, write_interval=1.0, sleep=clock.sleep, clock=clock)
    caller.write("comment", lambda: 1)
    clock.now += 0.25
    caller.read("comment", lambda: 2)
    caller.write("comment", lambda: 3)
    assert clock.sleeps == [pytest.approx(0.75)]


def test_retry_after_is_honoured_in_full_even_above_max_backoff(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    gh.faults.add("POST", r"/issues/\d+/comments$", "secondary_rate_limit", retry_after=7)
    gh.faults.add("POST", r"/issues/\d+/comments$", "rate_limit_429", retry_after=90)
    instance, sleeps = forge(gh, context(gh, pr_number=number), max_backoff=30.0)
    instance.post_comment(comment("x"))
    assert sleeps == [7.0, 90.0]  # was cut to max_backoff: the retry came too early and was refused again
    assert len(report_comments(gh, number)) == 1


def test_a_retry_after_beyond_the_step_budget_fails_at_once_with_one_line(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    gh.faults.add("POST", r"/issues/\d+/comments$", "rate_limit_429", retry_after=3600)
    instance, sleeps = forge(gh, context(gh, pr_number=number))
    with pytest.raises(PublishError) as caught:
        instance.post_comment(comment("x"))
    assert sleeps == []
    assert "GitHub asked to wait 3600 s (rate limited (429)), more than the" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_gives_up_after_max_attempts_with_one_line(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = pr_of(gh)
    gh.faults.add("POST", r"/issues/\d+/comments$", "status", status=503, times=10)
    instance, sleeps = forge(gh, context(gh, pr_number=number), max_attempts=3)
    with pytest.raises(PublishError) as caught:
        instance.post_comment(comment("x"))
    assert str(caught.value).startswith(
        f"publishing the comment to {gh.repo} failed after 3 attempts: GitHub answered 503"
    )
    assert sleeps == [0.5, 1.0]  # exponential backoff
    assert len(gh.api_requests("POST")) == 3
    assert report_comments(gh, number) == []


def test_the_token_never_leaves_the_authorization_header(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    canary = "ghs_CANARY" + "7" * 26
    gh.add_token(canary, BOT, kind="app")
    number = pr_of(gh)
    instance = forge(gh, context(gh, pr_number=number, token=canary))[0]
    instance.publish_images([image(tmp_path, b"img")])
    instance.post_comment(comment("report"))
    gh.faults.add("POST", r"/check-runs$", "status", status=500, times=10)
    with pytest.raises(PublishError) as caught:
        instance.post_check(CheckRequest("CML", "s", "success", gh.main_sha))
    seen = io.StringIO()
    for recorded in gh.requests:
        print(recorded, file=seen)
    assert canary not in seen.getvalue() + str(caught.value) + repr(instance.__dict__)


def test_primary_rate_limit_waits_until_the_reset() -> None:
    from cml_action.forges.github.failures import classify
    from cml_action.forges.github.rest import ApiError

    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}
    exhausted = ApiError(403, {"message": "API rate limit exceeded for installation ID 1."}, headers)
    failure = classify(exhausted, now=lambda: 970.0)
    assert failure is not None and (failure.retryable, failure.wait, failure.maybe_applied) == (True, 30.0, False)
    forbidden = ApiError(403, {"message": "Resource not accessible by integration"}, {})
    assert classify(forbidden) is None  # a permission problem is not retried


@pytest.mark.parametrize("data", [{"data": "<html>I'm a teapot</html>"}, "plain text", None, {"message": ""}])
def test_an_error_without_a_json_message_is_still_one_line(data: object) -> None:
    from cml_action.forges.github.failures import describe
    from cml_action.forges.github.rest import ApiError

    text = describe(ApiError(418, data, {}), "comment", "o/r")
    assert text == "publishing the comment to o/r failed: GitHub answered 418"


def _rate_limited(status: int, message: str, **headers: str) -> Callable[[], object]:
    from cml_action.forges.github.rest import ApiError

    def call() -> object:
        raise ApiError(status, {"message": message}, {"x-github-request-id": "C0DE:1234", **headers})

    return call


def test_a_used_up_rate_limit_resetting_in_minutes_fails_at_once_with_the_reset_time() -> None:
    clock = FakeClock()
    caller = github_retrier("o/r", max_attempts=5, max_backoff=60, write_interval=0.0, sleep=clock.sleep, clock=clock)
    reset = int(time.time()) + 900
    call = _rate_limited(403, "API rate limit exceeded for installation ID 1.", **{
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})  # fmt: skip
    with pytest.raises(PublishError) as caught:
        caller.write("comment", call)
    at = time.strftime("%H:%M:%S", time.gmtime(reset))
    assert str(caught.value) == (
        f"publishing the comment to o/r failed: the token's GitHub API rate limit is used up until {at} UTC "
        "(in 15 min; rate limit (403)): re-run the job after that (GitHub request id C0DE:1234)"
    )
    assert (clock.sleeps, caller.attempts) == ([], 1)


def test_a_rate_limit_resetting_soon_is_waited_and_a_429_honours_the_reset_header() -> None:
    clock = FakeClock()
    caller = github_retrier("o/r", max_attempts=2, max_backoff=60, write_interval=0.0, sleep=clock.sleep, clock=clock)
    soon = str(int(time.time()) + 20)
    with pytest.raises(PublishError) as caught:
        caller.write("comment", _rate_limited(429, "Too many", **{
            "x-ratelimit-remaining": "0", "x-ratelimit-reset": soon}))  # fmt: skip
    assert len(clock.sleeps) == 1 and 18 <= clock.sleeps[0] <= 21  # waited until the reset, not 0.5 s
    assert str(caught.value).endswith("(GitHub request id C0DE:1234)")


def test_a_403_with_retry_after_under_other_wording_is_retried() -> None:
    clock = FakeClock()
    caller = github_retrier("o/r", max_attempts=3, max_backoff=60, write_interval=0.0, sleep=clock.sleep, clock=clock)
    answers = iter([_rate_limited(403, "You have exceeded a rate limit. Please wait.", **{"retry-after": "5"}),
                    lambda: {"id": 1}])  # fmt: skip
    assert caller.write("comment", lambda: next(answers)()) == {"id": 1}
    assert clock.sleeps == [5.0]


def test_errors_carry_githubs_request_id() -> None:
    from cml_action.forges.github.failures import describe
    from cml_action.forges.github.rest import ApiError

    denied = ApiError(403, {"message": "Resource not accessible by integration"}, {"X-GitHub-Request-Id": "AB:CD"})
    assert describe(denied, "check", "o/r") == (
        "publishing the check to o/r failed: GitHub answered 403 Resource not accessible by integration "
        "(give the job `permissions: checks: write`) (GitHub request id AB:CD)"
    )
