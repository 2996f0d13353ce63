"""Fork PRs in two workflows: the PR run (read-only token) leaves a report bundle; a `workflow_run` job with
`from-run` downloads it through the REST API (fake GitHub, held to the OpenAPI description) and publishes it.
A hostile bundle (zip slip, symlink, oversize, another PR, another head) publishes nothing and fails in one line."""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from pathlib import Path

import pytest

from tests.e2e.github_support import calls
from tests.e2e.test_github_action import Run, Workspace, pr_event, run_action
from tests.e2e.test_github_action import workspace as workspace
from tests.fakes.github import FakeGitHub
from tests.fakes.github.routes_actions import actions_of, add_workflow_run

FORK = "someone/hello-world"
NAME = "cml-report-bundle"


def fork_pr_run(gh: FakeGitHub, ws: Workspace) -> tuple[int, Run]:
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base, head_repo=FORK)
    event = pr_event(gh, ws, number, "pull_request_fork")
    run = run_action(gh, ws, "pull_request", event, token=gh.read_token, report="report.md",
                     metrics="eval/metrics.json", images="plot.png", send_as="both", key="train/{job}")  # fmt: skip
    return number, run


def zipped(folder: Path) -> bytes:
    """What actions/upload-artifact stores for `path: <folder>`: the folder's files at the zip's root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def from_run(gh: FakeGitHub, ws: Workspace, run_id: int, **inputs: str) -> Run:
    """The `workflow_run` job: no checkout (an empty workspace), the base repository's token, one input."""
    empty = Workspace(ws.path.parent / f"empty-{run_id}", ws.base, ws.head)
    empty.path.mkdir()
    payload = {"action": "completed", "workflow_run": {"id": run_id, "head_sha": ws.head, "pull_requests": []},
               "repository": {"full_name": gh.repo}}  # fmt: skip
    return run_action(gh, empty, "workflow_run", payload, run_id=f"wr{run_id}", from_run=str(run_id), **inputs)


def test_the_fork_run_leaves_a_bundle_and_the_workflow_run_job_publishes_it_as_the_pr_run_would_have(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number, pr_run = fork_pr_run(gh, ws)
    assert pr_run.code == 0 and gh.issue_comments(gh.repo, number) == []
    bundle = Path(pr_run.outputs["bundle"])
    assert sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())[:2] == [
        "cml-bundle.json", "images/" + next((bundle / "images").iterdir()).name]  # fmt: skip
    meta = json.loads((bundle / "cml-bundle.json").read_text(encoding="utf-8"))
    assert (meta["repository"], meta["pull_request"], meta["head_sha"], meta["key"]) == (gh.repo, number, ws.head,
                                                                                         "train/train")  # fmt: skip
    run_id = add_workflow_run(gh, gh.repo, ws.head, head_repo=FORK, artifacts={NAME: zipped(bundle)})
    gh.clear_requests()

    done = from_run(gh, ws, run_id, send_as="both")

    assert done.code == 0, done.stdout + done.stderr
    (comment,) = gh.issue_comments(gh.repo, number)
    body = comment["body"]
    assert body.startswith("## CML Report\n\nHello **team**") and body.count("## CML Report") == 1
    assert re.search(r"^\| eval/metrics\.json \| acc +\| 0\.8 +\| 0\.9 +\| 0\.1 +\|$", body, re.M)
    assert "<!-- cml-action:key=train/train -->" in body
    assert f"with baseline `{ws.base[:7]}` · [Workflow run]({gh.server_url}/{gh.repo}/actions/runs/{run_id})" in body
    assert re.search(r"!\[plot\]\(http://127\.0\.0\.1:\d+/[^)]+/[0-9a-f]{64}\.png\?raw=true\)", body)  # published
    (check,) = gh.check_runs(gh.repo)
    assert check["head_sha"] == ws.head
    artifact = actions_of(gh.state).runs[run_id].artifacts[0].id
    sequence = [re.sub(r"/[0-9a-f]{16}$", "/<signed>", call) for call in calls(gh)[:5]]
    assert sequence == [
        f"GET /actions/runs/{run_id}",
        f"GET /actions/runs/{run_id}/artifacts",
        f"GET /actions/artifacts/{artifact}/zip",
        f"GET /_artifact-storage/{artifact}/<signed>",  # storage: no token sent there
        f"GET /pulls/{number}",
    ]
    assert gh.api_requests(path_regex="^/_artifact-storage/")[0].login is None


