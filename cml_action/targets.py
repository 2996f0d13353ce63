"""Parse the `target` input: auto, pr, mr, commit, pr/N, mr/N, issue/N, commit/SHA."""

from __future__ import annotations

import re

from cml_action.errors import InputError
from cml_action.forges.base import Target

_FIX = "use auto, pr, commit, pr/N, issue/N or commit/SHA"


def parse_target(raw: str) -> Target:
    value = raw.strip()
    lowered = value.lower()
    if lowered == "auto":
        return Target("auto")
    if lowered in ("pr", "mr"):
        return Target("pr")
    if lowered == "commit":
        return Target("commit")
    kind, _, rest = value.partition("/")
    kind = kind.lower()
    if kind in ("pr", "mr", "issue") and rest.isdigit() and int(rest) > 0:
        return Target("issue" if kind == "issue" else "pr", number=int(rest))
    if kind == "commit" and re.fullmatch(r"[0-9a-fA-F]{7,40}", rest):
        return Target("commit", sha=rest.lower())
    raise InputError("target", f"'{value}' is not a target", _FIX)
