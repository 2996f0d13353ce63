"""How revisions are named in charts: short shas, and the working tree as "current" (never a 40-character sha)."""

from __future__ import annotations

import re

CURRENT_LABEL = "current"
WORKSPACE_REV = "workspace"  # DVC's name for the working tree
_SHA = re.compile(r"[0-9a-f]{40}")


def short_rev(rev: str) -> str:
    return rev[:7] if _SHA.fullmatch(rev) else rev


def rev_label(rev: str) -> str:
    """The label a reader sees for a revision DVC names (`workspace`, or the baseline as it was given)."""
    if rev == WORKSPACE_REV:
        return CURRENT_LABEL
    return short_rev(rev)
