"""CML-compatible commands against the fake GitHub: what each posts for the invocation a CML workflow has.

CML (iterative/cml src/cml.js) posts the markdown file as it is, local images published and their links rewritten,
followed by its watermark; we post the same with our hidden marker as the watermark. `update` edits in place.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from cml_action import cli
from tests.e2e import payloads
from tests.e2e.compat_support import BIN, DEFAULT_MARKER, PR, Run, asset_link, cml, png, pr_comments
from tests.e2e.compat_support import run as run  # the fixture
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.gitutil import commit_files


def test_comment_create_posts_the_file_and_marker_and_prints_the_url(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    (run.ws / "report.md").write_text("# Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0, err
    [comment] = pr_comments(run)
    assert comment["body"] == f"# Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n{DEFAULT_MARKER}"
    assert out == f"{comment['html_url']}\n"  # CML prints the comment URL, and only that, on stdout


def test_local_images_are_published_and_links_rewritten(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "plots").mkdir()
    (run.ws / "plots" / "loss.png").write_bytes(png())
    report = "Loss:\n\n![loss](plots/loss.png)\n\nRemote: ![badge](https://img.shields.io/badge/x-y-green)\n"
    (run.ws / "report.md").write_text(report, encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0, err
    link = asset_link(run)
    [comment] = pr_comments(run)
    expected = (
        f"Loss:\n\n![loss]({link})\n\nRemote: ![badge](https://img.shields.io/badge/x-y-green)\n\n{DEFAULT_MARKER}"
    )
    assert comment["body"] == expected
    raw = link.removeprefix(run.gh.server_url)
    commit, path = raw.split("/blob/", 1)[1].removesuffix("?raw=true").split("/", 1)
    assert run.gh.file_at(run.gh.repo, commit, path)[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_publish_leaves_links_alone(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "loss.png").write_bytes(png())
    (run.ws / "report.md").write_text("![loss](loss.png)\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md", "--publish=false")
    assert code == 0, err
    assert pr_comments(run)[0]["body"] == f"![loss](loss.png)\n\n{DEFAULT_MARKER}"
    assert run.gh.ref(run.gh.repo, "heads/cml-assets") is None


def test_update_edits_in_place_and_create_adds(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    report = run.ws / "report.md"
    report.write_text("first\n", encoding="utf-8")
    assert cml(capsys, "comment", "update", "report.md")[0] == 0
    [first] = pr_comments(run)
    report.write_text("second\n", encoding="utf-8")
    code, out, _ = cml(capsys, "comment", "update", "report.md")
    assert code == 0
    [edited] = pr_comments(run)
    assert (edited["id"], edited["body"]) == (first["id"], f"second\n\n{DEFAULT_MARKER}")
    assert out == f"{edited['html_url']}\n"
    assert run.gh.api_requests("PATCH", r"/issues/comments/\d+$")
    assert cml(capsys, "comment", "create", "report.md")[0] == 0
    assert [c["body"] for c in pr_comments(run)] == [f"second\n\n{DEFAULT_MARKER}"] * 2


def test_watermark_title_is_the_sticky_key(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "a.md").write_text("A1\n", encoding="utf-8")
    (run.ws / "b.md").write_text("B1\n", encoding="utf-8")
    assert cml(capsys, "comment", "update", "a.md", "--watermark-title", "first {workflow} report")[0] == 0
    assert cml(capsys, "comment", "update", "b.md", "--watermark-title=second {workflow} report")[0] == 0
    (run.ws / "a.md").write_text("A2\n", encoding="utf-8")
    assert cml(capsys, "comment", "update", "a.md", "--watermark-title", "first {workflow} report")[0] == 0
    assert [c["body"] for c in pr_comments(run)] == [
        "A2\n\n<!-- cml-action:key=first%20CML%20report -->",  # {workflow} expanded; spaces encoded
        "B1\n\n<!-- cml-action:key=second%20CML%20report -->",
    ]


def test_target_issue_and_commit_sha(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    issue = run.gh.add_issue(run.gh.repo, title="Nightly")
    (run.ws / "report.md").write_text("nightly\n", encoding="utf-8")
    assert cml(capsys, "comment", "create", "report.md", f"--target=issue/{issue}")[0] == 0
    assert [c["body"] for c in run.gh.issue_comments(run.gh.repo, issue)] == [f"nightly\n\n{DEFAULT_MARKER}"]
    # CML: --commit-sha without --target comments on that commit, not on the PR.
    assert cml(capsys, "comment", "create", "report.md", "--commit-sha", run.head)[0] == 0
    assert [c["body"] for c in run.gh.commit_comments(run.gh.repo, run.head)] == [f"nightly\n\n{DEFAULT_MARKER}"]
    assert pr_comments(run) == []


def test_cml_only_flags_are_accepted_with_one_notice_each(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "report.md").write_text("ok\n", encoding="utf-8")
    argv = ["comment", "create", "report.md", "--driver=github", "--repo", "https://github.com/o/r", "--native",
            "--publish-url", "https://asset.cml.dev", "--rmWatermark", "--watch", "--log", "debug"]  # fmt: skip
    code, out, err = cml(capsys, *argv)
    assert code == 0
    notices = [line for line in err.splitlines() if line.startswith("::notice::")]
    assert [line.split(" is accepted", 1)[0] for line in notices] == [
        "::notice::--driver", "::notice::--repo", "::notice::--log", "::notice::--native", "::notice::--publish-url",
        "::notice::--rm-watermark", "::notice::--watch",
    ]  # fmt: skip
    assert all(" is accepted for CML compatibility and ignored: " in line for line in notices)
    assert out == f"{pr_comments(run)[0]['html_url']}\n"


def test_token_flag_is_used(run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_a_token_the_fake_knows")
    (run.ws / "report.md").write_text("ok\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md", "--token", run.gh.app_token)
    assert code == 0, err
    assert len(pr_comments(run)) == 1


def test_repo_token_is_used_like_cml(
    run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_a_token_the_fake_knows")
    monkeypatch.setenv("REPO_TOKEN", run.gh.app_token)
    (run.ws / "report.md").write_text("ok\n", encoding="utf-8")
    assert cml(capsys, "comment", "create", "report.md")[0] == 0
    assert len(pr_comments(run)) == 1


def test_check_create_posts_the_file_as_summary(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "report.md").write_text("## Eval\n\nacc 0.9\n", encoding="utf-8")
    code, out, err = cml(capsys, "check", "create", "report.md", "--title", "Model eval", "--conclusion", "failure")
    assert code == 0, err
    [check] = run.gh.check_runs(run.gh.repo)
    assert (check["name"], check["head_sha"], check["status"], check["conclusion"]) == (
        "Model eval", run.head, "completed", "failure"
    )  # fmt: skip
    assert (check["output"]["title"], check["output"]["summary"]) == ("Model eval", "## Eval\n\nacc 0.9\n")
    assert out == ""  # CML prints nothing on stdout for a check
    assert f"Check: {check['html_url']}" in err


def test_check_conclusion_the_forge_lacks_is_mapped_with_a_notice(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "report.md").write_text("slow\n", encoding="utf-8")
    code, _, err = cml(capsys, "check", "create", "report.md", "--conclusion=timed_out", "--head-sha", run.head)
    assert code == 0, err
    [check] = run.gh.check_runs(run.gh.repo)
    assert (check["name"], check["conclusion"]) == ("CML Report", "failure")
    assert "::notice::--conclusion=timed_out is posted as 'failure'" in err


def test_check_with_a_personal_token_is_one_clear_line(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "report.md").write_text("x\n", encoding="utf-8")
    code, out, err = cml(capsys, "check", "create", "report.md", "--token", run.gh.user_token)
    assert code == 1
    errors = [line for line in (out + err).splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert run.gh.check_runs(run.gh.repo) == []


def test_asset_publish_prints_url_or_markdown(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "plot.png").write_bytes(png())
    code, out, err = cml(capsys, "asset", "publish", "plot.png")
    assert code == 0, err
    link = asset_link(run)
    assert out == f"{link}\n"
    code, out, _ = cml(capsys, "asset", "publish", "plot.png", "--md", "--title", "Loss curve", "--mime-type=image/png")
    assert code == 0
    assert out == f'![]({link} "Loss curve")\n'  # the same content: the same published object


def test_asset_publish_from_stdin(
    run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(png((0, 90, 200)))))
    code, out, err = cml(capsys, "asset", "publish", "-", "--md")
    assert code == 0, err
    assert out == f"![]({asset_link(run)})\n"


def test_asset_publish_refuses_what_is_not_an_image(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (run.ws / "notes.txt").write_text("not an image", encoding="utf-8")
    code, out, err = cml(capsys, "asset", "publish", "notes.txt", "--md")
    assert code == 1
    assert len([line for line in (out + err).splitlines() if line.startswith("::error")]) == 1
    assert run.gh.writes() == []


# -- the legacy console scripts, as separate processes (what a CML workflow's `run:` line executes) --------------


def script(run: Run, name: str, *argv: str, stdin: bytes = b"",
           extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    return subprocess.run([str(BIN / name), *argv], input=stdin, capture_output=True, cwd=run.ws,
                          env={**env, **run.env, **(extra_env or {})}, timeout=60, check=False)  # fmt: skip


def test_cml_send_comment_script(run: Run) -> None:
    (run.ws / "report.md").write_text("legacy\n", encoding="utf-8")
    done = script(run, "cml-send-comment", "report.md", "--update")
    assert done.returncode == 0, done.stderr.decode()
    [comment] = pr_comments(run)
    assert comment["body"] == f"legacy\n\n{DEFAULT_MARKER}"
    assert done.stdout.decode() == f"{comment['html_url']}\n"


def test_cml_send_github_check_script(run: Run) -> None:
    (run.ws / "report.md").write_text("legacy check\n", encoding="utf-8")
    done = script(run, "cml-send-github-check", "report.md", "--head-sha", run.head, "--conclusion", "neutral",
                  "--title", "Legacy")  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    [check] = run.gh.check_runs(run.gh.repo)
    assert (check["name"], check["conclusion"], check["output"]["summary"]) == ("Legacy", "neutral", "legacy check\n")


def test_cml_publish_reads_stdin(run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process (the subprocess form is in test_cli_compat_local.py): GitHub paces real writes 1 s apart.
    monkeypatch.setattr("sys.argv", ["cml-publish", "--md", "--title", "stdin plot"])
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(png((10, 200, 10)))))
    assert cli.publish_main() == 0
    assert capsys.readouterr().out == f'![]({asset_link(run)} "stdin plot")\n'


def test_cml_files_script(run: Run) -> None:
    from cml_action.dvc.files import files_markdown_from_json

    diff = {
        "added": [{"path": "data/new.csv", "hash": "a1b2c3d4e5f6a7b8c9d0"}],
        "deleted": [],
        "modified": [{"path": "model.pkl", "hash": {"old": "1111111111aaaa", "new": "2222222222bbbb"}}],
        "renamed": [],
        "not in cache": [],
    }
    done = script(run, "cml-files", stdin=json.dumps(diff).encode())
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out == files_markdown_from_json(json.dumps(diff)).rstrip("\n") + "\n\n"  # a blank line closes the HTML block
    assert "data/new.csv" in out and "model.pkl" in out
    assert run.gh.requests == []  # cml-files never talks to the forge


def test_a_report_over_githubs_limit_is_cut_and_keeps_its_marker(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    sections = "".join(f"## Section {n}\n\n" + "x" * 990 + "\n\n" for n in range(80))  # ~80 000 characters
    (run.ws / "report.md").write_text(sections, encoding="utf-8")
    code, _, err = cml(capsys, "comment", "update", "report.md")
    assert code == 0, err
    [comment] = pr_comments(run)
    body = str(comment["body"])
    assert len(body) <= 65536
    assert body.startswith("## Section 0\n\n") and body.endswith(f"\n\n{DEFAULT_MARKER}")
    assert "`report.md`" in body  # the note says where the full report is
    size = len(sections.rstrip("\n"))
    assert err == (  # and the log says so, not only the comment
        f"::warning::the comment is {size} characters, over the forge's limit of 65536: it was cut at a heading or "
        "line, with a note pointing to the full report\n"
    )
    assert cml(capsys, "comment", "update", "report.md")[0] == 0
    assert len(pr_comments(run)) == 1  # still found by its marker: the rerun edits it


def test_the_action_and_the_cli_share_a_sticky_comment(
    run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`key: X` in the action and `--watermark-title X` on the command line name the same comment."""
    base = commit_files(run.ws, {"notes.md": "base\n"}, message="base")
    head = commit_files(run.ws, {"report.md": "from the action\n", "cli.md": "from the CLI\n"}, message="head")
    number = run.gh.add_pull(run.gh.repo, head_sha=head, base_sha=base)
    event = payloads.with_commits("pull_request_opened", head=head, base=base, number=number, repo=run.gh.repo)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(payloads.write(tmp_path / "shared.json", event)))
    assert cml(capsys, "report", "--report", "report.md", "--key", "shared {workflow}")[0] == 0
    [by_action] = run.gh.issue_comments(run.gh.repo, number)
    assert "from the action" in by_action["body"]
    assert by_action["body"].rstrip("\n").endswith("<!-- cml-action:key=shared%20CML -->")
    assert cml(capsys, "comment", "update", "cli.md", "--watermark-title", "shared {workflow}")[0] == 0
    [by_cli] = run.gh.issue_comments(run.gh.repo, number)
    assert (by_cli["id"], by_cli["body"]) == (by_action["id"], "from the CLI\n\n<!-- cml-action:key=shared%20CML -->")


