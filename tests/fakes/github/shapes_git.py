"""Response bodies for the Git Data API and ``GET /repos/{o}/{r}/commits/{ref}``."""

from __future__ import annotations

import zlib
from typing import Any

from .gitstore import GitCommit, Person
from .routing import Ctx
from .shapes import repo_api, repo_html
from .state import Repo, node_id


def blob(ctx: Ctx, repo: Repo, sha: str, content_b64: str, size: int) -> dict[str, Any]:
    return {
        "sha": sha,
        "node_id": node_id("Blob", int(sha[:8], 16)),
        "size": size,
        "url": f"{repo_api(ctx, repo)}/git/blobs/{sha}",
        "content": content_b64,
        "encoding": "base64",
    }


def short_blob(ctx: Ctx, repo: Repo, sha: str) -> dict[str, Any]:
    return {"url": f"{repo_api(ctx, repo)}/git/blobs/{sha}", "sha": sha}


def tree(ctx: Ctx, repo: Repo, sha: str, recursive: bool) -> dict[str, Any]:
    listing = repo.git.walk(sha) if recursive else [(e.name, e) for e in repo.git.trees[sha]]
    entries = []
    for path, entry in listing:
        item: dict[str, Any] = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        if entry.type == "blob":
            item["size"] = len(repo.git.blobs.get(entry.sha, b""))
        item["url"] = f"{repo_api(ctx, repo)}/git/{entry.type}s/{entry.sha}"
        entries.append(item)
    return {"sha": sha, "url": f"{repo_api(ctx, repo)}/git/trees/{sha}", "tree": entries, "truncated": False}


def _person(person: Person) -> dict[str, Any]:
    return {"name": person.name, "email": person.email, "date": person.date}


def _parent(ctx: Ctx, repo: Repo, sha: str, kind: str) -> dict[str, Any]:
    return {
        "sha": sha,
        "url": f"{repo_api(ctx, repo)}/{kind}/{sha}",
        "html_url": f"{repo_html(ctx, repo)}/commit/{sha}",
    }


VERIFICATION = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}


def git_commit(ctx: Ctx, repo: Repo, commit: GitCommit) -> dict[str, Any]:
    return {
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "url": f"{repo_api(ctx, repo)}/git/commits/{commit.sha}",
        "html_url": f"{repo_html(ctx, repo)}/commit/{commit.sha}",
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "message": commit.message,
        "tree": {"sha": commit.tree, "url": f"{repo_api(ctx, repo)}/git/trees/{commit.tree}"},
        "parents": [_parent(ctx, repo, p, "git/commits") for p in commit.parents],
        "verification": dict(VERIFICATION),
    }


def commit(ctx: Ctx, repo: Repo, commit: GitCommit) -> dict[str, Any]:
    api = f"{repo_api(ctx, repo)}/commits/{commit.sha}"
    inner = git_commit(ctx, repo, commit)
    return {
        "sha": commit.sha,
        "node_id": inner["node_id"],
        "url": api,
        "html_url": inner["html_url"],
        "comments_url": f"{api}/comments",
        "commit": {
            "url": inner["url"],
            "author": inner["author"],
            "committer": inner["committer"],
            "message": commit.message,
            "tree": inner["tree"],
            "comment_count": sum(1 for c in repo.commit_comments.values() if c.commit_id == commit.sha),
            "verification": inner["verification"],
        },
        "author": None,  # git identities in the fake are not linked to GitHub accounts
        "committer": None,
        "parents": [_parent(ctx, repo, p, "commits") for p in commit.parents],
        "stats": {"additions": 0, "deletions": 0, "total": 0},
        "files": [],
    }


def git_ref(ctx: Ctx, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    return {
        "ref": f"refs/{name}",
        "node_id": node_id("Ref", zlib.crc32(name.encode())),
        "url": f"{repo_api(ctx, repo)}/git/refs/{name}",
        "object": {"sha": sha, "type": "commit", "url": f"{repo_api(ctx, repo)}/git/commits/{sha}"},
    }
