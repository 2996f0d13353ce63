"""Git objects with real SHA-1s (blob/tree/commit hashed exactly as ``git hash-object`` does)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

BLOB_MODE = "100644"
TREE_MODE = "040000"
FILE_MODES = ("100644", "100755", "120000")


@dataclass(frozen=True)
class TreeEntry:
    name: str
    mode: str  # as the API spells it: "100644", "100755", "040000", "120000", "160000"
    type: str  # "blob" | "tree" | "commit"
    sha: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str  # ISO 8601, e.g. 2026-12-01T10:00:00Z
    timestamp: int


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person


def hash_object(kind: str, content: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(content)}\0".encode() + content).hexdigest()


def _tree_sort_key(entry: TreeEntry) -> bytes:
    # git sorts tree entries by name, comparing a sub-tree's name as if it ended with "/".
    suffix = "/" if entry.type == "tree" else ""
    return (entry.name + suffix).encode()


def serialize_tree(entries: list[TreeEntry]) -> bytes:
    out = b""
    for entry in sorted(entries, key=_tree_sort_key):
        mode = entry.mode.lstrip("0") or "0"  # git writes "40000", the API shows "040000"
        out += f"{mode} {entry.name}".encode() + b"\0" + bytes.fromhex(entry.sha)
    return out


def serialize_commit(tree: str, parents: tuple[str, ...], message: str, author: Person, committer: Person) -> bytes:
    lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
    lines.append(f"author {author.name} <{author.email}> {author.timestamp} +0000")
    lines.append(f"committer {committer.name} <{committer.email}> {committer.timestamp} +0000")
    return ("\n".join(lines) + "\n\n" + message).encode()


class GitStore:
    """One repository's object database. Not locked itself: callers hold the fake's state lock."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, tuple[TreeEntry, ...]] = {}
        self.commits: dict[str, GitCommit] = {}

    def put_blob(self, content: bytes) -> str:
        sha = hash_object("blob", content)
        self.blobs[sha] = content
        return sha

    def put_tree(self, entries: list[TreeEntry]) -> str:
        sha = hash_object("tree", serialize_tree(entries))
        self.trees[sha] = tuple(sorted(entries, key=_tree_sort_key))
        return sha

    def put_commit(
        self, tree: str, parents: tuple[str, ...], message: str, author: Person, committer: Person
    ) -> GitCommit:
        sha = hash_object("commit", serialize_commit(tree, parents, message, author, committer))
        commit = GitCommit(sha, tree, parents, message, author, committer)
        self.commits[sha] = commit
        return commit

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, TreeEntry]:
        """Every non-tree entry below ``tree_sha``, keyed by its full path."""
        files: dict[str, TreeEntry] = {}
        for entry in self.trees[tree_sha]:
            path = prefix + entry.name
            if entry.type == "tree":
                files.update(self.flatten(entry.sha, path + "/"))
            else:
                files[path] = entry
        return files

    def walk(self, tree_sha: str, prefix: str = "") -> list[tuple[str, TreeEntry]]:
        """Every entry (trees included) below ``tree_sha`` in git's recursive listing order."""
        listing: list[tuple[str, TreeEntry]] = []
        for entry in self.trees[tree_sha]:
            path = prefix + entry.name
            listing.append((path, entry))
            if entry.type == "tree":
                listing.extend(self.walk(entry.sha, path + "/"))
        return listing

    def build_tree(self, files: dict[str, TreeEntry]) -> str:
        """Write nested trees for ``files`` (full path → leaf entry) and return the root tree's sha."""
        direct: list[TreeEntry] = []
        subdirs: dict[str, dict[str, TreeEntry]] = {}
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                subdirs.setdefault(head, {})[rest] = entry
            else:
                direct.append(TreeEntry(head, entry.mode, entry.type, entry.sha))
        for name, children in subdirs.items():
            direct.append(TreeEntry(name, TREE_MODE, "tree", self.build_tree(children)))
        return self.put_tree(direct)

    def tree_from_files(self, contents: dict[str, bytes]) -> str:
        leaves = {path: TreeEntry(path, BLOB_MODE, "blob", self.put_blob(data)) for path, data in contents.items()}
        return self.build_tree(leaves)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        pending, seen = [descendant], set()
        while pending:
            sha = pending.pop()
            if sha == ancestor:
                return True
            if sha in seen or sha not in self.commits:
                continue
            seen.add(sha)
            pending.extend(self.commits[sha].parents)
        return False
