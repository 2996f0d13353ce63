"""`cml pr create` against a real git remote (a bare repository standing in for the forge's git storage) and the
fake GitHub / GitLab API: what is pushed, what pull request is opened, and that the job's checkout is untouched."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cml_action import cli
from cml_action.cli_pr import _auth_env
from tests.e2e import payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.fakes.gitlab.fixtures import fake_gitlab, gitlab_env  # noqa: F401  (fixture)
from tests.fakes.gitlab.server import FakeGitLab
from tests.gitutil import commit_files, git, init_repo
from tests.support import tune_forge_options


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "CML_")) or name == "REPO_TOKEN":
            monkeypatch.delenv(name)


def _remote_and_clone(tmp_path: Path) -> tuple[Path, Path, str]:
    """A bare 'forge' repository with main, and the job's clone of it with the job's outputs changed."""
    origin = init_repo(tmp_path / "seed")
    head = commit_files(origin, {"dvc.lock": "md5: 1\n", "metrics.json": '{"acc": 0.8}\n', "train.py": "1\n"})
    bare = tmp_path / "forge.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(bare)], check=True)
    ws = tmp_path / "ws"
    subprocess.run(["git", "clone", "-q", str(bare), str(ws)], check=True)
    (ws / "dvc.lock").write_text("md5: 2\n", encoding="utf-8")
    (ws / "metrics.json").write_text('{"acc": 0.9}\n', encoding="utf-8")
    (ws / "scratch.log").write_text("not asked for\n", encoding="utf-8")
    return bare, ws, head


def cml(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def branch_commit(bare: Path, branch: str) -> str:
    return git(bare, "rev-parse", f"refs/heads/{branch}")


@pytest.fixture
def github_job(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[FakeGitHub, Path, Path, str]:
    bare, ws, head = _remote_and_clone(tmp_path)
    gh = fake_github
    with gh.state.lock:
        gh.state.get_repo(gh.repo).git_mirror = str(bare)
    event = payloads.with_commits("push", head=head, base=gh.main_sha, repo=gh.repo)
    _clean_env(monkeypatch)
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(payloads.write(tmp_path / "event.json", event)),
        "GITHUB_SHA": head,
        "GITHUB_REF_NAME": "main",
        "GITHUB_TOKEN": gh.app_token,
        "GITHUB_WORKSPACE": str(ws),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ws)
    monkeypatch.setenv("CML_WRITE_INTERVAL", "0")
    return gh, bare, ws, head


def test_the_changed_paths_go_to_a_new_branch_and_a_pull_request(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gh, bare, ws, head = github_job
    before = (git(ws, "status", "--porcelain"), git(ws, "rev-parse", "HEAD"), git(ws, "branch", "--show-current"))
    code, out, err = cml(capsys, "pr", "create", "dvc.lock", "metrics.json")
    assert code == 0, err
    branch = f"main-cml-pr-{head[:8]}"
    [pull] = gh.state.get_repo(gh.repo).pulls.values()
    assert (pull.head_ref, pull.base_ref, pull.title) == (branch, "main", f"CML PR for main {head[:8]}")
    assert pull.body == f"Automated commits for {gh.server_url}/{gh.repo}/commit/{head} created by cml-action."
    assert out == f"{gh.server_url}/{gh.repo}/pull/{pull.number}\n"
    commit = branch_commit(bare, branch)
    assert git(bare, "rev-parse", f"{commit}^") == head
    assert git(bare, "show", "-s", "--format=%an <%ae>|%s", commit) == (
        f"cml-action[bot] <cml-action[bot]@users.noreply.github.com>|CML PR for {head[:8]}"
    )
    assert git(bare, "diff", "--name-only", head, commit).splitlines() == ["dvc.lock", "metrics.json"]
    assert git(bare, "show", f"{commit}:dvc.lock") == "md5: 2"
    # The job's checkout is exactly as it was: same changes, same HEAD, same branch; no token in its config.
    after = (git(ws, "status", "--porcelain"), git(ws, "rev-parse", "HEAD"), git(ws, "branch", "--show-current"))
    assert after == before
    assert gh.app_token not in (ws / ".git" / "config").read_text(encoding="utf-8")


def test_running_twice_prints_the_same_pull_request(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gh, bare, _, head = github_job
    first = cml(capsys, "pr", "create", "dvc.lock", "--md")
    tip = branch_commit(bare, f"main-cml-pr-{head[:8]}")
    writes_before = len(gh.writes())
    second = cml(capsys, "pr", "create", "dvc.lock", "--md")
    assert first[0] == second[0] == 0
    [pull] = gh.state.get_repo(gh.repo).pulls.values()
    assert first[1] == second[1] == f"[CML's Pull Request]({gh.server_url}/{gh.repo}/pull/{pull.number})\n"
    assert branch_commit(bare, f"main-cml-pr-{head[:8]}") == tip  # nothing pushed again
    assert len(gh.writes()) == writes_before  # and nothing written through the API


def test_auto_merge_waits_for_checks_and_merges_at_once_when_clean(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gh, *_ = github_job
    code, _, err = cml(capsys, "pr", "create", "dvc.lock", "--squash", "--branch", "retrain")
    assert code == 0, err
    repo = gh.state.get_repo(gh.repo)
    [pull] = repo.pulls.values()
    assert (pull.auto_merge, pull.merged) == ("squash", False)
    assert "auto-merge (squash) enabled" in err
    repo.required_checks_pending = False  # nothing to wait for: GitHub answers "clean status"
    code, _, err = cml(capsys, "pr", "create", "metrics.json", "--merge", "--branch", "retrain-2")
    assert code == 0, err
    merged = [p for p in repo.pulls.values() if p.head_ref == "retrain-2"]
    assert merged[0].merged and "merged (merge): it was mergeable at once" in err


def test_auto_merge_turned_off_leaves_the_pr_open_with_a_note(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gh, *_ = github_job
    gh.state.get_repo(gh.repo).allow_auto_merge = False
    code, out, err = cml(capsys, "pr", "create", "dvc.lock", "--rebase")
    assert code == 0 and out.startswith(f"{gh.server_url}/{gh.repo}/pull/")
    assert "stays open: GitHub refused auto-merge (Auto merge is not allowed for this repository)" in err


def test_nothing_changed_is_nothing_to_do(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gh, *_ = github_job
    code, out, err = cml(capsys, "pr", "create", "train.py")
    assert (code, out) == (0, "")
    assert "none of the given paths changed: nothing to do" in err
    assert gh.writes() == []


def test_globs_and_a_bad_branch_name(
    github_job: tuple[FakeGitHub, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, bare, _, head = github_job
    code, _, err = cml(capsys, "pr", "create", "*.json", "--branch", "bad..name")
    assert code == 1 and err.strip() == "::error::--branch: 'bad..name' is not a valid branch name"
    assert cml(capsys, "pr", "create", "*.json")[0] == 0
    commit = branch_commit(bare, f"main-cml-pr-{head[:8]}")
    assert git(bare, "diff", "--name-only", head, commit).splitlines() == ["metrics.json"]


def test_the_token_goes_in_one_header_for_the_remotes_host() -> None:
    env = _auth_env("https://github.com/o/r.git", "x-access-token", "ghs_secret")
    assert env == {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "http.https://github.com/.extraheader",
        "GIT_CONFIG_VALUE_0": "",  # drops the header actions/checkout persisted, so exactly one is sent
        "GIT_CONFIG_KEY_1": "http.https://github.com/.extraheader",
        "GIT_CONFIG_VALUE_1": "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==",
    }
    assert _auth_env("/srv/git/r.git", "u", "t") == {}  # not HTTP: nothing to send


def test_gitlab_opens_a_merge_request_set_to_merge_when_the_pipeline_succeeds(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bare, ws, head = _remote_and_clone(tmp_path)
    lab = fake_gitlab
    project = lab.state.project(str(lab.project_id))
    assert project is not None
    project.git_mirror = str(bare)
    _clean_env(monkeypatch)
    env = gitlab_env(lab, mr=False, CI_PROJECT_DIR=str(ws), CI_COMMIT_SHA=head, CI_COMMIT_BRANCH="main")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ws)
    tune_forge_options(monkeypatch, max_backoff=0.01)
    code, out, err = cml(capsys, "pr", "create", "dvc.lock", "--squash", "--md", "--title", "Retrained")
    assert code == 0, err
    [mr] = [m for m in project.mrs.values() if m.source_branch == f"main-cml-pr-{head[:8]}"]
    assert (mr.target_branch, mr.title, mr.merge_when_pipeline_succeeds, mr.squash) == ("main", "Retrained", True, True)
    assert out == f"[CML's Merge Request]({lab.server_url}/{lab.project_path}/-/merge_requests/{mr.iid})\n"
    assert git(bare, "rev-parse", f"refs/heads/main-cml-pr-{head[:8]}^") == head
    again = cml(capsys, "pr", "create", "dvc.lock")
    assert again[0] == 0 and again[1] == f"{lab.server_url}/{lab.project_path}/-/merge_requests/{mr.iid}\n"
    assert len([m for m in project.mrs.values() if m.source_branch == mr.source_branch]) == 1
