"""The CML-compatible command line: `cml comment create|update`, `cml check create`, `cml asset publish`, CML's
older `cml send-comment` / `cml send-github-check` / `cml publish`, and the legacy console scripts
`cml-send-comment`, `cml-send-github-check`, `cml-publish`, `cml-files`.

Flags and defaults follow iterative/cml (bin/cml/comment/create.js, check/create.js, asset/publish.js and the
legacy bin/*.js); what each command does is in cli_compat_run.py. The top-level `cml` parser hands everything
after the command word to the parsers here, so CML's spellings (`--publish=false`, `--triggerFile`) and our
one-line errors (exit 1) apply.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cml_action.cli_compat_flags import (
    ASSET_IGNORED,
    COMMENT_IGNORED,
    GLOBAL_IGNORED,
    CompatParser,
    IgnoredFlag,
    add_ignored,
    normalize_argv,
)
from cml_action.errors import CmlError

CHECK_CONCLUSIONS = ("success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required")
CHECK_STATUSES = ("queued", "in_progress", "completed")
DEFAULT_TITLE = "CML Report"  # CML's CHECK_TITLE

# `cml <group> <verb>` commands, and CML's older single-word commands with the command each one runs.
GROUPS: dict[str, dict[str, str]] = {
    "comment": {"create": "comment-create", "update": "comment-update"},
    "check": {"create": "check-create"},
    "asset": {"publish": "asset-publish"},
}
GROUP_HELP = {
    "comment": "Post a markdown file as a PR/MR, commit or issue comment (CML-compatible).",
    "check": "Post a markdown file as a GitHub check run / GitLab commit status (CML-compatible).",
    "asset": "Publish an image to the forge and print its URL or markdown (CML-compatible).",
}
SINGLE_WORD = {"send-comment": "comment-create", "send-github-check": "check-create", "publish": "legacy-publish"}
# argparse prints "==SUPPRESS==" for a hidden sub-command (python/cpython#67037), so CML's old names get a line too.
SINGLE_WORD_HELP = {
    "send-comment": "CML's older name for 'cml comment create'.",
    "send-github-check": "CML's older name for 'cml check create'.",
    "publish": "CML's older name for 'cml asset publish'.",
}
# yargs `.env(PREFIX)` in CML: every option may also come from PREFIX_<OPTION>, e.g. CML_COMMENT_WATERMARK_TITLE.
ENV_PREFIX = {
    "comment-create": "CML_COMMENT",
    "comment-update": "CML_COMMENT",
    "check-create": "CML_CHECK",
    "asset-publish": "CML_ASSET",
    "legacy-publish": "CML_ASSET",
}
# CML's older commands read their own prefixes (`cml-send-comment` took CML_SEND_COMMENT_UPDATE, …): still read,
# before the modern prefix, so a modern variable wins when both are set.
LEGACY_ENV_PREFIX = {
    "send-comment": "CML_SEND_COMMENT",
    "send-github-check": "CML_SEND_GITHUB_CHECK",
    "publish": "CML_PUBLISH",
}
# CML commands that cml-action does not provide, with what to use instead (one line, exit 1).
NOT_PROVIDED = {
    "runner": "cml runner is not provided: run the job on your forge's own self-hosted runners (GitHub: "
    "'runs-on: self-hosted'; GitLab: a registered runner and 'tags:') with this image as the job container",
    "tensorboard": "cml tensorboard is not provided: TensorBoard.dev was shut down at the end of 2023; publish "
    "TensorBoard's charts as images ('cml asset publish') or log with DVCLive and use the 'plots' input",
    "tensorboard-dev": "cml tensorboard-dev is not provided: TensorBoard.dev was shut down at the end of 2023; "
    "publish charts as images ('cml asset publish') or log with DVCLive and use the 'plots' input",
}
LEGACY_SCRIPTS = {
    "cml-send-comment": "comment-create",
    "cml-send-github-check": "check-create",
    "cml-publish": "legacy-publish",
    "cml-files": "files",
}


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Register the compat commands on `cml`; their arguments are parsed later by `dispatch`."""
    for name in (*GROUPS, *SINGLE_WORD, *NOT_PROVIDED):
        # A prefix character nobody types: the top-level parser then passes `--help`, `--publish=false`, … through
        # untouched, and the compat parsers below see exactly what the user wrote.
        text = {**GROUP_HELP, **SINGLE_WORD_HELP}.get(name, "Not provided by cml-action (says what to use instead).")
        parser = sub.add_parser(name, add_help=False, prefix_chars="\x01", help=text)
        parser.add_argument("compat_argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def dispatch(args: argparse.Namespace) -> int:
    command: str = args.command
    argv: list[str] = list(args.compat_argv)
    if command in NOT_PROVIDED:
        raise CmlError(NOT_PROVIDED[command])
    if command in SINGLE_WORD:
        return run(SINGLE_WORD[command], f"cml {command}", argv)
    verbs = GROUPS[command]
    if argv[:1] == ["--version"]:
        from cml_action import __version__

        print(f"cml-action {__version__}")
        return 0
    if not argv:
        raise CmlError(f"cml {command}: choose {' or '.join(verbs)} (see 'cml {command} {next(iter(verbs))} --help')")
    if argv[0] in ("-h", "--help"):
        choices = " | ".join(verbs)
        print(f"usage: cml {command} {{{choices}}} FILE [options]\n\n{GROUP_HELP[command]}")
        return 0
    verb = argv[0]
    if verb not in verbs:
        raise CmlError(f"cml {command}: unknown command '{verb}' (use {' or '.join(verbs)})")
    return run(verbs[verb], f"cml {command} {verb}", argv[1:])


def legacy(name: str, argv: Sequence[str]) -> int:
    """The legacy console scripts (`cml-send-comment`, …)."""
    return run(LEGACY_SCRIPTS[name], name, list(argv))


def run(kind: str, prog: str, argv: list[str]) -> int:
    from cml_action import cli_compat_run

    build, ignored = PARSERS[kind]
    parser = build(prog)
    legacy_prefix = LEGACY_ENV_PREFIX.get(prog.removeprefix("cml").lstrip(" -"), "")
    from_env = env_flags(parser, legacy_prefix, os.environ) + env_flags(parser, ENV_PREFIX.get(kind, ""), os.environ)
    given = from_env + argv  # flags given later win
    namespace = parser.parse_args(normalize_argv(given, _booleans(parser)))
    handlers: dict[str, Callable[[argparse.Namespace, tuple[IgnoredFlag, ...]], int]] = {
        "comment-create": cli_compat_run.comment_command,
        "comment-update": cli_compat_run.comment_command,
        "check-create": cli_compat_run.check_command,
        "asset-publish": cli_compat_run.publish_command,
        "legacy-publish": cli_compat_run.publish_command,
        "files": cli_compat_run.files_command,
    }
    if kind == "comment-update":
        namespace.update = True
    return handlers[kind](namespace, ignored)


def env_flags(parser: argparse.ArgumentParser, prefix: str, env: Mapping[str, str]) -> list[str]:
    """`--name=value` for each option set through CML's environment variables (PREFIX_NAME)."""
    if not prefix:
        return []
    found: list[str] = []
    for action in parser._actions:
        for option in action.option_strings:
            if not option.startswith("--") or option.startswith("--no-") or option in ("--help", "--version"):
                continue
            value = env.get(f"{prefix}_{option[2:].upper().replace('-', '_')}", "")
            if value.strip():
                found.append(f"{option}={value}")
    return found


def _booleans(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    names: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse.BooleanOptionalAction):
            names.extend(opt[2:] for opt in action.option_strings if not opt.startswith("--no-"))
    return tuple(names)


def _common(parser: argparse.ArgumentParser) -> None:
    """Token and forge selection, shared by every command that talks to a forge."""
    parser.add_argument("--token", "--driver-token", "--repo-token", dest="token", default=None, metavar="TOKEN",
                        help="Forge token (default: input 'token'/CML_TOKEN, then REPO_TOKEN, then GITHUB_TOKEN "
                             "on GitHub; a project access token on GitLab).")  # fmt: skip
    parser.add_argument("--forge", default=None, choices=("auto", "local", "github", "gitlab"),
                        help="cml-action only: publish to this forge (default: from the CI environment).")  # fmt: skip
    parser.add_argument("--output-dir", default=None, metavar="DIR",
                        help="cml-action only: local forge output folder (default: cml-report).")  # fmt: skip
    parser.add_argument("--max-image-width", default=None, metavar="PX",
                        help="cml-action only: wider images are downscaled (default: 1600).")  # fmt: skip
    add_ignored(parser, GLOBAL_IGNORED)


def comment_parser(prog: str) -> CompatParser:
    parser = CompatParser(prog=prog, description="Post FILE as a comment; local images it references are "
                          "published and their links rewritten. 'update' edits the comment carrying the same "
                          "watermark title instead of adding a new one.")  # fmt: skip
    parser.add_argument("markdown_file", metavar="FILE", help="Markdown report file.")
    parser.add_argument("--target", default=None,
                        help="auto (default: the run's PR/MR, else a PR of the commit, else the commit), pr, "
                             "commit, pr/N, issue/N or commit/SHA.")  # fmt: skip
    parser.add_argument("--watermark-title", default="",
                        help="Hidden marker naming this comment, so 'update' finds it; {workflow}, {job} and "
                             "{run} are replaced. Same as the action's 'key' input.")  # fmt: skip
    parser.add_argument("--publish", action=argparse.BooleanOptionalAction, default=True,
                        help="Publish local images referenced in FILE (default: true).")  # fmt: skip
    parser.add_argument("--commit-sha", "--head-sha", dest="commit_sha", default=None, metavar="REV",
                        help="Commit the comment is about; without --target the comment goes on that commit, "
                             "as with CML.")  # fmt: skip
    parser.add_argument("--pr", action=argparse.BooleanOptionalAction, default=False,
                        help="CML's older spelling of --target=pr.")  # fmt: skip
    parser.add_argument("--update", action=argparse.BooleanOptionalAction, default=False,
                        help="Update the comment with this watermark title (what 'comment update' does).")  # fmt: skip
    _common(parser)
    add_ignored(parser, COMMENT_IGNORED)
    return parser


def check_parser(prog: str) -> CompatParser:
    parser = CompatParser(prog=prog, description="Post FILE as a check run (GitHub) or commit status and note "
                          "(GitLab).")  # fmt: skip
    parser.add_argument("markdown_file", metavar="FILE", help="Markdown report file.")
    parser.add_argument("--title", default=DEFAULT_TITLE, help=f"Check name and title (default: {DEFAULT_TITLE}).")
    parser.add_argument("--conclusion", default="success", type=str.lower,
                        help="One of: " + ", ".join(CHECK_CONCLUSIONS) + " (default: success).")  # fmt: skip
    parser.add_argument("--status", default="completed", type=str.lower,
                        help="Accepted for CML compatibility; checks are always posted completed.")  # fmt: skip
    parser.add_argument("--commit-sha", "--head-sha", dest="commit_sha", default=None, metavar="REV",
                        help="Commit the check is attached to (default: the run's commit).")  # fmt: skip
    _common(parser)
    return parser


def asset_parser(prog: str, *, file_optional: bool = False) -> CompatParser:
    parser = CompatParser(prog=prog, description="Publish an image and print its URL (or markdown with --md). "
                          "FILE '-' (or no FILE for cml-publish) reads the image from stdin.")  # fmt: skip
    parser.add_argument("asset", metavar="FILE", nargs="?" if file_optional else None, default=None,
                        help="Image file, or '-' for stdin.")  # fmt: skip
    parser.add_argument("--md", action=argparse.BooleanOptionalAction, default=False,
                        help='Print markdown: ![](URL "TITLE") for images, as CML does.')  # fmt: skip
    parser.add_argument("-t", "--title", default="", help="Title used in the markdown.")
    parser.add_argument("-f", "--file", default=None, metavar="PATH", help="Write the output to PATH, not stdout.")
    _common(parser)
    add_ignored(parser, ASSET_IGNORED)
    return parser


def files_parser(prog: str) -> CompatParser:
    parser = CompatParser(prog=prog, description="Read 'dvc diff --json' (or the older --show-json) output "
                          "from stdin or --metrics and print it as markdown.")  # fmt: skip
    parser.add_argument("-m", "--metrics", default=None, metavar="JSON", help="The JSON (default: read stdin).")
    parser.add_argument("-f", "--file", default=None, metavar="PATH", help="Write the markdown to PATH, not stdout.")
    parser.add_argument("--maxchars", default=None, help=argparse.SUPPRESS)
    return parser


PARSERS: dict[str, tuple[Callable[[str], CompatParser], tuple[IgnoredFlag, ...]]] = {
    "comment-create": (comment_parser, (*GLOBAL_IGNORED, *COMMENT_IGNORED)),
    "comment-update": (comment_parser, (*GLOBAL_IGNORED, *COMMENT_IGNORED)),
    "check-create": (check_parser, GLOBAL_IGNORED),
    "asset-publish": (asset_parser, (*GLOBAL_IGNORED, *ASSET_IGNORED)),
    "legacy-publish": (lambda prog: asset_parser(prog, file_optional=True), (*GLOBAL_IGNORED, *ASSET_IGNORED)),
    "files": (files_parser, ()),
}

__all__ = ["add_parsers", "dispatch", "legacy"]
