"""GitHub run context from the env and documented-shape event payloads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cml_action.context import detect
from cml_action.errors import CmlError
from cml_action.forges.github.context import github_context
from tests.e2e import payloads

REPO = "octo-org/hello-world"
MERGE_SHA = "e" * 40  # GITHUB_SHA of a pull_request run is the merge commit


def env_for(tmp_path: Path, name: str, **extra: str) -> dict[str, str]:
    event_path = payloads.write(tmp_path / "event.json", payloads.load(name))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_EVENT_NAME": payloads.EVENT_OF[name],
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_RUN_ID": "1658821493",
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
    }
    env.update(extra)
    return env


def test_pull_request_reports_on_the_head_commit_against_the_merge_base(tmp_path: Path) -> None:
    payload = payloads.load("pull_request_opened")
    ctx = github_context(env_for(tmp_path, "pull_request_opened"), tmp_path)
    assert ctx.forge == "github"
    assert ctx.event == "pull_request"
    assert ctx.head_sha == payload["pull_request"]["head"]["sha"]
    assert ctx.pr_number == 1347
    assert ctx.merge_base_of == (payload["pull_request"]["base"]["sha"], ctx.head_sha)
    assert ctx.baseline_candidates == ()
    assert ctx.is_fork is False
    assert ctx.key("{workflow}/{job}") == "CML/train"


def test_pull_request_from_a_fork_is_read_only(tmp_path: Path) -> None:
    ctx = github_context(env_for(tmp_path, "pull_request_fork"), tmp_path)
    assert ctx.is_fork is True
    assert ctx.pr_number == 1347


def test_pull_request_target_from_a_fork_has_the_base_repository_token(tmp_path: Path) -> None:
    env = env_for(tmp_path, "pull_request_fork", GITHUB_EVENT_NAME="pull_request_target")
    ctx = github_context(env, tmp_path)
    assert ctx.is_fork is False
    assert ctx.pr_number == 1347


def test_head_sha_input_overrides_the_event(tmp_path: Path) -> None:
    ctx = github_context(env_for(tmp_path, "pull_request_opened"), tmp_path, head_sha="a" * 40)
    assert ctx.head_sha == "a" * 40
    assert ctx.merge_base_of is not None and ctx.merge_base_of[1] == "a" * 40


def test_push_compares_with_before(tmp_path: Path) -> None:
    payload = payloads.load("push")
    ctx = github_context(env_for(tmp_path, "push", GITHUB_SHA=payload["after"]), tmp_path)
    assert ctx.head_sha == payload["after"]
    assert ctx.pr_number is None
    assert ctx.baseline_candidates == (payload["before"],)
    assert ctx.merge_base_of is None


def test_push_of_a_new_branch_compares_with_the_previous_commit(tmp_path: Path) -> None:
    ctx = github_context(env_for(tmp_path, "push_new_branch"), tmp_path)
    assert ctx.baseline_candidates == ("HEAD~1",)


@pytest.mark.parametrize("name", ["workflow_dispatch", "schedule"])
def test_manual_and_scheduled_runs_compare_with_the_previous_commit(tmp_path: Path, name: str) -> None:
    ctx = github_context(env_for(tmp_path, name), tmp_path)
    assert ctx.head_sha == MERGE_SHA
    assert ctx.baseline_candidates == ("HEAD~1",)
    assert ctx.pr_number is None


def test_workflow_run_reports_on_the_triggering_run(tmp_path: Path) -> None:
    event = tmp_path / "workflow_run.json"
    pulls = [{"number": 7, "head": {"sha": "b" * 40}}]
    payloads.write(event, {"workflow_run": {"head_sha": "b" * 40, "pull_requests": pulls}})
    env = env_for(tmp_path, "schedule", GITHUB_EVENT_NAME="workflow_run", GITHUB_EVENT_PATH=str(event))
    ctx = github_context(env, tmp_path)
    assert (ctx.head_sha, ctx.pr_number, ctx.baseline_candidates) == ("b" * 40, 7, ("HEAD~1",))


def test_urls_default_to_github_com_only_when_unset(tmp_path: Path) -> None:
    ctx = github_context(env_for(tmp_path, "push"), tmp_path)
    assert (ctx.api_url, ctx.server_url) == ("https://api.github.com", "https://github.com")
    assert ctx.run_url == "https://github.com/octo-org/hello-world/actions/runs/1658821493"


def test_enterprise_needs_no_extra_input(tmp_path: Path) -> None:
    env = env_for(
        tmp_path, "push", GITHUB_API_URL="https://ghe.example.com/api/v3", GITHUB_SERVER_URL="https://ghe.example.com/"
    )
    ctx = github_context(env, tmp_path)
    assert ctx.api_url == "https://ghe.example.com/api/v3"
    assert ctx.run_url == "https://ghe.example.com/octo-org/hello-world/actions/runs/1658821493"


def test_token_input_wins_over_github_token_env(tmp_path: Path) -> None:
    env = env_for(tmp_path, "push", GITHUB_TOKEN="ghs_fromenv")
    assert github_context(env, tmp_path, token="ghs_input").token == "ghs_input"
    from_env = github_context(env, tmp_path)
    assert (from_env.token, from_env.token_source) == ("ghs_fromenv", "GITHUB_TOKEN")


def test_token_never_appears_in_the_context_repr(tmp_path: Path) -> None:
    ctx = github_context(env_for(tmp_path, "push"), tmp_path, token="ghs_CANARY0123456789")
    assert "CANARY" not in repr(ctx)


def test_detect_delegates_to_github(tmp_path: Path) -> None:
    env = env_for(tmp_path, "pull_request_opened", GITHUB_WORKSPACE=str(tmp_path))
    ctx = detect(env)
    assert (ctx.forge, ctx.pr_number, ctx.workspace) == ("github", 1347, tmp_path.resolve())


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot be read (No such file or directory)"),
        ('{"pull_request": {"number": true, "head": {"sha": "a"}, "base": {"sha": "b"}}}', "lacks pull_request.number"),
        ('{"pull_request": {"number": 0, "head": {"sha": "a"}, "base": {"sha": "b"}}}', "lacks pull_request.number"),
        ("@fifo", "is a named pipe (FIFO), not a regular file"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"action": "opened"}', "lacks pull_request.number/head.sha/base.sha"),
    ],
)
def test_bad_event_payload_is_one_line_with_the_fix(tmp_path: Path, content: str | None, fragment: str) -> None:
    env = env_for(tmp_path, "pull_request_opened")
    event = Path(env["GITHUB_EVENT_PATH"])
    if content is None:
        event.unlink()
    elif content == "@fifo":  # used to block forever, waiting for a writer
        event.unlink()
        os.mkfifo(event)
    else:
        event.write_text(content, encoding="utf-8")
    with pytest.raises(CmlError) as caught:
        github_context(env, tmp_path)
    message = str(caught.value)
    assert fragment in message
    assert "GITHUB_EVENT_PATH" in message
    assert "\n" not in message


@pytest.mark.parametrize("missing", ["GITHUB_EVENT_PATH", "GITHUB_REPOSITORY", "GITHUB_EVENT_NAME"])
def test_missing_env_names_the_variable(tmp_path: Path, missing: str) -> None:
    env = env_for(tmp_path, "push")
    del env[missing]
    with pytest.raises(CmlError, match=missing):
        github_context(env, tmp_path)


def test_an_endless_device_as_event_payload_is_refused(tmp_path: Path) -> None:
    env = {**env_for(tmp_path, "push"), "GITHUB_EVENT_PATH": "/dev/zero"}
    with pytest.raises(CmlError) as caught:
        github_context(env, tmp_path)
    assert str(caught.value).startswith("the event payload /dev/zero is a character device, not a regular file")


def test_a_workflow_run_pull_request_number_must_be_a_number(tmp_path: Path) -> None:
    event = tmp_path / "workflow_run.json"
    payloads.write(event, {"workflow_run": {"head_sha": "b" * 40, "pull_requests": [{"number": True}]}})
    env = env_for(tmp_path, "schedule", GITHUB_EVENT_NAME="workflow_run", GITHUB_EVENT_PATH=str(event))
    assert github_context(env, tmp_path).pr_number is None
