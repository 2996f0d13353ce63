"""The results store's branch on GitHub (docs/store.md): the assets branch, written by the one branch writer.

`read(path)` is `GET /repos/{o}/{r}/contents/{path}?ref=<branch>`: one request, with the file's bytes in the answer
(404: no such file, or no branch yet). Reading the blob through the tree would cost three (the ref, the tree, the
blob). A file over 1 MB comes without content (`encoding: none`); its blob is then fetched by the sha the answer
names, a second request (the store's documents are a few kB).

`update` reads the tip (`GET /commits/{branch}`: its commit and tree in one request; the store never lists the
tree), runs `change` with reads pinned to the tip's commit (`ref=<commit sha>`, one request per file, consistent
with the tip however the branch moves meanwhile), then writes one tree carrying the changed files' text inline (no
blob requests), one commit whose only parent is the tip, and moves the ref without force: 4 requests plus the
reads (a record: 5), and all of them again per lost race.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from cml_action.errors import PublishError
from cml_action.forges.github.branch import BLOB_MODE, BranchTip, BranchWriter
from cml_action.forges.github.rest import ApiError, NotGitHubShape, RestError, sha_in
from cml_action.store.branch import Change, Read

T = TypeVar("T")


class GitHubStoreBranch:
    def __init__(self, writer: BranchWriter, describe: Callable[[RestError], str]) -> None:
        self._writer = writer
        self._describe = describe  # a failure as one line naming the fix (the token's permission)

    def read(self, path: str) -> bytes | None:
        return self._guard(lambda: self._read_at(path, self._writer.branch))

    def update(self, message: str, change: Change) -> None:
        def build(tip: BranchTip | None) -> tuple[str, list[dict[str, Any]]] | None:
            changed = change(self._reader(tip))
            if not changed:
                return None
            return message, [self._entry(path, data) for path, data in sorted(changed.items())]

        self._guard(lambda: self._writer.write(build, recursive=False))

    def _reader(self, tip: BranchTip | None) -> Read:
        seen: dict[str, bytes | None] = {}

        def read(path: str) -> bytes | None:
            if tip is None:
                return None
            if path not in seen:
                seen[path] = self._read_at(path, tip.commit)
            return seen[path]

        return read

    def _read_at(self, path: str, ref: str) -> bytes | None:
        writer = self._writer

        def fetch() -> bytes | None:
            try:
                found = writer.request("GET", f"/contents/{quote(path, safe='/')}", query={"ref": ref})
            except ApiError as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(found, Mapping) or found.get("type") != "file":
                return None  # a folder or a link where a document should be: not ours, reads as absent
            if found.get("encoding") == "base64":
                return _decoded(found)
            return _decoded(writer.request("GET", f"/git/blobs/{sha_in(found, 'sha')}"))

        return writer.retrier.read(writer.what, fetch)

    def _entry(self, path: str, data: bytes) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": path, "mode": BLOB_MODE, "type": "blob"}
        try:
            return entry | {"content": data.decode("utf-8")}  # text inline: no blob request
        except UnicodeDecodeError:
            body = {"content": base64.b64encode(data).decode("ascii"), "encoding": "base64"}
            blob = self._writer.retrier.read(self._writer.what, lambda: self._writer.request(
                "POST", "/git/blobs", body=body))  # fmt: skip
            return entry | {"sha": sha_in(blob, "sha")}

    def _guard(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except RestError as exc:
            raise PublishError(self._describe(exc)) from None


def _decoded(answer: object) -> bytes:
    """The base64 `content` of a contents or blob answer."""
    content = answer.get("content") if isinstance(answer, Mapping) else None
    try:
        return base64.b64decode(str(content or ""))
    except binascii.Error:
        raise NotGitHubShape("the answer's content is not base64 (check GITHUB_API_URL)") from None