def test_no_command_prints_the_token_even_into_a_report_that_is_posted(run: Run) -> None:
    """`cml-publish x.png --md >> report.md 2>&1` and friends: everything the commands print ends up posted.

    The runner masks secrets itself; `::add-mask::<token>` on any stream is the token in clear text in the comment.
    """
    token = run.gh.app_token
    cml_env = {"REPO_TOKEN": token}  # how CML workflows pass the token
    (run.ws / "plot.png").write_bytes(png())
    (run.ws / "report.md").write_text("# Report\n", encoding="utf-8")
    (run.ws / "dvc_diff.json").write_text('{"added": [{"path": "model.pkl"}]}', encoding="utf-8")
    printed = []
    for name, *argv in (
        ("cml-publish", "plot.png", "--md"),
        ("cml-send-comment", "report.md"),
        ("cml-send-github-check", "report.md", "--head-sha", run.head),
        ("cml", "comment", "update", "report.md"),
        ("cml", "asset", "publish", "plot.png", "--md"),
    ):
        done = script(run, name, *argv, extra_env=cml_env)
        assert done.returncode == 0, done.stderr.decode()
        printed.append(done.stdout.decode() + done.stderr.decode())
    (run.ws / "report.md").write_text("# Report\n\n" + "\n".join(printed), encoding="utf-8")
    assert script(run, "cml-send-comment", "report.md", "--update", extra_env=cml_env).returncode == 0
    bodies = [str(comment["body"]) for comment in pr_comments(run)]
    bodies += [str(check["output"]["summary"]) for check in run.gh.check_runs(run.gh.repo)]
    assert token and not [body for body in bodies if token in body]
    assert not [text for text in printed if token in text or "add-mask" in text]


