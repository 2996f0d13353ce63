"""GitLab run context from the predefined CI/CD variables alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cml_action.context import detect
from cml_action.errors import CmlError
from cml_action.forges.gitlab.context import gitlab_context, pick_token

HEAD = "a" * 40
BASE = "b" * 40
BEFORE = "c" * 40


def mr_env(**extra: str) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": "https://git.corp.example/gitlab/api/v4",
        "CI_SERVER_URL": "https://git.corp.example/gitlab",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": "ml/model",
        "CI_COMMIT_SHA": HEAD,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": BASE,
        "CI_MERGE_REQUEST_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "42",
        "CI_JOB_URL": "https://git.corp.example/gitlab/ml/model/-/jobs/9",
        "CI_PIPELINE_URL": "https://git.corp.example/gitlab/ml/model/-/pipelines/5",
        "CI_JOB_NAME": "cml-report",
        "CI_PIPELINE_ID": "5",
        "CI_JOB_TOKEN": "glcbt-job",
        "CML_TOKEN": "glpat-project",
    }
    env.update(extra)
    return env


def branch_env(**extra: str) -> dict[str, str]:
    env = mr_env(CI_PIPELINE_SOURCE="push", CI_COMMIT_BEFORE_SHA=BEFORE)
    for name in [k for k in env if k.startswith("CI_MERGE_REQUEST_")]:
        del env[name]
    env.update(extra)
    return env


def test_merge_request_pipeline_on_self_managed_gitlab_comes_from_env_alone(tmp_path: Path) -> None:
    ctx = gitlab_context(mr_env(), tmp_path)
    assert (ctx.forge, ctx.api_url, ctx.server_url) == (
        "gitlab",
        "https://git.corp.example/gitlab/api/v4",
        "https://git.corp.example/gitlab",
    )
    assert (ctx.project_id, ctx.repo, ctx.head_sha, ctx.event, ctx.pr_number) == (
        "42",
        "ml/model",
        HEAD,
        "merge_request_event",
        7,
    )
    assert ctx.baseline_candidates == (BASE,)
    assert ctx.merge_base_of is None
    assert (ctx.token, ctx.token_source) == ("glpat-project", "CML_TOKEN")
    assert (ctx.job, ctx.run_id) == ("cml-report", "5")
    assert ctx.job_url.endswith("/-/jobs/9") and ctx.run_url.endswith("/-/pipelines/5")
    assert ctx.key("{workflow}/{job}/{run}") == "gitlab-ci/cml-report/5"
    assert ctx.is_fork is False


def test_branch_pipeline_compares_with_the_previous_tip_then_head_parent(tmp_path: Path) -> None:
    ctx = gitlab_context(branch_env(), tmp_path)
    assert (ctx.pr_number, ctx.event, ctx.baseline_candidates) == (None, "push", (BEFORE, "HEAD~1"))


@pytest.mark.parametrize("before", ["0" * 40, ""])
def test_new_branch_or_no_before_sha_falls_back_to_head_parent(tmp_path: Path, before: str) -> None:
    ctx = gitlab_context(branch_env(CI_COMMIT_BEFORE_SHA=before), tmp_path)
    assert ctx.baseline_candidates == ("HEAD~1",)


def test_head_sha_input_overrides_the_pipeline_commit(tmp_path: Path) -> None:
    assert gitlab_context(mr_env(), tmp_path, head_sha="d" * 40).head_sha == "d" * 40


def test_server_url_defaults_to_the_api_url_without_api_v4(tmp_path: Path) -> None:
    env = mr_env()
    del env["CI_SERVER_URL"]
    assert gitlab_context(env, tmp_path).server_url == "https://git.corp.example/gitlab"


@pytest.mark.parametrize("missing", ["CI_API_V4_URL", "CI_PROJECT_ID", "CI_COMMIT_SHA"])
def test_a_missing_predefined_variable_is_one_line_naming_it(tmp_path: Path, missing: str) -> None:
    env = mr_env()
    del env[missing]
    with pytest.raises(CmlError) as caught:
        gitlab_context(env, tmp_path)
    assert missing in str(caught.value) and "\n" not in str(caught.value)


def test_fork_pipeline_running_in_the_fork_is_flagged(tmp_path: Path) -> None:
    env = mr_env(CI_PROJECT_ID="99", CI_MERGE_REQUEST_SOURCE_PROJECT_ID="99", CI_MERGE_REQUEST_PROJECT_ID="42")
    assert gitlab_context(env, tmp_path).is_fork is True
    # The same MR run in the parent project (a maintainer started it) can publish.
    parent = mr_env(CI_MERGE_REQUEST_SOURCE_PROJECT_ID="99", CI_MERGE_REQUEST_PROJECT_ID="42")
    assert gitlab_context(parent, tmp_path).is_fork is False


@pytest.mark.parametrize(
    ("env", "given", "expected"),
    [
        ({"CML_TOKEN": "t1", "REPO_TOKEN": "t2", "GITLAB_TOKEN": "t3"}, "", ("t1", "CML_TOKEN")),
        ({"REPO_TOKEN": "t2", "GITLAB_TOKEN": "t3"}, "", ("t2", "REPO_TOKEN")),
        ({"GITLAB_TOKEN": "t3"}, "", ("t3", "GITLAB_TOKEN")),
        ({"CML_TOKEN": "t1"}, "explicit", ("explicit", "input 'token'")),
        ({"CML_TOKEN": "t1"}, "t1", ("t1", "CML_TOKEN")),  # settings read CML_TOKEN into `token`
        ({}, "", ("", "")),
    ],
)
def test_token_precedence(env: dict[str, str], given: str, expected: tuple[str, str]) -> None:
    assert pick_token(env, given) == expected


def test_the_job_token_alone_is_never_used(tmp_path: Path) -> None:
    env = mr_env()
    del env["CML_TOKEN"]
    ctx = gitlab_context(env, tmp_path)
    assert (ctx.token, ctx.token_source) == ("", "CI_JOB_TOKEN")


def test_the_job_token_passed_as_cml_token_is_recognised(tmp_path: Path) -> None:
    ctx = gitlab_context(mr_env(CML_TOKEN="glcbt-job"), tmp_path, token="glcbt-job")
    assert ctx.token == ""
    assert ctx.token_source.startswith("CI_JOB_TOKEN")


def test_detect_picks_gitlab_from_gitlab_ci(tmp_path: Path) -> None:
    ctx = detect(mr_env(CI_PROJECT_DIR=str(tmp_path)))
    assert (ctx.forge, ctx.workspace) == ("gitlab", tmp_path.resolve())


def test_the_context_and_forge_modules_do_not_import_python_gitlab() -> None:
    code = (
        "import sys, cml_action.forges.gitlab.context, cml_action.forges.gitlab.forge; print('gitlab' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
