"""Resolve user-given paths and globs inside the workspace, refusing anything that escapes it.

A pull request from a fork controls the repository's files, so a path (or a symlink along it) that points out of
the workspace — `/proc/self/environ`, `~/.ssh/id_rsa` — must never be read and published.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cml_action.errors import InputError

_GLOB_CHARS = set("*?[")
MIB = 1024 * 1024
MAX_TEXT_BYTES = 8 * MIB  # a report or metrics file larger than this is a mistake, not a report


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


# The one rule for every file we read for a user (inputs, images a report references, `cml-publish FILE`), and its
# words: a path or symlink leading out of the workspace is never read.
OUTSIDE = "points outside the workspace"
OUTSIDE_FIX = "only files inside the repository checkout can be used (symlinks out of it are refused)"


def points_outside(workspace: Path, path: Path) -> bool:
    """True when `path` leads out of the workspace, by its words and by the symlinks on its way, whether or not
    the file it leads to exists: the answer tells nothing about files outside."""
    import os

    try:
        Path(os.path.realpath(path)).relative_to(workspace.resolve())
    except (ValueError, OSError):
        return True
    return False


def resolve_one(workspace: Path, pattern: str, input_name: str, *, must_exist: bool = True) -> Path:
    """A single path (no globs) inside the workspace."""
    candidate = Path(pattern)
    path = candidate if candidate.is_absolute() else workspace / candidate
    if not path.exists() and not path.is_symlink():
        if must_exist:
            raise InputError(input_name, f"'{pattern}' does not exist", "check the path (relative to the workspace)")
        return path
    if not inside(workspace, path):
        raise InputError(input_name, f"'{pattern}' {OUTSIDE}", OUTSIDE_FIX)
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


class UnreadableFile(Exception):
    """A file that is not read: not a regular file, too large, or refused by the OS. `problem` completes
    "'name' …" in one line, so each caller can name its input."""

    def __init__(self, problem: str, fix: str, *, too_large: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.too_large = too_large


_NOT_REGULAR_FIX = "give a regular file"
_OS_FIX = "check that the file is readable"


def _not_regular(mode: int) -> UnreadableFile:
    return UnreadableFile(f"is {_kind(mode)}, not a regular file", _NOT_REGULAR_FIX)


def _os_error(exc: OSError) -> UnreadableFile:
    return UnreadableFile(f"cannot be read ({exc.strerror or type(exc).__name__})", _OS_FIX)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _mib(size: int) -> str:
    return f"{size / MIB:.0f} MiB" if size >= MIB else f"{size} bytes"


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A FIFO would block forever and a device such as
    /dev/zero never ends, so only regular files are opened for reading; the type is checked again on the open
    descriptor (a swap after the first check changes nothing) and no more than `limit` + 1 bytes are read."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(mode)
        # O_NONBLOCK: opening a FIFO swapped in after the check returns at once instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_error(exc) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(info.st_mode)
        too_large = UnreadableFile(
            f"is {_mib(max(info.st_size, limit + 1))}", f"the limit is {_mib(limit)}", too_large=True
        )
        if info.st_size > limit:
            raise too_large
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _os_error(exc) from None
    if len(data) > limit:  # it grew while we read it
        raise too_large
    return data


def read_input_file(path: Path, input_name: str, workspace: Path, limit: int, *, kind: str = "they") -> bytes:
    """`read_regular` for a file named by an input: any problem is one line naming the input and the file."""
    try:
        return read_regular(path, limit)
    except UnreadableFile as exc:
        fix = f"{kind} are limited to {_mib(limit)}" if exc.too_large else exc.fix
        raise InputError(input_name, f"'{_display(workspace, path)}' {exc.problem}", fix) from None


def read_text(path: Path, input_name: str, workspace: Path) -> str:
    """Read a user text file (report, metrics) with clear errors for binary, huge or undecodable files."""
    shown = _display(workspace, path)
    data = read_input_file(path, input_name, workspace, MAX_TEXT_BYTES, kind="text inputs")
    if b"\x00" in data:  # anywhere: a NUL after the first few KiB would otherwise reach the comment
        raise InputError(input_name, f"'{shown}' is a binary file", "give a text (UTF-8) file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(input_name, f"'{shown}' is not UTF-8 (byte {exc.start})", "save the file as UTF-8") from None


def relative_to_repo(workspace: Path, path: Path) -> str:
    """POSIX path relative to the workspace, for `git show REV:path` and for display."""
    return path.resolve().relative_to(workspace.resolve()).as_posix()
