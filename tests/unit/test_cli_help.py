"""Every command answers --help and --version (CML's commands do): exit 0, no argparse artefacts, no crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cml_action import __version__

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMMANDS = [
    ["cml"],
    ["cml", "report"],
    ["cml", "metrics"],
    ["cml", "metrics", "diff"],
    ["cml", "params"],
    ["cml", "params", "diff"],
    ["cml", "comment"],
    ["cml", "comment", "create"],
    ["cml", "comment", "update"],
    ["cml", "check"],
    ["cml", "check", "create"],
    ["cml", "asset"],
    ["cml", "asset", "publish"],
    ["cml", "send-comment"],
    ["cml", "send-github-check"],
    ["cml", "publish"],
    ["cml", "ci"],
    ["cml", "pr"],
    ["cml", "pr", "create"],
    ["cml", "repo"],
    ["cml", "repo", "prepare"],
    ["cml-send-comment"],
    ["cml-send-github-check"],
    ["cml-publish"],
    ["cml-files"],
    ["vl2png"],
    ["vl2svg"],
]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    program = [sys.executable, str(ROOT / "entrypoint.py")] if argv[0] == "entrypoint" else [str(BIN / argv[0])]
    return subprocess.run([*program, *argv[1:]], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("command", [*COMMANDS, ["entrypoint"]], ids=" ".join)
def test_help_is_printed_and_exits_zero(command: list[str]) -> None:
    done = _run([*command, "--help"])
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    assert "SUPPRESS" not in done.stdout and "Traceback" not in done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("command", [*COMMANDS, ["entrypoint"]], ids=" ".join)
def test_version_is_printed_and_exits_zero(command: list[str]) -> None:
    done = _run([*command, "--version"])
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"cml-action {__version__}", "")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["cml"], "error: cml: the following arguments are required: COMMAND (see 'cml --help')"),
        (["cml", "bogus"], "error: cml: argument COMMAND: invalid choice: 'bogus'"),
        (["cml", "report", "--bogus"], "error: cml report: unrecognized arguments: --bogus (see 'cml report --help')"),
        (["cml", "metrics", "diff", "--nope"], "error: cml metrics diff: unrecognized arguments: --nope"),
        (["cml", "metrics"], "error: cml metrics: the following arguments are required: COMMAND"),
        (["cml", "params", "diff", "--nope"], "error: cml params diff: unrecognized arguments: --nope"),
        (["cml", "params", "diff", "--json", "--md"], "error: cml params diff: argument --md/--show-md: not allowed"),
        (["cml", "comment"], "error: cml comment: choose create or update (see 'cml comment create --help')"),
        (["cml", "comment", "delete"], "error: cml comment: unknown command 'delete' (use create or update)"),
        (["cml-publish", "--bogus"], "error: cml-publish: unrecognized arguments: --bogus"),
        (["vl2png", "-s"], "error: vl2png: argument -s/--scale: expected one argument"),
        (["cml", "runner", "launch", "--cloud=aws"], "error: cml runner is not provided: run the job on your forge's"),
        (["cml", "tensorboard", "connect"], "error: cml tensorboard is not provided: TensorBoard.dev was shut down"),
        (["cml", "tensorboard-dev", "--logdir=x"], "error: cml tensorboard-dev is not provided"),
    ],
    ids=" ".join,
)
def test_bad_usage_is_one_line_and_exit_1(argv: list[str], line: str) -> None:
    done = _run(argv)
    assert (done.returncode, done.stdout) == (1, "")
    [printed] = done.stderr.splitlines()
    assert printed.startswith(line)
