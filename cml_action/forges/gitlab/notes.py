"""Where a GitLab report lives: MR/issue notes, or a commit discussion (plain commit comments cannot be edited).

Each store lists every user note (all pages, per_page=100, oldest first) and creates, updates and deletes one
note; `NoteRef` is the same shape for both so the sticky logic in `gitlab.py` does not care which it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

PER_PAGE = 100  # GitLab's maximum page size


@dataclass(frozen=True)
class NoteRef:
    note_id: int
    body: str
    author_id: int | None
    discussion_id: str = ""  # commit discussions: the thread the note opens


class NoteStore(Protocol):
    where: str  # "MR !12", "issue #3", "commit 1a2b3c4d"
    web_url: str  # page the notes are on; a note's anchor is #note_<id>

    def list(self) -> Sequence[NoteRef]: ...

    def create(self, body: str) -> NoteRef: ...

    def update(self, note: NoteRef, body: str) -> NoteRef: ...

    def delete(self, note: NoteRef) -> None: ...


def _author_id(author: Any) -> int | None:
    if isinstance(author, dict) and isinstance(author.get("id"), int):
        return int(author["id"])
    return None


def _ref(data: dict[str, Any], discussion_id: str = "") -> NoteRef:
    return NoteRef(int(data["id"]), str(data.get("body") or ""), _author_id(data.get("author")), discussion_id)


class NotesStore:
    """Notes of a merge request or an issue (`manager` is `mr.notes` / `issue.notes`)."""

    def __init__(self, manager: Any, where: str, web_url: str) -> None:
        self._manager = manager
        self.where = where
        self.web_url = web_url

    def list(self) -> Sequence[NoteRef]:
        found = self._manager.list(iterator=True, per_page=PER_PAGE, sort="asc", order_by="created_at")
        return [_ref(note.asdict()) for note in found if not getattr(note, "system", False)]

    def create(self, body: str) -> NoteRef:
        return _ref(self._manager.create({"body": body}).asdict())

    def update(self, note: NoteRef, body: str) -> NoteRef:
        return _ref(self._manager.update(note.note_id, {"body": body}))

    def delete(self, note: NoteRef) -> None:
        self._manager.delete(note.note_id)


class CommitDiscussionStore:
    """Commit discussions; our report is the first note of its own discussion (`manager`: `commit.discussions`)."""

    def __init__(self, manager: Any, where: str, web_url: str) -> None:
        self._manager = manager
        self.where = where
        self.web_url = web_url

    def list(self) -> Sequence[NoteRef]:
        refs: list[NoteRef] = []
        for discussion in self._manager.list(iterator=True, per_page=PER_PAGE):
            notes = discussion.asdict().get("notes") or []
            if notes and not notes[0].get("system", False):
                refs.append(_ref(notes[0], str(discussion.id)))
        return refs

    def create(self, body: str) -> NoteRef:
        discussion = self._manager.create({"body": body})
        return _ref(discussion.asdict()["notes"][0], str(discussion.id))

    def update(self, note: NoteRef, body: str) -> NoteRef:
        notes = self._manager.get(note.discussion_id, lazy=True).notes
        return _ref(notes.update(note.note_id, {"body": body}), note.discussion_id)

    def delete(self, note: NoteRef) -> None:
        # Deleting the only note of a discussion removes the discussion.
        self._manager.get(note.discussion_id, lazy=True).notes.delete(note.note_id)


def neutralise_quick_actions(body: str) -> str:
    """Escape lines GitLab would run as quick actions (`/merge`, `/close`, `/approve` …) when the note is saved.

    GitLab executes a note line that starts with `/command` outside code blocks, as the token's user. Report text
    comes from the repository (a merge request controls it), so such lines get a backslash: CommonMark renders
    `\\/close` as `/close`, and the quick-action parser no longer matches it. Lines inside fences stay as they are.
    """
    out: list[str] = []
    fence = ""
    for line in body.split("\n"):
        stripped = line.lstrip(" ")
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if not fence:
                fence = marker
            elif marker == fence:
                fence = ""
        elif not fence and stripped.startswith("/") and stripped[1:2].isalpha():
            line = line[: len(line) - len(stripped)] + "\\" + stripped
        out.append(line)
    return "\n".join(out)
