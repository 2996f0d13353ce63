"""Uploads made earlier in the same CI job, by another command (`cml-publish plot.png` twice, or `cml asset
publish` then `cml comment create` on a report linking the same file): remembered in a small file in the
checkout's `.git` folder, so each image is uploaded once per job.

Only our own file is read (owned by this user, keyed by server and project), and only sha-named upload links are
taken from it: an entry can name nothing but an upload of the same content.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from cml_action.context import RunContext

_ENTRY = re.compile(r"/uploads/[0-9a-f]{16,64}/([0-9a-f]{64}\.[a-z0-9]{2,5})")


def record_file(ctx: RunContext) -> Path | None:
    """The record in the checkout's `.git` folder (no commit of a merge request can write there; a runner that
    keeps the clone between jobs keeps valid links too: uploads stay), or None without one."""
    git_dir = ctx.workspace / ".git"
    if not git_dir.is_dir() or git_dir.is_symlink():
        return None
    key = hashlib.sha256(f"{ctx.server_url}|{ctx.project_id}|{ctx.repo}".encode()).hexdigest()[:24]
    return git_dir / f"cml-action-gitlab-uploads-{key}.json"


def recall(path: Path | None) -> dict[str, str]:
    """name -> upload link of what this job uploaded before; {} when there is no usable record."""
    if path is None:
        return {}
    try:
        if path.is_symlink() or path.stat().st_uid != os.getuid():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        name: url
        for name, url in data.items()
        if isinstance(name, str) and isinstance(url, str) and (found := _ENTRY.fullmatch(url)) and found[1] == name
    }


def remember(path: Path | None, name: str, url: str) -> None:
    """Add one upload to the record (best effort: a record that cannot be written only costs a re-upload)."""
    if path is None:
        return
    entries = recall(path) | {name: url}
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entries, out)
        os.replace(temp, path)
    except OSError:
        return
