"""Forges: where a report is published. Imported lazily so a GitHub run never imports python-gitlab."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cml_action.context import RunContext
    from cml_action.forges.base import Forge, ForgeOptions


def make_forge(ctx: RunContext, options: ForgeOptions) -> Forge:
    if ctx.forge == "github":
        from cml_action.forges.github import GitHubForge

        return GitHubForge(ctx, options)
    if ctx.forge == "gitlab":
        from cml_action.forges.gitlab import GitLabForge

        return GitLabForge(ctx, options)
    from cml_action.forges.local import LocalForge

    return LocalForge(ctx, options)
