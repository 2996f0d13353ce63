"""The `cml` command: `cml report` (the declarative run the entrypoint calls), `cml metrics|params diff`
(cli_diff.py), and the CML-compatible commands (`cml comment|check|asset …`, legacy `cml-send-comment`, … in
cli_compat.py).

Every user-facing failure is one line (`::error::` on GitHub) and a non-zero exit, never a traceback; set
CML_DEBUG=1 to see one anyway.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal

from cml_action import workflow
from cml_action.errors import CmlError
from cml_action.redact import add_secret
from cml_action.surface import ACTION, COMMAND_LINE, Surface, using

EXIT_ERROR = 1
EXIT_INTERNAL = 2


TOKEN_VARIABLES = ("INPUT_TOKEN", "GITHUB_TOKEN", "CML_TOKEN", "REPO_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")


def guarded(run: Callable[[], int], surface: Surface = COMMAND_LINE) -> int:
    """Run a command, turning every failure into one clear line and an exit code. Errors give advice in the words
    of `surface`: the command's flags, or the action's inputs."""
    for name in TOKEN_VARIABLES:
        add_secret(os.environ.get(name, ""))
    try:
        with using(surface):
            return run()
    except CmlError as exc:
        # stderr: `cml-publish x.png --md >> report.md` must not append the error to the report. The runner
        # reads workflow commands from stderr as well as stdout.
        workflow.error(exc.message, file=exc.file, line=exc.line, stream=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        workflow.error("interrupted", stream=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("CML_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (set CML_DEBUG=1 for details)"
        workflow.error(message, stream=sys.stderr)
        return EXIT_INTERNAL


def report_command(flags: dict[str, str], env: dict[str, str] | None = None) -> int:
    from cml_action.context import detect
    from cml_action.inputs import parse_settings
    from cml_action.pipeline import run

    environ = dict(os.environ if env is None else env)
    settings = parse_settings(environ, flags)
    # Tokens come from secrets the runner already masks; printing ::add-mask::<token> would be the one place the
    # token shows in the log. They are redacted from everything we print instead.
    add_secret(settings.token)
    ctx = detect(environ, requested_forge=settings.forge, head_sha=settings.head_sha, token=settings.token)
    add_secret(ctx.token)
    outcome = run(settings, ctx)
    print(f"Report file: {outcome.report_file}")
    return outcome.exit_code


def _report_parser(sub: argparse._SubParsersAction[Any]) -> None:
    from cml_action.inputs import add_cli_flags

    report = sub.add_parser("report", help="Build the report and publish it (what the action runs).")
    add_cli_flags(report)


def build_parser() -> argparse.ArgumentParser:
    from cml_action import cli_compat, cli_diff, cli_pr, cli_repo
    from cml_action.cli_compat_flags import CompatParser

    # Sub-parsers take the root's class: every usage error is one line and exit 1, and every command has --version.
    parser = CompatParser(prog="cml", description="CI reports for machine learning (cml-action).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _report_parser(sub)
    cli_diff.add_parsers(sub)
    cli_compat.add_parsers(sub)
    cli_repo.add_parsers(sub)
    cli_pr.add_parsers(sub)
    return parser


def dispatch(argv: Sequence[str]) -> int:
    from cml_action import cli_compat
    from cml_action.inputs import flags_from_namespace

    args, unknown = build_parser().parse_known_args(list(argv))
    if unknown:  # name the command the flag was given to, not just `cml`
        verbs = {"metrics": "metrics_command", "params": "params_command", "repo": "repo_command", "pr": "pr_command"}
        verb = verbs.get(args.command, "")
        words = ["cml", args.command, *([getattr(args, verb)] if verb else [])]
        raise CmlError(
            f"{' '.join(words)}: unrecognized arguments: {' '.join(unknown)} (see '{' '.join(words)} --help')"
        )
    if args.command == "report":
        flags = flags_from_namespace(args)
        # `cml report` runs the action's inputs (the GitLab component passes them as CML_* variables): advice names
        # inputs, unless the user ran it with flags.
        with using(COMMAND_LINE if flags else ACTION):
            return report_command(flags)
    if args.command in ("metrics", "params"):
        from cml_action import cli_diff

        return cli_diff.metrics_diff_command(args) if args.command == "metrics" else cli_diff.params_diff_command(args)
    if args.command == "pr":
        from cml_action.cli_pr import pr_create_command

        return pr_create_command(args)
    if args.command in ("ci", "repo"):
        from cml_action.cli_repo import ci_command

        return ci_command(args)
    return cli_compat.dispatch(args)


def main(argv: Sequence[str] | None = None) -> int:
    return guarded(lambda: dispatch(sys.argv[1:] if argv is None else argv))


def entrypoint_main(argv: Sequence[str] | None = None) -> int:
    """The action's entrypoint: prepare DVC remote credentials, then `cml report` with any flags given."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "report":
        args = args[1:]

    def run() -> int:
        from cml_action.context import workspace_from_env
        from cml_action.credentials import prepare_remote_credentials
        from cml_action.runner_paths import owned_like_their_folders

        # The container runs as root: what we write in the workspace and RUNNER_TEMP goes back to their owner.
        with owned_like_their_folders(os.environ, workspace_from_env(os.environ)):
            for note in prepare_remote_credentials(os.environ, mask=workflow.mask):
                print(note)
            return dispatch(["report", *args])

    return guarded(run, ACTION)


def _legacy(name: str) -> Callable[[], int]:
    def entry() -> int:
        from cml_action import cli_compat

        return guarded(lambda: cli_compat.legacy(name, sys.argv[1:]))

    return entry


send_comment_main = _legacy("cml-send-comment")
send_github_check_main = _legacy("cml-send-github-check")
publish_main = _legacy("cml-publish")
files_main = _legacy("cml-files")


def _vega(fmt: Literal["png", "svg"]) -> Callable[[], int]:
    def entry() -> int:
        from cml_action.cli_vega import convert

        return guarded(lambda: convert(sys.argv[1:], fmt))

    return entry


vl2png_main = _vega("png")
vl2svg_main = _vega("svg")
