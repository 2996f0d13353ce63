"""Where the store's documents live on the store branch (the assets branch), documented in docs/store.md:

    results/<key>/runs/<head sha>.json      one run's results for a key (a re-run on the same commit replaces it)
    results/<key>/index/<branch>.json       the last `history` runs on a branch (pull requests: `pull-<N>`)
    groups/<group>/<head sha>.json          the members of a group (a matrix) for one commit

Keys, branches and groups are user text: each becomes one path segment that cannot climb or nest.
"""

from __future__ import annotations

import hashlib
import re

RESULTS = "results"
GROUPS = "groups"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_SEGMENT = 80


def segment(text: str) -> str:
    """One readable path segment for `text`: safe characters kept, every other run becomes '-', and a short hash
    of the original keeps distinct texts apart ('a/b' and 'a-b' differ)."""
    readable = _SAFE.sub("-", text).strip("-.")[:_MAX_SEGMENT] or "x"
    if readable == text:
        return text
    return f"{readable}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def run_path(key: str, head_sha: str) -> str:
    return f"{RESULTS}/{segment(key)}/runs/{head_sha}.json"


def index_path(key: str, index_name: str) -> str:
    return f"{RESULTS}/{segment(key)}/index/{segment(index_name)}.json"


def group_path(group: str, head_sha: str) -> str:
    return f"{GROUPS}/{segment(group)}/{head_sha}.json"


def index_name(branch: str, pr_number: int | None) -> str:
    """The index a run belongs to: its pull request's (branch names repeat across forks), else its branch's."""
    if pr_number is not None:
        return f"pull-{pr_number}"
    return branch
