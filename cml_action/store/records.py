"""The results store on a `BranchFiles`: record a run, read a branch's index, a run, a group.

Request counts (one `read` is one request on every forge): a run reads one index (trends, the previous run of a
pull request) and at most one run document (a stored baseline); recording is one `update` (its reads plus one
commit). docs/store.md lists them per forge.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from cml_action.store import layout
from cml_action.store.branch import BranchFiles, Read
from cml_action.store.model import GroupDoc, IndexEntry, StoreDataError, StoredRun, index_from_json, index_to_json

DEFAULT_HISTORY = 100


def encode(document: dict[str, object]) -> bytes:
    # Sorted and indented: a stored document diffs well in the forge's UI and is the same bytes for the same data.
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _decode(raw: bytes | None) -> object:
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


@dataclass(frozen=True)
class GroupView:
    """A group's state as one job read it."""

    revision: int
    members: dict[str, StoredRun]
    comment_id: str


class ResultStore:
    def __init__(self, files: BranchFiles, *, history: int = DEFAULT_HISTORY) -> None:
        self._files = files
        self._history = max(1, history)

    # --- reads (untrusted: a document that does not fit reads as absent) ---

    def index(self, key: str, index_name: str) -> list[IndexEntry]:
        """The runs recorded on a branch (or pull request), oldest first."""
        return _index_in(self._files.read, layout.index_path(key, index_name))

    def run(self, key: str, head_sha: str) -> StoredRun | None:
        data = _decode(self._files.read(layout.run_path(key, head_sha)))
        try:
            run = StoredRun.from_json(data) if data is not None else None
        except StoreDataError:
            return None
        # A document under another key's or commit's name is not this run's (a hand-edited branch).
        return run if run is not None and run.key == key and run.head_sha == head_sha else None

    def group(self, group: str, head_sha: str) -> GroupView:
        doc = _group_in(self._files.read, layout.group_path(group, head_sha))
        return GroupView(doc.revision, dict(doc.members), doc.comment_id)

    # --- writes (each one compare-and-swap update) ---

    def record(self, run: StoredRun, index_name: str) -> None:
        """The run's document, and its entry at the end of the branch's index (a re-run of the same commit
        replaces its entry; the oldest entries beyond `history` leave the index, never git history)."""
        index_file = layout.index_path(run.key, index_name)
        history = self._history

        def change(read: Read) -> dict[str, bytes]:
            entries = [entry for entry in _index_in(read, index_file) if entry.head_sha != run.head_sha]
            entries = [*entries, run.entry()][-history:]
            return {layout.run_path(run.key, run.head_sha): encode(run.to_json()),
                    index_file: encode(index_to_json(entries))}  # fmt: skip

        self._files.update(f"cml-action: record {run.key} at {run.head_sha[:7]}", change)

    def join_group(self, group: str, run: StoredRun) -> GroupView:
        """Put this job's run in its group (replacing its own earlier one: a re-run) and return the group as
        written: every member any job wrote before this write landed, and this write's revision."""
        return self._update_group(group, run.head_sha, f"join {run.key}", lambda doc: replace(
            doc, members={**doc.members, run.key: run}))  # fmt: skip

    def claim_group_comment(self, group: str, head_sha: str, comment_id: str, *, replacing: str = "") -> GroupView:
        """Name the group's comment, unless another job named one first: the returned view says which won.
        `replacing`: the named comment is gone (deleted by hand), so it may be replaced, once, by the first job."""
        return self._update_group(group, head_sha, "comment", lambda doc: doc if doc.comment_id not in (
            "", replacing) else replace(doc, comment_id=comment_id))  # fmt: skip

    def _update_group(self, group: str, head_sha: str, what: str, edit: Callable[[GroupDoc], GroupDoc]) -> GroupView:
        path = layout.group_path(group, head_sha)
        written: list[GroupDoc] = []

        def change(read: Read) -> dict[str, bytes]:
            written.clear()
            now = _group_in(read, path)
            edited = edit(now)
            if edited == now:  # nothing to write (the comment was claimed already)
                written.append(now)
                return {}
            edited = replace(edited, revision=now.revision + 1)
            written.append(edited)
            return {path: encode(edited.to_json())}

        self._files.update(f"cml-action: group {group} at {head_sha[:7]}: {what}", change)
        doc = written[-1]
        return GroupView(doc.revision, dict(doc.members), doc.comment_id)


def _index_in(read: Read, path: str) -> list[IndexEntry]:
    data = _decode(read(path))
    if data is None:
        return []
    try:
        return index_from_json(data)
    except StoreDataError:
        return []


def _group_in(read: Read, path: str) -> GroupDoc:
    data = _decode(read(path))
    if data is None:
        return GroupDoc()
    try:
        return GroupDoc.from_json(data)
    except StoreDataError:
        return GroupDoc()
