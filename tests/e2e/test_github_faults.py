"""Fault matrix for the GitHub side (issue 7): every write step x every fault the fake offers.

For each case the final state holds exactly one report with the full body (or every image on the assets
branch), nothing is duplicated, and the number of attempts at the faulted endpoint is bounded and asserted from
the fake's request log. Waits are recorded instead of slept.
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cml_action.forges.base import CheckRequest, PreparedImage, Target
from cml_action.forges.github.forge import GitHubForge
from tests.e2e.github_support import BOT, body, comment, context, forge, image, report_comments
from tests.fakes.github import FakeGitHub

FAULTS: dict[str, dict[str, Any]] = {
    "502": {"kind": "status", "status": 502},
    "503": {"kind": "status", "status": 503},
    "429": {"kind": "rate_limit_429", "retry_after": 2},
    "secondary-403": {"kind": "secondary_rate_limit", "retry_after": 3},
    "reset": {"kind": "reset"},
    "timeout": {"kind": "timeout", "delay": 1.3},
    "slow": {"kind": "slow", "delay": 0.2},
    "lost-response": {"kind": "apply_then_drop"},
}
WAIT_OF = {"429": 2.0, "secondary-403": 3.0}


@dataclass
class Case:
    """A write step: how to set it up, which request to break, how to run it and what must be true after."""

    method: str
    path: str
    setup: Callable[[FakeGitHub, Path], dict[str, Any]]
    run: Callable[[GitHubForge, dict[str, Any]], Any]
    verify: Callable[[FakeGitHub, dict[str, Any]], None]
    creates: bool = False  # a non-idempotent create: a lost response must be re-found, never re-sent
    normal: int = 1  # requests to the endpoint in a run without faults


def _pr(gh: FakeGitHub, _tmp: Path, *, existing: bool = False) -> dict[str, Any]:
    number = gh.add_pull(gh.repo, head_sha=gh.main_sha)
    if existing:
        gh.add_issue_comment(gh.repo, number, body("old report"), user=BOT, user_type="Bot")
    return {"number": number, "ctx": {"pr_number": number}}


def _one_pr_report(gh: FakeGitHub, state: dict[str, Any]) -> None:
    assert [c["body"] for c in report_comments(gh, state["number"])] == [body("full report")]


def _commit_state(gh: FakeGitHub, _tmp: Path, *, existing: bool = False) -> dict[str, Any]:
    if existing:
        gh.add_commit_comment(gh.repo, gh.main_sha, body("old report"), user=BOT, user_type="Bot")
    return {"ctx": {"event": "push"}}


def _one_commit_report(gh: FakeGitHub, _state: dict[str, Any]) -> None:
    assert [c["body"] for c in gh.commit_comments(gh.repo, gh.main_sha)] == [body("full report")]


def _check(forge_: GitHubForge, state: dict[str, Any]) -> Any:
    request = CheckRequest("CML Report", body("full report"), "failure", state["sha"], (), "CML/train")
    return forge_.post_check(request)


def _one_check(gh: FakeGitHub, _state: dict[str, Any]) -> None:
    runs = gh.check_runs(gh.repo)
    assert [(r["name"], r["conclusion"], r["output"]["summary"]) for r in runs] == [
        ("CML Report", "failure", body("full report"))
    ]


def _images(gh: FakeGitHub, tmp: Path, *, branch_exists: bool = False) -> dict[str, Any]:
    images = [image(tmp / "img", bytes([n]) * 64, name=f"p{n}") for n in range(3)]
    if branch_exists:
        seed = image(tmp / "seed", b"seed image")
        forge(gh)[0].publish_images([seed])
        gh.clear_requests()
    return {"images": images}


def _publish(forge_: GitHubForge, state: dict[str, Any]) -> Any:
    state["links"] = forge_.publish_images(state["images"])
    return state["links"]


def _all_images_landed(gh: FakeGitHub, state: dict[str, Any]) -> None:
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None
    images: list[PreparedImage] = state["images"]
    paths = set(gh.tree_paths(gh.repo, tip))
    assert {f"cml/{i.sha256[:2]}/{i.sha256}.png" for i in images} <= paths
    for item in images:
        with urllib.request.urlopen(state["links"][item.sha256]) as answer:
            assert answer.read() == item.path.read_bytes()
    blobs = gh.blob_count(gh.repo)
    forge(gh)[0].publish_images(images)  # the next run finds everything in place: nothing half-done to repair
    assert gh.blob_count(gh.repo) == blobs and gh.ref(gh.repo, "heads/cml-assets") == tip


CASES: dict[str, Case] = {
    "comment-create": Case(
        "POST", r"/issues/\d+/comments$", _pr, lambda f, s: f.post_comment(comment("full report")), _one_pr_report,
        creates=True,
    ),
    "comment-update": Case(
        "PATCH", r"/issues/comments/\d+$", lambda gh, t: _pr(gh, t, existing=True),
        lambda f, s: f.post_comment(comment("full report")), _one_pr_report,
    ),
    "comment-search": Case(
        "GET", r"/issues/\d+/comments$", lambda gh, t: _pr(gh, t, existing=True),
        lambda f, s: f.post_comment(comment("full report")), _one_pr_report,
    ),
    "recreate-delete": Case(
        "DELETE", r"/issues/comments/\d+$", lambda gh, t: _pr(gh, t, existing=True),
        lambda f, s: f.post_comment(comment("full report", mode="recreate")), _one_pr_report,
    ),
    "recreate-post": Case(
        "POST", r"/issues/\d+/comments$", lambda gh, t: _pr(gh, t, existing=True),
        lambda f, s: f.post_comment(comment("full report", mode="recreate")), _one_pr_report, creates=True,
    ),
    "commit-comment": Case(
        "POST", r"/commits/[0-9a-f]+/comments$", _commit_state,
        lambda f, s: f.post_comment(comment("full report", target=Target("commit"))), _one_commit_report,
        creates=True,
    ),
    "commit-comment-update": Case(
        "PATCH", r"/comments/\d+$", lambda gh, t: _commit_state(gh, t, existing=True),
        lambda f, s: f.post_comment(comment("full report", target=Target("commit"))), _one_commit_report,
    ),
    "check-run": Case("POST", r"/check-runs$", lambda gh, t: {"sha": gh.main_sha}, _check, _one_check, creates=True),
    "blob": Case("POST", r"/git/blobs$", _images, _publish, _all_images_landed, normal=3),
    "tree": Case("POST", r"/git/trees$", _images, _publish, _all_images_landed),
    "commit": Case("POST", r"/git/commits$", _images, _publish, _all_images_landed),
    "ref-create": Case("POST", r"/git/refs$", _images, _publish, _all_images_landed),
    "ref-update": Case(
        "PATCH", r"/git/refs/heads/cml-assets$", lambda gh, t: _images(gh, t, branch_exists=True), _publish,
        _all_images_landed,
    ),
}  # fmt: skip


def _attempts(gh: FakeGitHub, case: Case) -> int:
    return len([r for r in gh.requests if r.method == case.method and re.search(case.path, r.path)])


def _wait_for_record(gh: FakeGitHub, kind: str) -> None:
    """The fake records a stalled ('timeout') request only when its stall ends, after the client gave up."""
    deadline = time.monotonic() + 5
    while not any(r.fault == kind for r in gh.requests) and time.monotonic() < deadline:
        time.sleep(0.05)


def _run_case(gh: FakeGitHub, tmp_path: Path, case: Case, fault: dict[str, Any]) -> list[float]:
    state = case.setup(gh, tmp_path)
    gh.clear_requests()
    gh.faults.add(case.method, case.path, **fault)
    instance, sleeps = forge(gh, context(gh, **state.get("ctx", {})))
    case.run(instance, state)
    if fault["kind"] == "timeout":
        _wait_for_record(gh, "timeout")
    case.verify(gh, state)
    return sleeps


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("case_name", list(CASES))
def test_one_fault_at_each_write_step_still_gives_exactly_one_report(
    fake_github: FakeGitHub, tmp_path: Path, case_name: str, fault_name: str
) -> None:
    gh, case, fault = fake_github, CASES[case_name], FAULTS[fault_name]
    sleeps = _run_case(gh, tmp_path, case, fault)
    extra = _attempts(gh, case) - case.normal  # attempts beyond a clean run
    if fault_name == "slow":
        assert extra == 0
    elif fault_name == "lost-response" and case.creates:
        assert extra == 0, "a create whose response was lost must be re-found, not sent again"
    elif fault_name == "lost-response":
        assert extra <= 1
    else:
        assert extra == 1
    if fault_name in WAIT_OF:
        assert WAIT_OF[fault_name] in sleeps  # retry-after honoured
    assert sum(sleeps) <= 5.0


def test_comment_deleted_between_search_and_update_is_posted_again(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    state = _pr(gh, tmp_path, existing=True)
    (old,) = report_comments(gh, state["number"])
    gh.faults.add(
        "PATCH", r"/issues/comments/\d+$", "hook", hook=lambda fake: fake.delete_issue_comment(fake.repo, old["id"])
    )
    forge(gh, context(gh, pr_number=state["number"]))[0].post_comment(comment("full report"))
    _one_pr_report(gh, state)


def test_a_concurrent_job_moving_the_assets_branch_is_rebased_on(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    state = _images(gh, tmp_path, branch_exists=True)
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "non_fast_forward", times=2)
    _publish(forge(gh)[0], state)
    _all_images_landed(gh, state)
    ref_updates = gh.api_requests("PATCH", r"/git/refs/")
    assert len([r for r in ref_updates if r.status == 200]) == 1  # one commit landed, after two rebases


def test_a_burst_longer_than_the_budget_fails_with_one_line_and_no_report(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    gh = fake_github
    state = _pr(gh, tmp_path)
    gh.faults.add("POST", r"/issues/\d+/comments$", "status", status=502, times=50)
    instance, _ = forge(gh, context(gh, pr_number=state["number"]), max_attempts=4)
    with pytest.raises(Exception) as caught:
        instance.post_comment(comment("full report"))
    assert type(caught.value).__name__ == "PublishError"
    assert "\n" not in str(caught.value) and "failed after 4 attempts" in str(caught.value)
    assert len(gh.api_requests("POST", r"/issues/\d+/comments$")) == 4
    assert report_comments(gh, state["number"]) == []
