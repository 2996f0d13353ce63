"""Resolve user-given paths and globs inside the workspace, refusing anything that escapes it.

A pull request from a fork controls the repository's files, so a path (or a symlink along it) that points out of
the workspace — `/proc/self/environ`, `~/.ssh/id_rsa` — must never be read and published.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cml_action.errors import InputError

_GLOB_CHARS = set("*?[")
MAX_TEXT_BYTES = 8 * 1024 * 1024  # a report or metrics file larger than this is a mistake, not a report


def inside(workspace: Path, path: Path) -> bool:
    """True when `path`, with every symlink resolved, lies within the (resolved) workspace."""
    try:
        path.resolve(strict=True).relative_to(workspace.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _display(workspace: Path, path: Path) -> str:
    try:
        return str(path.relative_to(workspace))
    except ValueError:
        return str(path)


def _glob(workspace: Path, pattern: str) -> list[Path]:
    """Sorted matches of a glob. pathlib's `**` does not descend into symlinked directories, so a link loop
    (`loop -> .`) or a link to `/` cannot make a glob endless or walk out of the workspace; hidden files match
    only when the pattern names a hidden part, like shell globs."""
    candidate = Path(pattern)
    root = Path(candidate.anchor) if candidate.is_absolute() else workspace
    relative = candidate.relative_to(root) if candidate.is_absolute() else candidate
    hidden_ok = any(part.startswith(".") and part not in (".", "..") for part in relative.parts)
    found = []
    for path in root.glob(str(relative)):
        parts = path.relative_to(root).parts
        if hidden_ok or not any(part.startswith(".") for part in parts):
            found.append(path)
    return sorted(found)


def resolve_one(workspace: Path, pattern: str, input_name: str, *, must_exist: bool = True) -> Path:
    """A single path (no globs) inside the workspace."""
    candidate = Path(pattern)
    path = candidate if candidate.is_absolute() else workspace / candidate
    if not path.exists() and not path.is_symlink():
        if must_exist:
            raise InputError(input_name, f"'{pattern}' does not exist", "check the path (relative to the workspace)")
        return path
    if not inside(workspace, path):
        raise InputError(
            input_name,
            f"'{pattern}' points outside the workspace",
            "only files inside the repository checkout can be used (symlinks out of it are refused)",
        )
    return path


def resolve_paths(workspace: Path, patterns: Sequence[str], input_name: str) -> tuple[Path, ...]:
    """Expand each entry (a path or a glob, sorted) to existing files inside the workspace, in order, once each."""
    found: list[Path] = []
    for pattern in patterns:
        if _GLOB_CHARS & set(pattern):
            matches = _glob(workspace, pattern)
            if not matches:
                raise InputError(input_name, f"the glob '{pattern}' matches no file", "check the pattern")
            paths = [resolve_one(workspace, _display(workspace, match), input_name) for match in matches]
            paths = [path for path in paths if path.is_file()]
        else:
            path = resolve_one(workspace, pattern, input_name)
            if path.is_dir():
                raise InputError(
                    input_name, f"'{pattern}' is a directory", "name the files, or use a glob like dir/*.png"
                )
            paths = [path]
        for path in paths:
            if path not in found:
                found.append(path)
    return tuple(found)


def read_text(path: Path, input_name: str, workspace: Path) -> str:
    """Read a user text file (report, metrics) with clear errors for binary, huge or undecodable files."""
    shown = _display(workspace, path)
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise InputError(input_name, f"'{shown}' is {size // 1048576} MiB", "text inputs are limited to 8 MiB")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(input_name, f"'{shown}' is a binary file", "give a text (UTF-8) file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(input_name, f"'{shown}' is not UTF-8 (byte {exc.start})", "save the file as UTF-8") from None


def relative_to_repo(workspace: Path, path: Path) -> str:
    """POSIX path relative to the workspace, for `git show REV:path` and for display."""
    return path.resolve().relative_to(workspace.resolve()).as_posix()
