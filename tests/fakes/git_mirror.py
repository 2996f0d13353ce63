"""A bare git repository standing in for a fake forge's git storage: what `git push` to the forge reaches."""

from __future__ import annotations

import subprocess


def branch_sha(mirror: str, branch: str) -> str | None:
    """The commit of `branch` in the bare repository at `mirror`, None when it has no such branch (or no mirror)."""
    if not mirror:
        return None
    command = ["git", "--git-dir", mirror, "rev-parse", "--verify", "-q", f"refs/heads/{branch}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.stdout.strip() or None
