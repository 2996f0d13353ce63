"""`cml metrics diff` and `cml params diff`: DVC's `dvc metrics diff` / `dvc params diff` with their arguments
(`a_rev [b_rev]`, `--targets a b …`, `-R`, `--all`, `--json`/`--md`, `--no-path`, `--precision`, `--deps`), read
by the same code as the report's Metrics and Params sections. Output is markdown unless `--json` is given (DVC's
plain-text table has no use in a report).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cml_action import workflow
from cml_action.errors import CmlError

WORKSPACE_LABEL = "workspace"  # DVC's header for the working tree side


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    metrics = sub.add_parser("metrics", help="Metrics commands ('dvc metrics diff' compatible).")
    metrics_sub = metrics.add_subparsers(dest="metrics_command", required=True, metavar="COMMAND")
    diff = metrics_sub.add_parser("diff", help="Show the metrics changes between two commits, or a commit and "
                                  "the working tree, as 'dvc metrics diff' does.")  # fmt: skip
    _common(diff, "Metric files or directories (default: the metrics of dvc.yaml).")
    diff.add_argument("--precision", type=int, default=5, metavar="N", help="Decimal places (default 5).")
    params = sub.add_parser("params", help="Params commands ('dvc params diff' compatible).")
    params_sub = params.add_subparsers(dest="params_command", required=True, metavar="COMMAND")
    pdiff = params_sub.add_parser("diff", help="Show the params changes between two commits, or a commit and the "
                                  "working tree, as 'dvc params diff' does.")  # fmt: skip
    _common(pdiff, "Params files, diffed whole (default: what dvc.yaml tracks, plus params.yaml).")
    pdiff.add_argument("--deps", action="store_true", help="Only params that are stage dependencies in dvc.yaml.")


def _common(parser: argparse.ArgumentParser, targets_help: str) -> None:
    parser.add_argument("a_rev", nargs="?", default="HEAD", help="Old git commit to compare (default HEAD).")
    parser.add_argument("b_rev", nargs="?", default=None, help="New git commit (default: the working tree).")
    parser.add_argument("--targets", "--target", nargs="+", action="extend", default=[], metavar="PATH",
                        help=targets_help)  # fmt: skip
    parser.add_argument("-R", "--recursive", action="store_true",
                        help="Accepted as in DVC: a directory target is always searched recursively.")  # fmt: skip
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--md", "--show-md", action="store_true", help="Markdown table (the default).")
    output.add_argument("--json", "--show-json", action="store_true", help="JSON, as DVC prints it.")
    parser.add_argument("--no-path", action="store_true", help="Leave out the Path column.")
    parser.add_argument("-a", "--all", action="store_true", help="Also show unchanged values.")


def _revision(ws: Path, rev: str, flag: str) -> str:
    from cml_action import gitrepo

    sha = gitrepo.rev_parse(ws, rev)
    if sha is None:
        raise CmlError(f"{flag}: unknown git revision '{rev}' (give a commit, branch or tag; fetch it first in a "
                       "shallow clone)")  # fmt: skip
    return sha


def _targets(ws: Path, given: Sequence[str], revisions: Sequence[str]) -> tuple[str, ...]:
    """Comma lists split (`--targets a.json,b.json`, as the report input); a directory becomes the files below it
    in the working tree and at each revision, as DVC finds them per revision."""
    from cml_action.inputs import split_list

    found: dict[str, None] = {}
    for target in (item for raw in given for item in split_list(raw)):
        folder = ws / target
        if not (folder.is_dir() and not folder.is_symlink()):
            found[target] = None
            continue
        names = [str(path.relative_to(ws)) for path in folder.rglob("*") if path.is_file()]
        for sha in revisions:
            names += _files_at(ws, sha, target)
        found |= dict.fromkeys(sorted(name for name in names if not any(p.startswith(".") for p in name.split("/"))))
    return tuple(found)


def _files_at(ws: Path, sha: str, folder: str) -> list[str]:
    from cml_action import gitrepo

    listed = gitrepo.git(ws, "ls-tree", "-r", "-z", "--name-only", sha, "--", folder, check=False)
    return [name for name in listed.decode("utf-8", errors="replace").split("\0") if name]


def _workspace() -> Path:
    from cml_action.context import local_context

    return local_context(Path(os.getcwd()).resolve()).workspace


def metrics_diff_command(args: argparse.Namespace) -> int:
    from cml_action.metrics_source import collect_metrics
    from cml_action.report.diff import diff_metrics
    from cml_action.report.table import render_metrics_json, render_metrics_table

    if args.precision < 0:
        raise CmlError(f"--precision: {args.precision} is below 0 (give a number of decimal places, e.g. 5)")
    ws = _workspace()
    a_sha = _revision(ws, args.a_rev, "a_rev")
    b_sha = _revision(ws, args.b_rev, "b_rev") if args.b_rev is not None else None
    targets = _targets(ws, args.targets, [sha for sha in (a_sha, b_sha) if sha]) or ("auto",)
    old = collect_metrics(ws, targets, a_sha)
    warnings = list(old.warnings)
    current = old.current
    if b_sha is not None:
        # The same files, read at b_rev: its "baseline" side is the new side here. The working tree is not compared,
        # so what the first reading said about it is left out.
        new = collect_metrics(ws, targets, b_sha)
        current = new.baseline
        warnings = [w for w in (*old.warnings, *new.warnings) if "working tree" not in w]
    for warning in dict.fromkeys(warnings):  # stderr: `cml metrics diff --md >> report.md` stays a table
        workflow.warning(warning, stream=sys.stderr)
    diff = diff_metrics(old.baseline, current)
    if args.json:
        print(render_metrics_json(diff, show_all=args.all))
        return 0
    # DVC ends the table with a blank line; so does print() after the table's own newline.
    print(render_metrics_table(diff, precision=args.precision, show_all=args.all, baseline_label=args.a_rev,
                               current_label=args.b_rev or WORKSPACE_LABEL, with_path=not args.no_path))  # fmt: skip
    return 0


def params_diff_command(args: argparse.Namespace) -> int:
    from cml_action.params_source import params_diff
    from cml_action.report.params import render_params_table
    from cml_action.report.table import render_metrics_json

    ws = _workspace()
    a_sha = _revision(ws, args.a_rev, "a_rev")
    b_sha = _revision(ws, args.b_rev, "b_rev") if args.b_rev is not None else None
    targets = _targets(ws, args.targets, [sha for sha in (a_sha, b_sha) if sha]) or ("auto",)
    diff, warnings = params_diff(ws, targets, a_sha, current_sha=b_sha, deps_only=args.deps)
    for warning in warnings:
        workflow.warning(warning, stream=sys.stderr)
    if args.json:
        print(render_metrics_json(diff, show_all=args.all))
        return 0
    print(render_params_table(diff, show_all=args.all, baseline_label=args.a_rev,
                              current_label=args.b_rev or WORKSPACE_LABEL, with_path=not args.no_path))  # fmt: skip
    return 0