def test_comment_update_takes_over_the_comment_cml_left(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    """CML's watermark carries the commit sha and the title; GitHub stores the title's `_` escaped."""
    titled = '![](https://cml.dev/watermark.png#0a1b2c3d "CML watermark nightly\\_CML")'
    untitled = '![](https://cml.dev/watermark.png#0a1b2c3d "CML watermark")'
    bot = "github-actions[bot]"
    other = run.gh.add_issue_comment(run.gh.repo, PR, f"untitled\n\n{untitled}", user=bot, user_type="Bot")
    cml_id = run.gh.add_issue_comment(run.gh.repo, PR, f"CML's\n\n{titled}", user=bot, user_type="Bot")
    (run.ws / "report.md").write_text("ours\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "update", "--watermark-title=nightly_{workflow}", "report.md")
    assert code == 0, err
    bodies = {comment["id"]: comment["body"] for comment in pr_comments(run)}
    assert bodies == {other: f"untitled\n\n{untitled}", cml_id: "ours\n\n<!-- cml-action:key=nightly_CML -->"}
    assert out.strip().endswith(str(cml_id))


def test_errors_name_the_commands_flags_not_the_actions_inputs(
    run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same failures the action words as inputs (`target: auto`, `token: ${{ github.token }}`) are worded as
    the flags and variables of the command that was run."""
    lone = run.gh.add_commit(run.gh.repo, {"x.txt": b"x\n"}, message="no PR")
    push = payloads.with_commits("push", head=lone, before=run.gh.main_sha, repo=run.gh.repo)
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(payloads.write(tmp_path / "push.json", push)))
    monkeypatch.setenv("GITHUB_SHA", lone)
    (run.ws / "report.md").write_text("r\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "create", "--target=pr", "report.md")
    assert (code, out) == (1, "")
    assert err == (
        f"::error::--target: no open pull request has commit {lone[:7]} as its head (use --target=auto to fall "
        "back to a commit comment, or pr/N)\n"
    )
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out, err = cml(capsys, "comment", "create", "report.md")
    assert (code, out) == (1, "")
    assert err == (
        "::error::no GitHub token: GITHUB_TOKEN is empty (pass --token, or set REPO_TOKEN in the step's env "
        "(e.g. REPO_TOKEN: ${{ secrets.GITHUB_TOKEN }}))\n"
    )
