"""A matrix of 8 jobs with one `group` as 8 `entrypoint.py` processes started together against each fake forge,
with slow answers and injected 502s (issue 11, "One comment for a matrix"): the pull request (merge request) ends
with ONE report comment that has all 8 sections; a later re-run of one job changes only its own section.

Each job computes its metrics in CI (an uncommitted metrics.json of its own) and records its section in the results
store on the forge (the forge's `results_branch()`). A forge without a store backend of its own gets a test-only
one in a shared folder (tests/fakes/store_hook), so the group protocol across processes is tested either way."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cml_action.forges.github.forge import GitHubForge
from cml_action.forges.gitlab.forge import GitLabForge
from cml_action.report.group import group_marker
from tests.e2e.gitlab_support import MR_IID, make_workspace, predefined, seed, template_variables
from tests.e2e.matrix_support import ENTRYPOINT, Finished, Job, Template, clone, github_job, make_template, run_together
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab

JOBS = 8
MARKER = group_marker("models")
SECTION = re.compile(r"<details><summary>(?P<key>[^<]+?)(?: ❌)?</summary>\n\n(?P<body>.*?)\n\n</details>", re.S)


HOOK = Path(__file__).resolve().parents[1] / "fakes" / "store_hook"
ROOT = Path(__file__).resolve().parents[2]


def with_store(env: dict[str, str], forge: type, folder: Path) -> dict[str, str]:
    """The job's environment, with the test-only store when the forge has no backend of its own yet."""
    if "results_branch" in vars(forge):
        return env
    return env | {"PYTHONPATH": f"{HOOK}{os.pathsep}{ROOT}", "CML_TEST_STORE_DIR": str(folder)}


def all_succeeded(results: list[Finished]) -> None:
    failed = [f"job {r.index} exit {r.code}:\n{r.log}" for r in results if r.code != 0]
    assert not failed, "\n".join(failed)


def sections(body: str) -> dict[str, str]:
    return {found["key"]: found["body"] for found in SECTION.finditer(body)}


def computed_metrics(workspace: Path, index: int, *, rerun: bool = False) -> None:
    acc = 0.99 if rerun else 0.5 + index / 100
    (workspace / "metrics.json").write_text(f'{{"acc": {acc}}}\n', encoding="utf-8")


GROUP_INPUTS = {"group": "models", "metrics": "metrics.json", "report": "report.md"}


def test_eight_github_jobs_in_one_group_leave_one_comment_with_eight_sections(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    gh = fake_github
    template = make_template(tmp_path / "template")
    gh.register_commit(gh.repo, template.base)
    gh.register_commit(gh.repo, template.head, parents=[template.base])
    number = gh.add_pull(gh.repo, head_sha=template.head, base_sha=template.base)
    faults = [
        gh.faults.add("POST", rf"/issues/{number}/comments$", "status", times=2),  # 502
        gh.faults.add("PATCH", r"/issues/comments/\d+$", "status", times=3),
        gh.faults.add("PATCH", r"/git/refs/heads/", "status", times=2, after=3),  # the store's writes, once real
        gh.faults.add("*", r"/issues/", "slow", times=8, delay=0.4),
    ]

    def job(index: int, *, rerun: bool = False) -> Job:
        folder = tmp_path / f"job-{index}{'-rerun' if rerun else ''}"
        computed_metrics(clone(template, folder / "ws"), index, rerun=rerun)
        made = github_job(
            gh, template, folder, number, 300 + index, key=f"train/model-{index}", **GROUP_INPUTS, **{"send-as": "both"}
        )
        made.env["CML_WRITE_INTERVAL"] = "0"
        return Job(made.command, with_store(made.env, GitHubForge, tmp_path / "store"), made.cwd)

    results = run_together([job(index) for index in range(JOBS)], timeout=300)
    all_succeeded(results)
    print(f"\n{JOBS} GitHub group jobs: wall {max(r.seconds for r in results):.1f} s, {len(gh.requests)} requests")
    assert sum(fault.fired for fault in faults[:2] + faults[3:]) == 2 + 3 + 8
    [comment] = [c for c in gh.issue_comments(gh.repo, number) if MARKER in c["body"]]
    assert len(gh.issue_comments(gh.repo, number)) == 1
    before = sections(comment["body"])
    assert sorted(before) == [f"train/model-{index}" for index in range(JOBS)]
    assert len(gh.check_runs(gh.repo)) == JOBS  # check runs stay per job; the comment links them
    for check in gh.check_runs(gh.repo):
        assert f"[check]({check['html_url']})" in comment["body"]

    all_succeeded(run_together([job(3, rerun=True)], timeout=120))
    [after] = gh.issue_comments(gh.repo, number)
    assert after["id"] == comment["id"]
    changed = {key for key, body in sections(after["body"]).items() if body != before[key]}
    assert changed == {"train/model-3"} and "0.99" in sections(after["body"])["train/model-3"]


@pytest.fixture
def gl() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


def test_eight_gitlab_jobs_in_one_group_leave_one_note_with_eight_sections(gl: FakeGitLab, tmp_path: Path) -> None:
    first = make_workspace(tmp_path / "job-0" / "ws")
    seed(gl, first)
    faults = [
        gl.faults.add("POST", rf"/merge_requests/{MR_IID}/notes$", "status", times=2, status=502),
        gl.faults.add("PUT", rf"/merge_requests/{MR_IID}/notes/\d+$", "status", times=3, status=502),
        gl.faults.add("*", rf"/merge_requests/{MR_IID}/notes", "slow", times=8, delay=0.4),
    ]
    template = Template(first.path, first.base_sha, first.head_sha)

    def job(index: int) -> Job:
        workspace = clone(template, tmp_path / f"job-{index}-run" / "ws")
        computed_metrics(workspace, index)
        env = {"PATH": os.environ["PATH"], "HOME": str(workspace.parent)} | predefined(gl, first, mr=True)
        env |= template_variables({**GROUP_INPUTS, "key": f"report/model-{index}"})
        # The store branch starts from the default branch (the fake knows its commits, not the clone's).
        env |= {"CI_PROJECT_DIR": str(workspace), "CML_TOKEN": gl.project_token, "CI_DEFAULT_BRANCH": "main"}
        env = with_store({k: v for k, v in env.items() if v}, GitLabForge, tmp_path / "store")
        return Job([sys.executable, str(ENTRYPOINT)], env, workspace)

    results = run_together([job(index) for index in range(JOBS)], timeout=300)
    all_succeeded(results)
    print(f"\n{JOBS} GitLab group jobs: wall {max(r.seconds for r in results):.1f} s")
    assert sum(fault.fired for fault in faults) == 2 + 3 + 8
    [note] = gl.mr_notes(gl.project_id, MR_IID)
    assert MARKER in note["body"]
    assert sorted(sections(note["body"])) == [f"report/model-{index}" for index in range(JOBS)]
