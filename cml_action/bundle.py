"""The report bundle of a fork PR run: written by the read-only PR run, published later by a `workflow_run` job.

Layout (the folder the `bundle` output names, uploaded with actions/upload-artifact):

    report.md          the report's body (text, images, tables, warnings), images linked as images/<file>
    images/<file>      the report's images (png, jpg, gif, webp, svg)
    cml-bundle.json    {"version", "repository", "pull_request", "head_sha", "baseline_sha", "key", "title"}

A fork controls everything in it, so reading it back trusts nothing: the zip is size-capped before and while it is
unpacked, only those names are accepted (no folders but images/, no `..`, no absolute paths, no symlinks or other
special files), every field of the metadata is checked for type and shape, and the caller checks the metadata
against the workflow run GitHub describes (repository, PR, head sha).
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cml_action.errors import CmlError

METADATA = "cml-bundle.json"
REPORT = "report.md"
FORMAT_VERSION = 1
MAX_ZIP_BYTES = 25 * 1024 * 1024  # what we download at most
MAX_FILE_BYTES = 10 * 1024 * 1024  # one unpacked file
MAX_TOTAL_BYTES = 50 * 1024 * 1024  # all unpacked files
MAX_REPORT_BYTES = 1024 * 1024  # the comment holds 65536 characters; the text is fitted like any report
MAX_ENTRIES = 120
IMAGE_NAME = re.compile(r"images/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(?:png|jpe?g|gif|webp|svg)")
SHA = re.compile(r"[0-9a-f]{40}")
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/:@+-]{0,99}")
REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class BundleMeta:
    repository: str
    pull_request: int
    head_sha: str
    baseline_sha: str  # "" without a baseline
    key: str
    title: str

    def as_json(self) -> str:
        fields = {"version": FORMAT_VERSION, **self.__dict__}
        return json.dumps(fields, indent=1, sort_keys=True) + "\n"


def write_bundle(folder: Path, body: str, images: Path, meta: BundleMeta) -> Path:
    """Write the bundle into `folder` (replacing an older one); images/ is copied from `images` when present."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / REPORT).write_text(body, encoding="utf-8")
    (folder / METADATA).write_text(meta.as_json(), encoding="utf-8")
    if images.is_dir():
        shutil.copytree(images, folder / "images", symlinks=False)
    return folder


class BundleError(CmlError):
    """The bundle is not one cml-action wrote: nothing is published."""


def unpack(archive: Path, dest: Path) -> BundleMeta:
    """Unpack an untrusted bundle zip into `dest` (empty) and return its checked metadata."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            entries = zipped.infolist()
            if len(entries) > MAX_ENTRIES:
                raise BundleError(f"the report bundle has {len(entries)} entries (at most {MAX_ENTRIES})")
            total = 0
            for entry in entries:
                total += _check_entry(entry)
                if total > MAX_TOTAL_BYTES:
                    raise BundleError(f"the report bundle unpacks to over {MAX_TOTAL_BYTES // 2**20} MiB")
            for entry in entries:
                if not entry.is_dir():
                    _extract(zipped, entry, dest)
    except zipfile.BadZipFile as exc:
        raise BundleError(f"the report bundle is not a zip file ({exc})") from None
    if not (dest / REPORT).is_file() or not (dest / METADATA).is_file():
        raise BundleError(f"the report bundle lacks {REPORT} or {METADATA} (was it written by cml-action?)")
    return parse_meta((dest / METADATA).read_text(encoding="utf-8", errors="replace"))


def _check_entry(entry: zipfile.ZipInfo) -> int:
    name = entry.filename
    mode = entry.external_attr >> 16
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise BundleError(f"the report bundle's entry '{_shown(name)}' is a symlink or special file: refused")
    if entry.is_dir():
        if name.rstrip("/") != "images":
            raise BundleError(f"the report bundle's folder '{_shown(name)}' is not images/: refused")
        return 0
    if name not in (REPORT, METADATA) and not IMAGE_NAME.fullmatch(name):
        raise BundleError(
            f"the report bundle's entry '{_shown(name)}' is not {REPORT}, {METADATA} or an image in images/: refused"
        )
    limit = MAX_REPORT_BYTES if name == REPORT else MAX_FILE_BYTES
    if entry.file_size > limit:
        raise BundleError(f"the report bundle's '{name}' is {entry.file_size} bytes (at most {limit})")
    return entry.file_size


def _extract(zipped: zipfile.ZipFile, entry: zipfile.ZipInfo, dest: Path) -> None:
    """Copy one checked entry, never more bytes than its header declared (a lying header cannot inflate it)."""
    target = dest / entry.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = entry.file_size
    try:
        with zipped.open(entry) as source, open(target, "xb") as out:
            data = source.read(limit + 1)
            if len(data) > limit:
                raise BundleError(f"the report bundle's '{entry.filename}' is larger than its zip header says")
            out.write(data)
    except FileExistsError:
        raise BundleError(f"the report bundle holds '{entry.filename}' twice: refused") from None


def _shown(name: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in name)[:200]


def parse_meta(text: str) -> BundleMeta:
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise BundleError(f"the report bundle's {METADATA} is not JSON") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise BundleError(f"the report bundle's {METADATA} is not version {FORMAT_VERSION} of the bundle format")
    number = data.get("pull_request")
    fields = {
        "repository": _field(data, "repository", REPO),
        "head_sha": _field(data, "head_sha", SHA),
        "baseline_sha": _field(data, "baseline_sha", SHA, optional=True),
        "key": _field(data, "key", KEY),
    }
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**31:
        raise BundleError(f"the report bundle's pull_request is not a PR number ({METADATA})")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200 or not title.isprintable():
        raise BundleError("the report bundle's title is not one printable line of at most 200 characters")
    return BundleMeta(pull_request=number, title=title, **fields)


def _field(data: dict[str, Any], name: str, shape: re.Pattern[str], *, optional: bool = False) -> str:
    value = data.get(name)
    if optional and value in ("", None):
        return ""
    if not isinstance(value, str) or not shape.fullmatch(value):
        raise BundleError(f"the report bundle's {name} is missing or malformed ({METADATA})")
    return value
