"""pytest fixtures: import them into a conftest.py (``from tests.fakes.github.fixtures import fake_github``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fake import FakeGitHub

# Opt-in: also fail on responses that differ from the spec's schemas (a check of the fake itself).
STRICT_RESPONSES = os.environ.get("FAKE_GITHUB_STRICT_RESPONSES") == "1"


def _assert_clean(fake: FakeGitHub) -> None:
    if STRICT_RESPONSES:
        assert not fake.response_mismatches, "fake responses differ from the spec:\n" + "\n".join(
            fake.response_mismatches
        )
    assert not fake.internal_errors, "the fake GitHub crashed:\n" + "\n".join(fake.internal_errors)
    assert not fake.violations, "requests broke GitHub's OpenAPI description:\n" + "\n".join(fake.violations)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A started FakeGitHub with the default repo and tokens; fails the test if any request broke the spec."""
    with FakeGitHub() as fake:
        yield fake
        _assert_clean(fake)


@pytest.fixture
def fake_github_factory() -> Iterator[Callable[..., FakeGitHub]]:
    """``make(**kwargs)`` starts another FakeGitHub; every one is stopped and checked at teardown."""
    started: list[FakeGitHub] = []

    def make(**kwargs: Any) -> FakeGitHub:
        fake = FakeGitHub(**kwargs).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()
    for fake in started:
        _assert_clean(fake)
