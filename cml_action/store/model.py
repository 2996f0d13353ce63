"""The store's documents. Everything read back is untrusted (any job with a write token can write the branch):
`from_json` validates shapes and types, and a document that does not fit is treated as absent, never trusted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1  # bumped when a reader of an older format could misread a newer document
Scalar = float | int | str | bool | None
FlatValues = Mapping[str, Mapping[str, Scalar]]  # file -> flattened key -> value (as the metrics table reads)


class StoreDataError(ValueError):
    """A stored document is not what this version wrote."""


@dataclass(frozen=True)
class StoredRun:
    """One run's results for one key: what the report showed, nothing more."""

    key: str
    head_sha: str
    time: str  # ISO 8601, UTC
    branch: str = ""
    event: str = ""
    pr_number: int | None = None
    run_id: str = ""
    run_url: str = ""
    metrics: FlatValues = field(default_factory=dict)
    params: FlatValues = field(default_factory=dict)
    plots: Mapping[str, list[dict[str, Scalar]]] = field(default_factory=dict)  # plot id -> rows
    section: str = ""  # the report's markdown for this key (a group comment shows it)
    gates: str = ""  # the gates' verdict in a few words ("1 gate tripped"); "" without gates
    blocking: bool = False  # the gates failed (a group's summary marks the job)
    check_url: str = ""
    baseline_metrics: FlatValues = field(default_factory=dict)  # the baseline's values (a group's summary)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **{name: getattr(self, name) for name in _RUN_FIELDS}}

    @classmethod
    def from_json(cls, data: object) -> StoredRun:
        fields = _document(data)
        return cls(
            key=_text(fields, "key", required=True),
            head_sha=_sha(fields, "head_sha"),
            time=_text(fields, "time", required=True),
            branch=_text(fields, "branch"),
            event=_text(fields, "event"),
            pr_number=_optional_int(fields, "pr_number"),
            run_id=_text(fields, "run_id"),
            run_url=_text(fields, "run_url"),
            metrics=_flat_values(fields, "metrics"),
            params=_flat_values(fields, "params"),
            plots=_plots(fields),
            section=_text(fields, "section"),
            gates=_text(fields, "gates"),
            blocking=fields.get("blocking") is True,
            check_url=_text(fields, "check_url"),
            baseline_metrics=_flat_values(fields, "baseline_metrics"),
        )

    def entry(self) -> IndexEntry:
        return IndexEntry(self.head_sha, self.time, self.run_id, self.run_url, self.metrics)


_RUN_FIELDS = ("key", "head_sha", "time", "branch", "event", "pr_number", "run_id", "run_url", "metrics", "params",
               "plots", "section", "gates", "blocking", "check_url", "baseline_metrics")  # fmt: skip


@dataclass(frozen=True)
class IndexEntry:
    """A run in a branch's index: enough for trends and to find the run's document (by key and sha)."""

    head_sha: str
    time: str
    run_id: str = ""
    run_url: str = ""
    metrics: FlatValues = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"head_sha": self.head_sha, "time": self.time, "run_id": self.run_id, "run_url": self.run_url,
                "metrics": self.metrics}  # fmt: skip

    @classmethod
    def from_json(cls, data: object) -> IndexEntry:
        if not isinstance(data, dict):
            raise StoreDataError("an index entry is not an object")
        return cls(_sha(data, "head_sha"), _text(data, "time", required=True), _text(data, "run_id"),
                   _text(data, "run_url"), _flat_values(data, "metrics"))  # fmt: skip


def index_to_json(entries: list[IndexEntry]) -> dict[str, Any]:
    return {"format": FORMAT, "entries": [entry.to_json() for entry in entries]}


def index_from_json(data: object) -> list[IndexEntry]:
    """Entries oldest first; entries that do not fit are skipped (one bad entry must not hide the others)."""
    fields = _document(data)
    raw = fields.get("entries")
    if not isinstance(raw, list):
        raise StoreDataError("the index has no entries list")
    entries = []
    for item in raw:
        try:
            entries.append(IndexEntry.from_json(item))
        except StoreDataError:
            continue
    return entries


@dataclass(frozen=True)
class GroupDoc:
    """The members of a group for one head sha. `revision` grows with every write, so a job can tell whether
    the group changed since it rendered the comment."""

    revision: int = 0
    members: Mapping[str, StoredRun] = field(default_factory=dict)  # key -> that job's run
    comment_id: str = ""  # the group's comment, once one job created it (the others update it)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "revision": self.revision, "comment_id": self.comment_id,
                "members": {key: run.to_json() for key, run in sorted(self.members.items())}}  # fmt: skip

    @classmethod
    def from_json(cls, data: object) -> GroupDoc:
        fields = _document(data)
        revision = fields.get("revision")
        members = fields.get("members")
        if not isinstance(revision, int) or isinstance(revision, bool) or not isinstance(members, dict):
            raise StoreDataError("the group document has no revision or members")
        parsed = {}
        for key, run in members.items():
            try:
                parsed[str(key)] = StoredRun.from_json(run)
            except StoreDataError:  # one bad member must not hide the others
                continue
        return cls(revision, parsed, _text(fields, "comment_id"))


def _document(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise StoreDataError("not a JSON object")
    version = data.get("format")
    if not isinstance(version, int) or version < 1 or version > FORMAT:
        raise StoreDataError(f"format {version!r} is not one this version reads (1..{FORMAT})")
    return data


def _text(fields: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = fields.get(name, "")
    if not isinstance(value, str) or (required and not value):
        raise StoreDataError(f"'{name}' is not a string")
    return value


def _sha(fields: Mapping[str, Any], name: str) -> str:
    value = _text(fields, name, required=True)
    if not (7 <= len(value) <= 64 and all(char in "0123456789abcdef" for char in value)):
        raise StoreDataError(f"'{name}' is not a commit sha")
    return value


def _optional_int(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise StoreDataError(f"'{name}' is not a number")
    return value


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _flat_values(fields: Mapping[str, Any], name: str) -> dict[str, dict[str, Scalar]]:
    raw = fields.get(name, {})
    if not isinstance(raw, dict):
        raise StoreDataError(f"'{name}' is not an object")
    out: dict[str, dict[str, Scalar]] = {}
    for file, values in raw.items():
        if not isinstance(file, str) or not isinstance(values, dict):
            raise StoreDataError(f"'{name}' does not map files to values")
        out[file] = {str(key): value for key, value in values.items() if _is_scalar(value)}
    return out


def _plots(fields: Mapping[str, Any]) -> dict[str, list[dict[str, Scalar]]]:
    raw = fields.get("plots", {})
    if not isinstance(raw, dict):
        raise StoreDataError("'plots' is not an object")
    out: dict[str, list[dict[str, Scalar]]] = {}
    for plot, rows in raw.items():
        if not isinstance(plot, str) or not isinstance(rows, list):
            raise StoreDataError("'plots' does not map plot ids to rows")
        out[plot] = [
            {str(column): value for column, value in row.items() if _is_scalar(value)}
            for row in rows
            if isinstance(row, dict)
        ]
    return out
