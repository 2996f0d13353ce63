"""Every GitLab write step x every fault kind: one report with the full body, no duplicates, bounded attempts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from cml_action.errors import PublishError
from cml_action.forges.base import CheckRequest, CommentRequest, ForgeOptions, PreparedImage, Target
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.fakes.gitlab.fixtures import JOB_URL, gitlab_forge

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name

MARKER = "<!-- cml-action:key=gitlab-ci/report -->"
ATTEMPTS = 5
# The client gives up after 0.75 s; a "timeout" fault holds the answer for 1.5 s.
OPTIONS = ForgeOptions(timeout=0.75, max_attempts=ATTEMPTS, max_backoff=0.01)

FAULTS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "502-burst": ("status", 2, {"status": 502}),
    "500": ("status", 1, {"status": 500}),  # retried like GitHub's 500: one rule for both forges
    "503": ("status", 1, {"status": 503}),
    "429-retry-after": ("rate_limit_429", 1, {"retry_after": 1}),
    "reset": ("reset", 1, {}),
    "read-timeout": ("timeout", 1, {"delay": 1.5}),
    "slow": ("slow", 1, {"delay": 0.05}),
    "apply-then-drop": ("apply_then_drop", 1, {}),
}


def body(text: str) -> str:
    return f"## CML Report\n\n{text}\n\n{MARKER}"


def reports(gl: FakeGitLab) -> list[str]:
    """Every report body on the MR and on the head commit: the final state the user sees."""
    notes = [n["body"] for n in gl.mr_notes() if MARKER in n["body"]]
    threads = [n["body"] for d in gl.commit_discussions() for n in d["notes"] if MARKER in n["body"]]
    return notes + threads


@dataclass(frozen=True)
class Step:
    method: str
    path_regex: str
    run: Callable[[FakeGitLab, Path], None]  # publishes "final"; may seed an earlier report first
    expect: Callable[[FakeGitLab], None]


def _forge(gl: FakeGitLab, tmp: Path, **kw: Any) -> Any:
    return gitlab_forge(gl, tmp, options=OPTIONS, **kw)


def _post(gl: FakeGitLab, tmp: Path, text: str, *, mr: bool = True, mode: str = "update") -> None:
    target = Target("auto")
    _forge(gl, tmp, mr=mr).post_comment(CommentRequest(body(text), MARKER, target, mode))  # type: ignore[arg-type]


def _seed_then(mode: str, *, mr: bool = True) -> Callable[[FakeGitLab, Path], None]:
    def run(gl: FakeGitLab, tmp: Path) -> None:
        faults = gl.faults._faults[:]
        gl.faults.clear()
        _post(gl, tmp, "earlier", mr=mr)
        gl.faults._faults[:] = faults
        _post(gl, tmp, "final", mr=mr, mode=mode)

    return run


def _no_mr(run: Callable[[FakeGitLab, Path], None]) -> Callable[[FakeGitLab, Path], None]:
    def wrapped(gl: FakeGitLab, tmp: Path) -> None:
        gl.state.projects[42].mrs[1].state = "merged"
        run(gl, tmp)

    return wrapped


def _one_final_report(gl: FakeGitLab) -> None:
    assert reports(gl) == [body("final")]


def _status(gl: FakeGitLab, tmp: Path) -> None:
    _forge(gl, tmp).post_check(CheckRequest("CML Report", "s", "success", gl.head_sha))


def _one_status(gl: FakeGitLab) -> None:
    assert [(s["name"], s["status"], s["target_url"]) for s in gl.statuses()] == [("CML Report", "success", JOB_URL)]


def _image(tmp: Path) -> PreparedImage:
    content = b"\x89PNG pixels"
    digest = hashlib.sha256(content).hexdigest()
    path = tmp / f"{digest}.png"
    path.write_bytes(content)
    return PreparedImage(path, digest, "png", "plot", 4, 4)


def _upload(gl: FakeGitLab, tmp: Path) -> None:
    png = _image(tmp)
    url = _forge(gl, tmp).publish_images([png])[png.sha256]
    _post(gl, tmp, f"![plot]({url})")


def _image_resolves(gl: FakeGitLab) -> None:
    (final,) = reports(gl)
    url = final.split("](", 1)[1].split(")", 1)[0]
    assert requests.get(f"{gl.server_url}/group/project{url}", timeout=5).content == b"\x89PNG pixels"
    assert 1 <= len(gl.uploads()) <= 2  # a lost answer may leave one unreferenced upload behind


NOTES = r"/merge_requests/1/notes"
DISCUSSIONS = r"/repository/commits/\w+/discussions"
STEPS = {
    "mr-note-create": Step("POST", NOTES + "$", lambda gl, tmp: _post(gl, tmp, "final"), _one_final_report),
    "mr-note-update": Step("PUT", NOTES + r"/\d+$", _seed_then("update"), _one_final_report),
    "mr-note-recreate-delete": Step("DELETE", NOTES + r"/\d+$", _seed_then("recreate"), _one_final_report),
    "mr-note-recreate-create": Step("POST", NOTES + "$", _seed_then("recreate"), _one_final_report),
    "mr-notes-list": Step("GET", NOTES + "$", lambda gl, tmp: _post(gl, tmp, "final"), _one_final_report),
    "commit-discussion-create": Step(
        "POST", DISCUSSIONS + "$", _no_mr(lambda gl, tmp: _post(gl, tmp, "final", mr=False)), _one_final_report
    ),
    "commit-discussion-update": Step(
        "PUT", DISCUSSIONS + r"/\w+/notes/\d+$", _no_mr(_seed_then("update", mr=False)), _one_final_report
    ),
    "commit-status": Step("POST", r"/statuses/\w+$", _status, _one_status),
    "upload": Step("POST", r"/uploads$", _upload, _image_resolves),
}


@pytest.mark.parametrize("fault_name", sorted(FAULTS))
@pytest.mark.parametrize("step_name", sorted(STEPS))
def test_fault_at_write_step_leaves_exactly_one_full_report(
    fake_gitlab: FakeGitLab, tmp_path: Path, step_name: str, fault_name: str
) -> None:
    step = STEPS[step_name]
    kind, times, options = FAULTS[fault_name]
    fault = fake_gitlab.faults.add(step.method, step.path_regex, kind, times=times, **options)
    step.run(fake_gitlab, tmp_path)
    assert fault.fired == times
    step.expect(fake_gitlab)
    attempts = fake_gitlab.api_requests(step.method, step.path_regex)
    assert len(attempts) <= ATTEMPTS + 1  # +1: the seeding run of update/recreate steps


def test_a_note_deleted_between_search_and_update_is_recreated(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    _post(fake_gitlab, tmp_path, "earlier")
    (note,) = fake_gitlab.mr_notes()
    fake_gitlab.faults.add("PUT", NOTES + r"/\d+$", "hook", hook=lambda gl: gl.delete_mr_note(42, 1, note["id"]))
    _post(fake_gitlab, tmp_path, "final")
    assert reports(fake_gitlab) == [body("final")]


def test_a_lost_create_answer_is_found_by_marker_not_posted_twice(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.faults.add("POST", NOTES + "$", "apply_then_drop")
    _post(fake_gitlab, tmp_path, "final")
    assert len(fake_gitlab.api_requests("POST", NOTES + "$")) == 1
    assert reports(fake_gitlab) == [body("final")]


def test_retry_after_is_honoured_in_full_and_our_backoff_is_capped(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    waits: list[float] = []
    fake_gitlab.faults.add("POST", NOTES + "$", "rate_limit_429", retry_after=7)
    fake_gitlab.faults.add("POST", NOTES + "$", "status", status=502, after=1)
    forge = gitlab_forge(fake_gitlab, tmp_path, options=ForgeOptions(max_backoff=5.0), sleep=waits.append)
    forge.post_comment(CommentRequest(body("final"), MARKER, Target("auto"), "update"))
    assert waits[0] == 7.0  # retry-after 7 s honoured in full, although max_backoff is 5 s
    assert 0.5 <= waits[1] <= 0.5 * 1.25 * 2  # then exponential backoff
    assert reports(fake_gitlab) == [body("final")]


def test_a_retry_after_beyond_the_step_budget_fails_at_once(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    waits: list[float] = []
    fake_gitlab.faults.add("POST", NOTES + "$", "rate_limit_429", retry_after=3600)
    forge = gitlab_forge(fake_gitlab, tmp_path, sleep=waits.append)
    with pytest.raises(PublishError) as caught:
        forge.post_comment(CommentRequest(body("final"), MARKER, Target("auto"), "update"))
    assert waits == []
    assert "GitLab asked to wait 3600 s" in str(caught.value) and "\n" not in str(caught.value)


def test_a_failure_for_good_is_one_line_after_bounded_attempts(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.faults.add("POST", NOTES + "$", "status", times=99, status=503)
    with pytest.raises(PublishError) as caught:
        _post(fake_gitlab, tmp_path, "final")
    assert (
        str(caught.value)
        == f"GitLab: create the report on MR !1 failed after {ATTEMPTS} attempts: 503 Service Unavailable"
    )
    assert len(fake_gitlab.api_requests("POST", NOTES + "$")) == ATTEMPTS
    assert reports(fake_gitlab) == []


def test_a_refused_write_is_not_retried(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.faults.add("POST", NOTES + "$", "status", status=422)
    with pytest.raises(PublishError, match="create the report on MR !1 failed: 422 Unprocessable"):
        _post(fake_gitlab, tmp_path, "final")
    assert len(fake_gitlab.api_requests("POST", NOTES + "$")) == 1
