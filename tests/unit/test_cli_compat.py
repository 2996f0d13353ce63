"""The CML-compatible command line: yargs spellings, CML's target rules, one-line errors, notices."""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cml_action import cli
from cml_action.cli_compat import comment_parser
from cml_action.cli_compat_flags import kebab, normalize_argv
from cml_action.cli_compat_run import asset_markdown, comment_target
from cml_action.errors import CmlError
from cml_action.forges.base import Target

BOOLS = ("publish", "pr", "native", "publish-native")
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def _no_ci_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "CML_")) or name in ("REPO_TOKEN", "repo_token"):
            monkeypatch.delenv(name)
    yield


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--publish=false", "r.md"], ["--no-publish", "r.md"]),
        (["--publish=true", "r.md"], ["--publish", "r.md"]),
        (["--publish", "false", "r.md"], ["--no-publish", "r.md"]),
        (["--publish", "r.md"], ["--publish", "r.md"]),  # a file name is not a boolean value
        (["--no-publish", "r.md"], ["--no-publish", "r.md"]),
        (["--no-publish=false"], ["--publish"]),
        (["--publishNative"], ["--publish-native"]),
        (["--triggerFile", "t.txt"], ["--trigger-file", "t.txt"]),
        (["--watermarkTitle=nightly {run}"], ["--watermark-title=nightly {run}"]),
        (["--", "--publish=false"], ["--", "--publish=false"]),
        (["-t", "x"], ["-t", "x"]),
    ],
)
def test_yargs_spellings_become_argparse_flags(argv: list[str], expected: list[str]) -> None:
    assert normalize_argv(argv, BOOLS) == expected


def test_a_boolean_with_a_bad_value_is_one_clear_error() -> None:
    with pytest.raises(
        CmlError, match=r"^--publish: 'maybe' is not a boolean \(use --publish=true or --publish=false\)$"
    ):
        normalize_argv(["--publish=maybe"], BOOLS)


def test_kebab_leaves_kebab_alone() -> None:
    assert kebab("commit-sha") == "commit-sha"
    assert kebab("commitSha") == "commit-sha"
    assert kebab("rmWatermark") == "rm-watermark"


def _comment_args(*argv: str) -> argparse.Namespace:
    return comment_parser("cml comment create").parse_args(normalize_argv([*argv, "r.md"], BOOLS))


@pytest.mark.parametrize(
    ("argv", "head", "expected"),
    [
        ((), "", Target("auto")),
        (("--target", "pr"), "", Target("pr")),
        (("--target=issue/12",), "", Target("issue", number=12)),
        (("--target", "pr/17"), "", Target("pr", number=17)),
        (("--target", "commit/abcdef1"), "", Target("commit", sha="abcdef1")),
        (("--target", "commit"), "", Target("commit")),
        # CML (src/commenttarget.js): --commit-sha alone targets that commit, --pr means the PR.
        (("--commit-sha", SHA), SHA, Target("commit", sha=SHA)),
        (("--commit-sha", SHA, "--target", "pr"), SHA, Target("pr")),
        (("--pr",), "", Target("pr")),
        (("--pr", "--target", "issue/3"), "", Target("pr")),
    ],
)
def test_comment_target_follows_cml(argv: tuple[str, ...], head: str, expected: Target) -> None:
    assert comment_target(_comment_args(*argv), head) == expected


def test_a_bad_target_names_the_flag() -> None:
    with pytest.raises(CmlError, match=r"^--target: 'branch/main' is not a target \(use auto, pr, commit"):
        comment_target(_comment_args("--target", "branch/main"), "")


def test_asset_markdown_is_cmls_image_form() -> None:
    assert asset_markdown("https://x/a.png", "") == "![](https://x/a.png)"
    assert asset_markdown("https://x/a.png", "Loss curve") == '![](https://x/a.png "Loss curve")'
    assert asset_markdown("https://x/a.png", 'say "hi"') == '![](https://x/a.png "say \\"hi\\"")'


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("check", "create", "r.md", "--conclusion", "maybe"),
         "error: --conclusion: unknown value 'maybe' (use one of: success, failure, neutral, cancelled, skipped, "
         "timed_out, action_required)"),
        (("check", "create", "r.md", "--status", "done"),
         "error: --status: unknown value 'done' (use one of: queued, in_progress, completed)"),
        (("comment", "create", "r.md", "--publish=maybe"),
         "error: --publish: 'maybe' is not a boolean (use --publish=true or --publish=false)"),
        (("comment", "create", "r.md", "--bogus"),
         "error: cml comment create: unrecognized arguments: --bogus (see 'cml comment create --help')"),
        (("comment", "create"),
         "error: cml comment create: the following arguments are required: FILE (see 'cml comment create --help')"),
        (("comment", "delete", "r.md"), "error: cml comment: unknown command 'delete' (use create or update)"),
        (("asset", "publish", "a.png", "--forge", "svn"),
         "error: cml asset publish: argument --forge: invalid choice: 'svn' (choose from 'auto', 'local', 'github', "
         "'gitlab') (see 'cml asset publish --help')"),
    ],
)  # fmt: skip
def test_bad_flags_give_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 1
    assert (out + err).strip().splitlines() == [message]


def test_legacy_script_errors_name_the_script(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["cml-send-github-check", "r.md", "--conclusion=nope"])
    code = cli.send_github_check_main()
    out, err = capsys.readouterr()
    assert code == 1
    assert "--conclusion: unknown value 'nope'" in (out + err)


def test_missing_report_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "comment", "create", "/nonexistent/report.md", "--forge", "local")
    assert code == 1
    assert (
        out + err
    ).strip() == "error: '/nonexistent/report.md' does not exist (give the markdown report file to post)"


def test_a_fifo_as_report_file_is_one_line_not_a_hang(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    # Opening the FIFO used to wait for a writer forever: end the test after a few seconds whatever happens.
    timer = threading.Timer(5, lambda: os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
    timer.start()
    try:
        code, out, err = _run(capsys, "comment", "create", str(fifo), "--forge", "local")
    finally:
        timer.cancel()
    assert code == 1
    assert (out + err).strip() == (f"error: '{fifo}' is a named pipe (FIFO), not a regular file (give a regular file)")


def test_help_lists_the_compat_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for command in ("comment", "check", "asset"):
        assert command in out


def test_comment_help_shows_cml_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["comment", "update", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cml comment update")
    for flag in ("--target", "--watermark-title", "--publish, --no-publish", "--commit-sha"):
        assert flag in out
    assert "--trigger-file" not in out  # accepted, but not advertised


def test_group_without_verb_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "comment")
    assert code == 1
    assert "error: cml comment: choose create or update" in out + err


def test_the_compat_commands_build_forge_options_with_the_actions_builder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cml_action import cli_compat_run

    monkeypatch.setenv("CML_WRITE_INTERVAL", "0.25")
    args = argparse.Namespace(forge="local", output_dir=str(tmp_path / "out"), max_image_width=None, token=None)
    session = cli_compat_run.open_session(args, needs_repo=False)
    assert (session.options.write_interval, session.options.output_dir) == (0.25, tmp_path / "out")
    assert not hasattr(cli_compat_run, "FORGE_OPTION_OVERRIDES")  # no test-only global beside the builder
