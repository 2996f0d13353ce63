"""The retry policy both forges share (`forges.retry`), with a stand-in forge: one rule, one vocabulary."""

from __future__ import annotations

import pytest

from cml_action.errors import PublishError
from cml_action.forges.retry import Failure, Retrier, Wording


class Lost(Exception):
    pass


class Refused(Exception):
    pass


def verdict(exc: BaseException) -> Failure | None:
    if isinstance(exc, Lost):
        return Failure("connection lost", retryable=True, maybe_applied=True, request_id="R1")
    if isinstance(exc, Refused):
        return Failure("401 Unauthorized", retryable=False, maybe_applied=False, request_id="R2")
    return None


def retrier(sleeps: list[float], attempts: int = 3) -> Retrier:
    wording = Wording("Forge", lambda what: f"Forge: {what} failed", " (re-run the job)", "request id")
    return Retrier(wording, verdict, max_attempts=attempts, max_backoff=1.0, sleep=sleeps.append)


def test_a_write_that_may_have_landed_is_looked_up_before_it_is_sent_again() -> None:
    sleeps: list[float] = []
    sent: list[str] = []

    def create() -> str:
        sent.append("create")
        raise Lost()

    assert retrier(sleeps).write("create the note", create, refind=lambda: "found") == "found"
    assert (sent, sleeps) == (["create"], [])  # found it: no second create, no wait


def test_what_retrying_cannot_fix_fails_at_once_and_the_rest_after_capped_backoff() -> None:
    sleeps: list[float] = []
    with pytest.raises(PublishError) as refused:
        retrier(sleeps).read("read the user", lambda: (_ for _ in ()).throw(Refused()))
    assert (str(refused.value), sleeps) == ("Forge: read the user failed: 401 Unauthorized (request id R2)", [])
    with pytest.raises(PublishError) as lost:
        retrier(sleeps, attempts=4).write("create the note", lambda: (_ for _ in ()).throw(Lost()), refind=lambda: None)
    assert str(lost.value) == (
        "Forge: create the note failed after 4 attempts: connection lost (re-run the job) (request id R1)"
    )
    assert sleeps == [0.5, 1.0, 1.0]  # doubled, capped by max_backoff
    with pytest.raises(KeyError):  # not a forge failure: the caller's to handle
        retrier(sleeps).read("x", lambda: {}["missing"])
