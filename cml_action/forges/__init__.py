"""Forges: where a report is published, chosen here and only here. Imported lazily so a GitHub run never imports
python-gitlab. A new forge is one module (or package) with a class like those below, plus one line in `_CLASSES`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cml_action.context import RunContext
    from cml_action.forges.base import Forge, ForgeOptions, Traits

# ctx.forge -> (module, class); anything unknown publishes locally.
_CLASSES = {
    "github": ("cml_action.forges.github.forge", "GitHubForge"),
    "gitlab": ("cml_action.forges.gitlab.forge", "GitLabForge"),
    "local": ("cml_action.forges.local.forge", "LocalForge"),
}


def _forge_class(name: str) -> Any:
    module, cls = _CLASSES.get(name, _CLASSES["local"])
    return getattr(importlib.import_module(module), cls)


def make_forge(ctx: RunContext, options: ForgeOptions) -> Forge:
    forge: Forge = _forge_class(ctx.forge)(ctx, options)
    return forge


def traits_of(ctx: RunContext) -> Traits:
    """The abilities of the forge this run publishes to (its module is imported, the forge is not built)."""
    traits: Traits = _forge_class(ctx.forge).traits
    return traits
