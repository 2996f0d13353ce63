"""The `cml` command: `cml report` (the declarative run the entrypoint calls), `cml metrics diff`, and the
CML-compatible commands (`cml comment|check|asset …`, legacy `cml-send-comment`, … in cli_compat.py).

Every user-facing failure is one line (`::error::` on GitHub) and a non-zero exit, never a traceback; set
CML_DEBUG=1 to see one anyway.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from cml_action import workflow
from cml_action.errors import CmlError
from cml_action.redact import add_secret, redact

EXIT_ERROR = 1
EXIT_INTERNAL = 2


TOKEN_VARIABLES = ("INPUT_TOKEN", "GITHUB_TOKEN", "CML_TOKEN", "REPO_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")


def guarded(run: Callable[[], int]) -> int:
    """Run a command, turning every failure into one clear line and an exit code."""
    for name in TOKEN_VARIABLES:
        add_secret(os.environ.get(name, ""))
    try:
        return run()
    except CmlError as exc:
        # stderr: `cml-publish x.png --md >> report.md` must not append the error to the report. The runner
        # reads workflow commands from stderr as well as stdout.
        workflow.error(redact(exc.message), file=exc.file, line=exc.line, stream=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        workflow.error("interrupted", stream=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("CML_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {redact(str(exc))} (set CML_DEBUG=1 for details)"
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


def metrics_diff_command(args: argparse.Namespace) -> int:
    from cml_action.baseline import resolve_baseline
    from cml_action.context import local_context
    from cml_action.inputs import split_list
    from cml_action.metrics_source import collect_metrics
    from cml_action.report.diff import diff_metrics
    from cml_action.report.table import render_metrics_json, render_metrics_table

    if args.precision < 0:
        raise CmlError(f"--precision: {args.precision} is below 0 (give a number of decimal places, e.g. 5)")
    ctx = local_context(Path(os.getcwd()).resolve())
    baseline = resolve_baseline(ctx, args.baseline or "HEAD", allow_fetch=False)
    targets = tuple(t for raw in args.targets for t in split_list(raw)) or ("auto",)
    sides = collect_metrics(ctx.workspace, targets, baseline.sha)
    for warning in sides.warnings:
        workflow.warning(warning)
    diff = diff_metrics(sides.baseline, sides.current)
    if args.json:
        print(render_metrics_json(diff))
    else:
        label = args.baseline or "HEAD"
        print(render_metrics_table(diff, precision=args.precision, show_all=args.all, baseline_label=label,
                                   current_label="workspace"))  # fmt: skip
    return 0


def _report_parser(sub: argparse._SubParsersAction[Any]) -> None:
    from cml_action.inputs import add_cli_flags

    report = sub.add_parser("report", help="Build the report and publish it (what the action runs).")
    add_cli_flags(report)


def _metrics_parser(sub: argparse._SubParsersAction[Any]) -> None:
    metrics = sub.add_parser("metrics", help="Metrics commands.")
    metrics_sub = metrics.add_subparsers(dest="metrics_command", required=True, metavar="COMMAND")
    diff = metrics_sub.add_parser("diff", help="Print the metrics diff of the working tree against a baseline.")
    diff.add_argument("baseline", nargs="?", default=None, help="Git ref to compare with (default HEAD).")
    output = diff.add_mutually_exclusive_group()
    output.add_argument("--md", action="store_true", help="Markdown table (default).")
    output.add_argument("--json", action="store_true", help="JSON like 'dvc metrics diff --json'.")
    diff.add_argument("--targets", action="append", default=[], help="Metric files (default: from dvc.yaml).")
    diff.add_argument("--precision", type=int, default=5, help="Decimal places (default 5).")
    diff.add_argument("-a", "--all", action="store_true", help="Also show unchanged metrics.")


def build_parser() -> argparse.ArgumentParser:
    from cml_action import cli_compat, cli_pr, cli_repo
    from cml_action.cli_compat_flags import CompatParser

    # Sub-parsers take the root's class: every usage error is one line and exit 1, and every command has --version.
    parser = CompatParser(prog="cml", description="CI reports for machine learning (cml-action).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _report_parser(sub)
    _metrics_parser(sub)
    cli_compat.add_parsers(sub)
    cli_repo.add_parsers(sub)
    cli_pr.add_parsers(sub)
    return parser


def dispatch(argv: Sequence[str]) -> int:
    from cml_action import cli_compat
    from cml_action.inputs import flags_from_namespace

    args, unknown = build_parser().parse_known_args(list(argv))
    if unknown:  # name the command the flag was given to, not just `cml`
        verb = {"metrics": "metrics_command", "repo": "repo_command", "pr": "pr_command"}.get(args.command, "")
        words = ["cml", args.command, *([getattr(args, verb)] if verb else [])]
        raise CmlError(
            f"{' '.join(words)}: unrecognized arguments: {' '.join(unknown)} (see '{' '.join(words)} --help')"
        )
    if args.command == "report":
        return report_command(flags_from_namespace(args))
    if args.command == "metrics":
        return metrics_diff_command(args)
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

    return guarded(run)


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
