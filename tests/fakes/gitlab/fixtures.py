"""pytest fixtures: `fake_gitlab` (a started server with the defaults seeded) and `fake_gitlab_factory`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import FakeGitLab


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


@pytest.fixture
def fake_gitlab_factory() -> Iterator[Callable[..., FakeGitLab]]:
    started: list[FakeGitLab] = []

    def make(**kwargs: Any) -> FakeGitLab:
        server = FakeGitLab(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


JOB_URL = "https://gitlab.example/group/project/-/jobs/777"


def gitlab_env(server: FakeGitLab, *, mr: bool = True, token: str | None = None, **extra: str) -> dict[str, str]:
    """The predefined variables of a job in the default project: an MR pipeline (mr=True) or a branch pipeline."""
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": server.api_url,
        "CI_SERVER_URL": server.server_url,
        "CI_PROJECT_ID": str(server.project_id),
        "CI_PROJECT_PATH": server.project_path,
        "CI_COMMIT_SHA": server.head_sha,
        "CI_JOB_NAME": "report",
        "CI_JOB_URL": JOB_URL,
        "CI_PIPELINE_ID": "555",
        "CI_PIPELINE_URL": f"{server.server_url}/{server.project_path}/-/pipelines/555",
        "CI_JOB_TOKEN": server.job_token,
        "CML_TOKEN": server.project_token if token is None else token,
    }
    if mr:
        env |= {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": str(server.mr_iid),
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": server.base_sha,
            "CI_MERGE_REQUEST_PROJECT_ID": str(server.project_id),
            "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": str(server.project_id),
        }
    else:
        env |= {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": server.base_sha}
    env.update(extra)
    return {k: v for k, v in env.items() if v != ""}


def gitlab_forge(server: FakeGitLab, workspace: Any, *, mr: bool = True, options: Any = None,
                 sleep: Callable[[float], None] | None = None, **env: str) -> Any:  # fmt: skip
    """A GitLabForge for a job of the default project (no real sleeping between retries unless `sleep` says so)."""
    from cml_action.forges.base import ForgeOptions
    from cml_action.forges.gitlab.context import gitlab_context
    from cml_action.forges.gitlab.forge import GitLabForge

    ctx = gitlab_context(gitlab_env(server, mr=mr, **env), workspace)
    chosen = options or ForgeOptions(timeout=10.0, max_attempts=5, max_backoff=0.01)
    return GitLabForge(ctx, chosen, sleep=sleep or (lambda seconds: None))