def _bundle_zip(entries: dict[str, bytes], *, symlink: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _meta(gh: FakeGitHub, ws: Workspace, number: int, **changes: object) -> bytes:
    meta = {"version": 1, "repository": gh.repo, "pull_request": number, "head_sha": ws.head, "baseline_sha": "",
            "key": "train/train", "title": "CML Report", **changes}  # fmt: skip
    return json.dumps(meta).encode()


HOSTILE = {
    "zip slip": (lambda m: {"report.md": b"hi", "cml-bundle.json": m, "../../evil.md": b"x"}, "", "is not report.md"),
    "absolute path": (lambda m: {"report.md": b"hi", "cml-bundle.json": m, "/tmp/evil.png": b"x"}, "", "refused"),
    "symlink": (lambda m: {"report.md": b"hi", "cml-bundle.json": m}, "images/passwd.png", "symlink"),
    "a script": (lambda m: {"report.md": b"hi", "cml-bundle.json": m, "run.sh": b"rm -rf /"}, "", "refused"),
    "oversize report": (lambda m: {"report.md": b"x" * (1024 * 1024 + 1), "cml-bundle.json": m}, "", "at most"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_bundle_publishes_nothing_and_fails_in_one_line(
    fake_github: FakeGitHub, workspace: Workspace, case: str
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base, head_repo=FORK)
    entries, symlink, problem = HOSTILE[case]
    data = _bundle_zip(entries(_meta(gh, ws, number)), symlink=symlink)
    run_id = add_workflow_run(gh, gh.repo, ws.head, head_repo=FORK, artifacts={NAME: data})
    done = from_run(gh, ws, run_id)
    errors = [line for line in done.log if line.startswith("::error")]
    assert done.code == 1 and len(errors) == 1 and problem in errors[0], done.log
    assert "Traceback" not in done.stderr
    assert gh.writes() == [] and not (ws.path.parent / "evil.md").exists()


@pytest.mark.parametrize(
    ("case", "problem"),
    [("another PR", "is not the run's pull request"), ("another head", "is not the run's"),
     ("another repository", "names repository")],
)  # fmt: skip
def test_a_bundle_speaking_for_another_pr_head_or_repository_is_refused(
    fake_github: FakeGitHub, workspace: Workspace, case: str, problem: str
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base, head_repo=FORK)
    victim = gh.add_pull(gh.repo, head_sha=ws.base, base_sha=ws.base, head_ref="other")  # a same-repo PR
    changes: dict[str, object] = {
        "another PR": {"pull_request": victim},
        "another head": {"head_sha": ws.base},
        "another repository": {"repository": "octo-org/other"},
    }[case]
    data = _bundle_zip({"report.md": b"I am PR #1", "cml-bundle.json": _meta(gh, ws, number, **changes)})
    run_id = add_workflow_run(gh, gh.repo, ws.head, head_repo=FORK, artifacts={NAME: data})
    done = from_run(gh, ws, run_id)
    errors = [line for line in done.log if line.startswith("::error")]
    assert done.code == 1 and len(errors) == 1 and problem in errors[0], done.log
    assert gh.writes() == []


def test_an_oversize_artifact_is_not_downloaded(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base, head_repo=FORK)
    data = _bundle_zip({"report.md": b"hi", "cml-bundle.json": _meta(gh, ws, number)})
    run_id = add_workflow_run(gh, gh.repo, ws.head, head_repo=FORK, artifacts={NAME: data})
    actions_of(gh.state).runs[run_id].artifacts[0].size_in_bytes = 26 * 1024 * 1024
    done = from_run(gh, ws, run_id)
    assert done.code == 1 and "bytes (at most" in done.stderr
    assert not any("/zip" in line for line in calls(gh)) and gh.writes() == []


def test_a_push_run_or_a_bad_run_id_is_refused(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    run_id = add_workflow_run(gh, gh.repo, ws.head, event="push", artifacts={NAME: b"PK"})
    done = from_run(gh, ws, run_id)
    assert done.code == 1 and "not pull_request" in done.stderr
    bad = from_run(gh, ws, 999999)
    assert bad.code == 1 and "actions: read" in bad.stderr
