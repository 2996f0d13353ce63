"""Resolve the baseline commit (docs/report.md, "Baseline"): what metrics and plots are compared against.

"Current" is always the working tree: the files the job just produced.
"""

from __future__ import annotations

from dataclasses import dataclass

from cml_action import gitrepo
from cml_action.context import RunContext
from cml_action.errors import InputError
from cml_action.surface import current


@dataclass(frozen=True)
class Baseline:
    sha: str | None  # None: nothing to compare against (first commit, or auto found nothing)
    described: str  # how it was chosen, for the log
    warning: str = ""  # shown in the report when auto found nothing

    @property
    def short(self) -> str:
        return self.sha[:7] if self.sha else "-"


def resolve_baseline(ctx: RunContext, requested: str, *, allow_fetch: bool) -> Baseline:
    workspace = ctx.workspace
    if requested != "auto":
        if requested.startswith("-"):
            raise InputError("baseline", f"'{requested}' {gitrepo.OPTION_REF_PROBLEM}", "give a branch, tag or sha")
        sha = gitrepo.ensure_commit(workspace, requested, allow_fetch=allow_fetch)
        if sha is None:
            fix = "give a branch, tag or sha that exists in the repository"
            if not allow_fetch:
                fix += f", or set {current().assign('fetch-baseline', 'true')}"
            raise InputError("baseline", f"'{requested}' is not a commit in this repository, even after fetching", fix)
        return Baseline(sha, f"{requested} ({sha[:7]})")
    if ctx.merge_base_of is not None:
        base, head = ctx.merge_base_of
        sha = gitrepo.ensure_merge_base(workspace, base, head, allow_fetch=allow_fetch)
        if sha:
            return Baseline(sha, f"merge-base of the PR's base {base[:7]} and head {head[:7]}")
        # A base commit we cannot connect to still beats no comparison at all.
        sha = gitrepo.rev_parse(workspace, base)
        if sha:
            return Baseline(sha, f"PR base {base[:7]} (merge-base not reachable)")
    for candidate in ctx.baseline_candidates:
        if candidate == gitrepo.ZERO_SHA:
            continue
        sha = gitrepo.ensure_commit(workspace, candidate, allow_fetch=allow_fetch)
        if sha:
            return Baseline(sha, f"{candidate} ({sha[:7]})" if candidate != sha else sha[:7])
    return Baseline(None, "none", warning=_why_none(ctx, allow_fetch=allow_fetch))


def _why_none(ctx: RunContext, *, allow_fetch: bool) -> str:
    """One line saying why nothing is compared (shown once, in place of a baseline column of fake values)."""
    wanted = ctx.merge_base_of[0][:7] if ctx.merge_base_of else ", ".join(ctx.baseline_candidates) or "-"
    if not allow_fetch and gitrepo.is_shallow(ctx.workspace):
        return (
            f"No baseline: the clone is shallow and fetch-baseline is false, so the baseline commit ({wanted}) is "
            f"not in it; values are shown without a baseline (set {current().assign('fetch-baseline', 'true')}, or "
            "fetch-depth: 0 on actions/checkout)"
        )
    return (
        f"No baseline commit was found ({wanted}: first commit, or history not fetched): values are shown without "
        "a baseline"
    )
