"""Helpers the forge tests share: a clock the forge's own sleeps move, and the GitLab report shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from cml_action.forges.base import CommentRequest, Target
from tests.fakes.gitlab import FakeGitLab

T = TypeVar("T")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


MARKER = "<!-- cml-action:key=gitlab-ci/report -->"
NOTES = "/projects/42/merge_requests/1/notes"


def report(text: str = "metrics went up", marker: str = MARKER) -> str:
    return f"## CML Report\n\n{text}\n\n{marker}"


def comment(body: str, target: Target | None = None, mode: str = "update", marker: str = MARKER) -> CommentRequest:
    return CommentRequest(body, marker, target or Target("auto"), mode)  # type: ignore[arg-type]


def discussions_path(gl: FakeGitLab) -> str:
    return f"/projects/42/repository/commits/{gl.head_sha}/discussions"


def without_nonce(body: str) -> str:
    """A group comment's body without the line that made its create unique (group_publish._with_nonce)."""
    import re

    return re.sub(r"<!-- cml-action:created=[0-9a-f]+ -->\n", "", body)


def run_at_once(work: Callable[[T], object], items: Iterable[T], *, jitter: float = 0.0) -> None:
    """`work(item)` for each item in its own thread, all started together, each after a random delay up to
    `jitter` seconds (jobs of a matrix); fails with every error a thread raised."""
    import random
    import threading
    import time

    failures: list[BaseException] = []

    def one(item: T) -> None:
        time.sleep(random.uniform(0, jitter))
        try:
            work(item)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
