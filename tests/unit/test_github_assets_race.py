"""The assets-branch ref race (issue 15 item 2): rebuild on the new tip with full-jitter backoff for a time budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cml_action.errors import PublishError
from cml_action.forges.base import ForgeOptions
from cml_action.forges.github.branch import (
    REF_RACE_BACKOFF_BASE_SECONDS,
    REF_RACE_BACKOFF_CAP_SECONDS,
    REF_RACE_BUDGET_SECONDS,
    full_jitter,
)
from cml_action.forges.github.forge import GitHubForge
from tests.e2e.github_support import calls, context, image
from tests.fakes.github import FakeGitHub
from tests.forge_support import FakeClock

BRANCH = "heads/cml-assets"


def virtual_forge(gh: FakeGitHub, clock: FakeClock) -> GitHubForge:
    options = ForgeOptions(write_interval=0.0, timeout=2.0, max_attempts=3, max_backoff=1.0)
    return GitHubForge(context(gh), options, sleep=clock.sleep, clock=clock)


class OtherJob:
    """What a concurrent job does between our tip read and our ref update: a commit on top of the tip."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {"seed.png": b"seed"}

    def __call__(self, fake: Any) -> None:
        self.files[f"other/{len(self.files)}.png"] = b"x"
        fake.add_commit(fake.repo, self.files, branch="cml-assets")


def test_full_jitter_stays_under_the_doubling_ceiling_and_varies() -> None:
    for round_number in range(1, 12):
        ceiling = min(REF_RACE_BACKOFF_CAP_SECONDS, REF_RACE_BACKOFF_BASE_SECONDS * 2 ** (round_number - 1))
        waits = [full_jitter(round_number) for _ in range(200)]
        assert all(0.0 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 150  # random, so jobs that lost together do not retry together


def test_a_branch_moved_many_times_is_rebuilt_on_each_new_tip_reusing_blobs(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    gh = fake_github
    gh.add_commit(gh.repo, {"seed.png": b"seed"}, parents=[], branch="cml-assets")
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "hook", times=9, hook=OtherJob())
    images = [image(tmp_path, bytes([n]) * 40, name=f"p{n}") for n in range(2)]
    clock = FakeClock()  # only the forge's sleeps move it
    links = virtual_forge(gh, clock).publish_images(images)
    posts = [c for c in calls(gh) if c.startswith(("POST", "PATCH"))]
    # blobs once (reused on every rebuild), then a tree, a commit and a ref update per round: 9 lost, 1 landed
    assert posts == ["POST /git/blobs"] * 2 + ["POST /git/trees", "POST /git/commits", f"PATCH /git/refs/{BRANCH}"] * 10
    assert len(clock.sleeps) == 9 and len(set(clock.sleeps)) == 9  # a jittered wait after each lost round
    for round_number, wait in enumerate(clock.sleeps, start=1):
        assert 0 <= wait <= REF_RACE_BACKOFF_BASE_SECONDS * 2 ** (round_number - 1)
    tip = gh.ref(gh.repo, BRANCH)
    assert tip is not None
    paths = gh.tree_paths(gh.repo, tip)
    assert "seed.png" in paths and len([p for p in paths if p.startswith("other/")]) == 9  # nothing overwritten
    for item in images:
        assert links[item.sha256].startswith(f"{gh.server_url}/{gh.repo}/blob/{tip}/")
        assert gh.file_at(gh.repo, tip, f"cml/{item.sha256[:2]}/{item.sha256}.png") == item.path.read_bytes()


def test_a_branch_that_never_stops_moving_fails_after_the_time_budget(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "non_fast_forward", times=10**6)
    gh.faults.add("POST", r"/git/refs$", "hook", hook=lambda fake: fake.add_commit(fake.repo, branch="cml-assets"))
    clock = FakeClock()  # only the forge's sleeps move it
    with pytest.raises(PublishError) as failure:
        virtual_forge(gh, clock).publish_images([image(tmp_path, b"late")])
    rounds = len(gh.api_requests("POST", r"/git/commits$"))
    assert str(failure.value) == (
        f"publishing the images to {gh.repo} failed: the branch 'cml-assets' kept moving under us for "
        f"{REF_RACE_BUDGET_SECONDS:g} s ({rounds} attempts; re-run the job, or use a separate assets-branch per "
        "workflow)"
    )
    # far more than the old five rounds, and the waits end exactly at the budget, not beyond it
    assert rounds > 20 and len(gh.api_requests("POST", r"/git/blobs$")) == 1
    assert sum(clock.sleeps) == pytest.approx(REF_RACE_BUDGET_SECONDS)
    assert max(clock.sleeps) <= REF_RACE_BACKOFF_CAP_SECONDS


def test_a_422_that_is_not_a_race_fails_at_once_with_one_line(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    gh.add_commit(gh.repo, {"seed.png": b"seed"}, parents=[], branch="cml-assets")
    gh.faults.add("PATCH", r"/git/refs/heads/cml-assets$", "status", status=422, times=10**6)  # not a ref race
    clock = FakeClock()
    with pytest.raises(PublishError) as failure:
        virtual_forge(gh, clock).publish_images([image(tmp_path, b"img")])
    text, _, request_id = str(failure.value).partition(" (GitHub request id ")
    assert text == f"publishing the images to {gh.repo} failed: GitHub answered 422 Server Error" and request_id
    assert len(gh.api_requests("PATCH")) == 1 and clock.sleeps == []
