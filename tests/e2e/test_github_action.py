"""The action as a runner runs a Docker action: `python entrypoint.py` with INPUT_* (hyphens kept), an event
payload at GITHUB_EVENT_PATH, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files and GITHUB_API_URL at the fake GitHub.

CML_WRITE_INTERVAL=0 turns off the 1 s pacing between writes (tested in tests/unit/test_forge_github.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e import payloads
from tests.e2e.action_support import MARKER, Workspace, pr_event, run_action
from tests.e2e.action_support import workspace as workspace  # the fixture
from tests.e2e.github_support import BOT, calls
from tests.fakes.github import FakeGitHub
from tests.support import run_commands

REPORT = {"report": "report.md", "metrics": "eval/metrics.json", "images": "plot.png"}


def test_first_run_comments_with_images_and_metrics_and_the_rerun_updates_it(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    first = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), run_id="1", **REPORT)
    assert first.code == 0, first.stdout + first.stderr
    index = "results/CML-train-886ca219/index"  # the results store (docs/store.md): key CML/train
    assert calls(gh) == [
        f"GET /contents/{index}/main.json",  # the default branch's trends: one read
        "GET /git/ref/heads/cml-assets",
        "POST /git/blobs",
        "POST /git/trees",
        "POST /git/commits",
        "POST /git/refs",
        f"GET /issues/{number}/comments",
        f"POST /issues/{number}/comments",
        f"GET /issues/{number}/comments",  # a racing run of the same key may have created one too (issue 15)
        "GET /commits/cml-assets",  # recording: the tip, this PR's index at it, one tree, commit and ref update
        f"GET /contents/{index}/pull-{number}.json",
        "POST /git/trees",
        "POST /git/commits",
        "PATCH /git/refs/heads/cml-assets",
    ]
    (posted,) = gh.issue_comments(gh.repo, number)
    tip = gh.ref(gh.repo, "heads/cml-assets")  # the record's commit, on top of the images' one
    (images_commit,) = gh.commit(gh.repo, tip)["parents"]
    assert posted["user"]["login"] == BOT
    assert posted["body"].startswith("## CML Report\n\nHello **team**\n")
    assert f"{gh.server_url}/{gh.repo}/blob/{images_commit}/cml/" in posted["body"] and "?raw=true)" in posted["body"]
    assert re.search(r"^\| eval/metrics\.json +\| acc +\| 0\.8 +\| 0\.9 +\| 0\.1 +\|$", posted["body"], re.M)
    assert posted["body"].rstrip().endswith(MARKER)
    assert first.outputs["comment-url"] == posted["html_url"]
    assert first.outputs["comment-id"] == str(posted["id"])
    assert first.outputs["regressions"] == "0" and first.outputs["check-url"] == ""
    assert Path(first.outputs["report-file"]).read_text(encoding="utf-8").rstrip().endswith(MARKER)
    assert "Hello **team**" in first.summary
    assert not (ws.path.parent / "runner-1" / ".gitconfig").exists()  # safe.directory without touching ~/.gitconfig

    gh.clear_requests()
    second = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), run_id="2", **REPORT)
    assert second.code == 0, second.stdout + second.stderr
    assert calls(gh) == [
        f"GET /contents/{index}/main.json",
        "GET /git/ref/heads/cml-assets",
        f"GET /git/trees/{tip}",
        f"GET /issues/{number}/comments",
        f"PATCH /issues/comments/{posted['id']}",
        "GET /commits/cml-assets",  # a re-run of the same commit replaces its entry in the PR's index
        f"GET /contents/{index}/pull-{number}.json",
        "POST /git/trees",
        "POST /git/commits",
        "PATCH /git/refs/heads/cml-assets",
    ]
    # Unchanged images: no new blob (the calls above); the record's documents go inline in its tree.
    (updated,) = gh.issue_comments(gh.repo, number)
    assert updated["id"] == posted["id"] and "/actions/runs/2" in updated["body"]
    assert gh.violations == []


def test_send_as_check_with_a_tripped_gate_fails_the_step_after_publishing(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(
        gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", metrics="eval/metrics.json",
        send_as="check", thresholds="acc min 0.95", fail_on_regression="true", store="off",
    )  # fmt: skip
    assert run.code == 1, run.stdout + run.stderr
    assert calls(gh) == ["POST /check-runs"]
    (check,) = gh.check_runs(gh.repo)
    assert (check["name"], check["head_sha"], check["conclusion"]) == ("CML Report", ws.head, "failure")
    assert check["output"]["summary"].startswith("## CML Report")
    assert run.outputs["check-url"] == check["html_url"] and run.outputs["regressions"] == "1"
    assert any(line.startswith("::error") and "regression" in line for line in run.log)
    assert gh.issue_comments(gh.repo, number) == []


def test_passing_gate_gives_a_successful_check(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(
        gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", metrics="eval/metrics.json",
        send_as="check", thresholds="acc min 0.5", fail_on_regression="true",
    )  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    assert [c["conclusion"] for c in gh.check_runs(gh.repo)] == ["success"]


def test_push_with_an_open_pull_request_comments_on_it(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    payload = payloads.with_commits("push", head=ws.head, before=ws.base, repo=gh.repo)
    run = run_action(gh, ws, "push", payload, report="report.md", metrics="eval/metrics.json", store="off")
    assert run.code == 0, run.stdout + run.stderr
    assert calls(gh) == [
        f"GET /commits/{ws.head}/pulls",
        f"GET /issues/{number}/comments",
        f"POST /issues/{number}/comments",
        f"GET /issues/{number}/comments",
    ]
    assert len(gh.issue_comments(gh.repo, number)) == 1
    assert gh.commit_comments(gh.repo, ws.head) == []


def test_push_without_a_pull_request_comments_on_the_commit(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    payload = payloads.with_commits("push", head=ws.head, before=ws.base, repo=gh.repo)
    run = run_action(gh, ws, "push", payload, python_flags=("-X", "importtime"), report="report.md")
    assert run.code == 0, run.stdout + run.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "cml_action.forges.github.rest" in imported  # the check below can see imports
    # github: PyGithub, replaced (0.26 s); requests is the HTTP stack both forges share, imported to publish.
    heavy = ("gitlab", "dvc", "vl_convert", "github")
    assert not {name for name in imported if name.split(".")[0] in heavy}
    (posted,) = gh.commit_comments(gh.repo, ws.head)
    assert posted["body"].startswith("## CML Report\n\nHello **team**")
    assert run.outputs["comment-url"] == posted["html_url"]


def test_fork_pull_request_only_writes_the_summary_and_warns_once(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base, head_repo="someone/hello-world")
    event = pr_event(gh, ws, number, "pull_request_fork")
    run = run_action(gh, ws, "pull_request", event, **REPORT)
    assert run.code == 0, run.stdout + run.stderr
    # Nothing published: the only requests read the results store (a read-only token can), for trends.
    assert {f"{r.method} {r.path.split('/contents/')[0]}" for r in gh.requests} <= {f"GET /repos/{gh.repo}"}
    warnings = [line for line in run.log if line.startswith("::warning")]
    assert len(warnings) == 1 and "fork" in warnings[0] and "workflow_run" in warnings[0]
    assert "Hello **team**" in run.summary
    assert run.outputs["comment-url"] == "" and Path(run.outputs["report-file"]).exists()


def test_personal_token_with_send_as_check_fails_before_any_write(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", send_as="both",
                     token=gh.user_token)  # fmt: skip
    assert run.code != 0
    assert gh.writes() == []
    errors = [line for line in run.log if "GitHub App token" in line]
    assert errors and "Traceback" not in run.stderr


def test_hostile_report_text_cannot_issue_workflow_commands_and_the_token_stays_secret(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    canary = "ghs_CANARY" + "5" * 26
    gh.add_token(canary, BOT, kind="app")
    (ws.path / "report.md").write_text("hi\n::set-output name=pwned::1\n::add-mask::hi\n", encoding="utf-8")
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", token=canary)
    assert run.code == 0, run.stdout + run.stderr
    acted = run_commands(run.stdout) + run_commands(run.stderr)
    assert not any("pwned" in line for line in acted)
    # The runner consumes ::add-mask:: lines; everywhere else the canary must be absent.
    visible = "\n".join(line for line in run.log if not line.startswith("::add-mask::"))
    bodies = "\n".join(str(r.json) + str(r.headers) for r in gh.requests)
    assert canary not in visible + run.stderr + run.summary + bodies
    assert canary not in Path(run.outputs["report-file"]).read_text(encoding="utf-8")


def test_publishing_failure_keeps_the_report_and_fails_with_one_line(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    # A same-repository PR whose job lacks `permissions: pull-requests: write`: the token cannot comment.
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md", token=gh.read_token)
    assert run.code != 0
    errors = [line for line in run.log if line.startswith("::error")]
    assert len(errors) == 1 and "pull-requests: write" in errors[0]
    assert "Traceback" not in run.stderr
    assert "Hello **team**" in run.summary
    assert "Hello **team**" in (ws.path / "cml-report" / "report.md").read_text(encoding="utf-8")
    # The step still points at the full report (set before posting), and claims no comment.
    assert run.outputs["report-file"] == str(ws.path / "cml-report" / "report.md")
    assert run.outputs["comment-url"] == "" and run.outputs["comment-id"] == ""
    assert gh.issue_comments(gh.repo, number) == []


def test_depth_one_clone_fetches_the_baseline_commit(fake_github: FakeGitHub, workspace: Workspace) -> None:
    gh, ws = fake_github, workspace
    clone = ws.path.parent / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ws.path}", str(clone)], check=True)
    assert subprocess.run(["git", "-C", str(clone), "cat-file", "-e", ws.base], capture_output=True).returncode != 0
    shallow = Workspace(clone, ws.base, ws.head)
    payload = payloads.with_commits("push", head=ws.head, before=ws.base, repo=gh.repo)
    run = run_action(
        gh, shallow, "push", payload, report="report.md", metrics="eval/metrics.json", fetch_baseline="true"
    )
    assert run.code == 0, run.stdout + run.stderr
    (posted,) = gh.commit_comments(gh.repo, ws.head)
    assert re.search(r"^\| eval/metrics\.json +\| acc +\| 0\.8 +\| 0\.9 +\|", posted["body"], re.M)


def test_update_takes_over_the_comment_cml_left(fake_github: FakeGitHub, workspace: Workspace) -> None:
    """A workflow that switches from CML to the action: CML's comment (its watermark, same bot) becomes the report;
    with `key` given, only CML's comment whose watermark title is that key is taken over."""
    gh, ws = fake_github, workspace
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    plain = gh.add_issue_comment(gh.repo, number, '![](https://cml.dev/watermark.png#ab12 "CML watermark")',
                                 user=BOT, user_type="Bot")  # fmt: skip
    titled = gh.add_issue_comment(gh.repo, number, 'x ![](https://cml.dev/watermark.png#ab12 "CML watermark eval")',
                                  user=BOT, user_type="Bot")  # fmt: skip
    done = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), report="report.md")
    assert done.code == 0, done.stdout + done.stderr
    bodies = {comment["id"]: comment["body"] for comment in gh.issue_comments(gh.repo, number)}
    assert set(bodies) == {plain, titled} and bodies[plain].rstrip().endswith(MARKER)
    keyed = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), run_id="2", report="report.md", key="eval")
    assert keyed.code == 0, keyed.stdout + keyed.stderr
    bodies = {comment["id"]: comment["body"] for comment in gh.issue_comments(gh.repo, number)}
    assert set(bodies) == {plain, titled} and bodies[titled].rstrip().endswith("<!-- cml-action:key=eval -->")
