"""The results store through the whole action on the fake forges (#11's "done when"): metrics computed in CI and
never committed get their baseline from the default branch's stored run, and the default branch's trend shows.

The project ignores metrics.json (the job computes it): at every commit git has no value, so everything the
baseline column shows came from the store, which the first job (a push to main) wrote on the assets branch.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from cml_action.forges.base import ForgeOptions
from cml_action.forges.github.forge import GitHubForge
from cml_action.store import layout
from cml_action.store.model import StoredRun
from cml_action.store.records import ResultStore
from tests.e2e import payloads
from tests.e2e.action_support import ROOT, Workspace, run_action
from tests.e2e.github_support import context
from tests.e2e.gitlab_support import MR_IID, clean_env, predefined, template_variables
from tests.e2e.gitlab_support import Workspace as GitLabWorkspace
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.gitutil import commit_files, git, init_repo

KEY = "CML/train"  # the action's key on GitHub ({workflow}/{job} of the runner's variables)
INPUTS = {"report": "report.md", "metrics": "metrics.json", "thresholds": "acc max-drop 0.02"}


def project(tmp_path: Path) -> tuple[Path, str, str, str]:
    """root -> main (the default branch's tip) -> feature (a pull request's head); metrics.json is never committed."""
    repo = init_repo(tmp_path / "ws")
    root = commit_files(repo, {".gitignore": "metrics.json\n", "report.md": "# Training\n", "train.py": "v1\n"})
    main = commit_files(repo, {"train.py": "v2\n"}, "tune")
    git(repo, "checkout", "-q", "-b", "feature")
    feature = commit_files(repo, {"train.py": "v3\n"}, "try a smaller model")
    return repo, root, main, feature


def measured(repo: Path, sha: str, acc: float) -> None:
    """The job checks out `sha` and trains: metrics.json exists in the working tree only."""
    git(repo, "checkout", "-q", sha)
    (repo / "metrics.json").write_text(json.dumps({"acc": acc}), encoding="utf-8")


def table_row(body: str, metric: str) -> list[str]:
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[1].endswith(metric):
            return cells
    raise AssertionError(f"no row for {metric} in:\n{body}")


def github_push(gh: FakeGitHub, repo: Path, before: str, head: str, run_id: str) -> int:
    payload = payloads.with_commits("push", head=head, before=before, repo=gh.repo)
    done = run_action(gh, Workspace(repo, before, head), "push", payload, run_id=run_id,
                      extra_env={"GITHUB_REF": "refs/heads/main"}, **INPUTS)  # fmt: skip
    assert done.code == 0, done.stdout + done.stderr
    return done.code


def test_github_a_pull_request_gets_its_baseline_from_mains_stored_run(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    repo, root, main, feature = project(tmp_path)
    measured(repo, main, 0.9)
    github_push(gh, repo, root, main, run_id="101")  # main's run records acc 0.9 under its sha
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None
    index = json.loads(gh.file_at(gh.repo, tip, layout.index_path(KEY, "main")))
    assert [(entry["head_sha"], entry["metrics"]) for entry in index["entries"]] == [
        (main, {"metrics.json": {"acc": 0.9}})
    ]

    measured(repo, feature, 0.85)
    number = gh.add_pull(gh.repo, head_sha=feature, base_sha=main)
    event = payloads.with_commits("pull_request_opened", head=feature, base=main, number=number, repo=gh.repo)
    run = run_action(gh, Workspace(repo, main, feature), "pull_request", event, run_id="102",
                     fail_on_regression="true", **INPUTS)  # fmt: skip
    assert run.code == 1, run.stdout + run.stderr  # the gate judged the stored baseline and tripped
    (comment,) = gh.issue_comments(gh.repo, number)
    body = comment["body"]
    # Baseline from the store, the change, the gate's mark, and main's trend ending with this PR's value.
    assert table_row(body, "acc") == ["metrics.json", "❌ acc", "0.9", "0.85", "-0.05", "█▁◂ 0.85 – 0.9"]
    assert (
        f"Baseline of `metrics.json`: stored result of [run 101]({gh.server_url}/{gh.repo}/actions/runs/101) on main "
        f"at `{main[:7]}`, the merge base."
    ) in body
    assert "not in the baseline" not in body  # the store filled what git lacks: no warning about it
    # The PR's own run is recorded too, under its head sha, for a later push's "since last push".
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None
    pull_index = json.loads(gh.file_at(gh.repo, tip, layout.index_path(KEY, f"pull-{number}")))
    assert [entry["head_sha"] for entry in pull_index["entries"]] == [feature]


def test_github_trend_after_25_recorded_main_runs(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    repo, root, main, _ = project(tmp_path)
    forge = GitHubForge(context(gh, default_branch="main"), ForgeOptions(write_interval=0.0))
    store = ResultStore(forge.results_branch())
    for n in range(25):  # 25 earlier pushes to main, acc 0.800, 0.802, ... 0.848
        values = {"metrics.json": {"acc": 0.8 + n * 0.002}}
        earlier = StoredRun(key=KEY, head_sha=f"{n + 1:040x}", time=f"2026-12-01T00:{n:02d}:00Z", branch="main",
                            event="push", run_id=str(n), metrics=values)  # fmt: skip
        store.record(earlier, "main")
    measured(repo, main, 0.9)
    payload = payloads.with_commits("push", head=main, before=root, repo=gh.repo)
    run = run_action(gh, Workspace(repo, root, main), "push", payload, run_id="200", metrics_all="true",
                     extra_env={"GITHUB_REF": "refs/heads/main"}, **INPUTS)  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    (comment,) = gh.commit_comments(gh.repo, main)
    cell = table_row(comment["body"], "acc")[-1]
    # The last 19 stored runs (0.812 .. 0.848) and this run's 0.9, marked: 20 rising glyphs, the top one last.
    match = re.fullmatch(r"([▁▂▃▄▅▆▇█]{20})◂ 0\.812 – 0\.9", cell)
    assert match, cell
    glyphs = match.group(1)
    assert list(glyphs) == sorted(glyphs) and glyphs[0] == "▁" and glyphs[-1] == "█"
    assert "Trend on main" in comment["body"]
    # The index keeps every run up to `history` (100): 25 earlier ones and this one, newest last.
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None
    entries = json.loads(gh.file_at(gh.repo, tip, layout.index_path(KEY, "main")))["entries"]
    assert len(entries) == 26 and entries[-1]["head_sha"] == main


def gitlab_job(gl: FakeGitLab, ws: GitLabWorkspace, *, mr: bool, **extra: str) -> subprocess.CompletedProcess[str]:
    env = clean_env() | predefined(gl, ws, mr=mr) | template_variables(INPUTS | extra)
    if not mr:
        env["CI_COMMIT_BRANCH"] = "main"
    env["CML_TOKEN"] = gl.project_token
    env = {name: value for name, value in env.items() if value != ""}
    return subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws.path, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_gitlab_a_merge_request_gets_its_baseline_from_mains_stored_run(tmp_path: Path) -> None:
    with FakeGitLab() as gl:
        repo, root, main, feature = project(tmp_path)
        for sha in (root, main, feature):
            gl.add_commit(gl.project_id, sha)
        measured(repo, main, 0.9)
        pushed = gitlab_job(gl, GitLabWorkspace(repo, root, main), mr=False)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        assert "not recorded" not in pushed.stdout + pushed.stderr

        gl.add_mr(gl.project_id, feature, iid=MR_IID)
        measured(repo, feature, 0.85)
        merge_request = gitlab_job(gl, GitLabWorkspace(repo, main, feature), mr=True, **{"fail-on-regression": "true"})
        assert merge_request.returncode == 1, merge_request.stdout + merge_request.stderr
        (note,) = [n for n in gl.mr_notes(gl.project_id, MR_IID) if "cml-action:key=" in n["body"]]
        body = note["body"]
        assert table_row(body, "acc") == ["metrics.json", "❌ acc", "0.9", "0.85", "-0.05", "█▁◂ 0.85 – 0.9"]
        assert f"stored result of [run 55]({gl.server_url}/{gl.project_path}/-/pipelines/55) on main" in body
