"""Paths from inputs stay inside the workspace; bad files give one clear line."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cml_action.errors import InputError
from cml_action.workspace import UnreadableFile, read_regular, read_text, resolve_paths
from tests.denied import deny_reading


def test_globs_are_sorted_and_deduplicated(tmp_path: Path) -> None:
    for name in ("b.png", "a.png", "c.txt"):
        (tmp_path / name).write_bytes(b"x")
    found = resolve_paths(tmp_path, ("*.png", "a.png"), "images")
    assert [p.name for p in found] == ["a.png", "b.png"]


def test_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        resolve_paths(tmp_path, ("plots/*.png",), "images")
    assert str(caught.value) == "input 'images': the glob 'plots/*.png' matches no file (check the pattern)"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^input 'report': 'report.md' does not exist"):
        resolve_paths(tmp_path, ("report.md",), "report")


@pytest.mark.parametrize("outside", ["/proc/self/environ", "/etc/passwd"])
def test_symlink_out_of_the_workspace_is_refused(tmp_path: Path, outside: str) -> None:
    (tmp_path / "metrics.json").symlink_to(outside)
    with pytest.raises(InputError, match="points outside the workspace"):
        resolve_paths(tmp_path, ("metrics.json",), "metrics")


def test_symlink_out_via_glob_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(b"x")
    os.symlink(Path.home(), tmp_path / "plots" / "home.png")
    with pytest.raises(InputError, match=r"'.*home\.png' points outside the workspace"):
        resolve_paths(tmp_path, ("plots/*.png",), "images")


def test_symlink_inside_the_workspace_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    assert resolve_paths(tmp_path, ("link.json",), "metrics") == (tmp_path / "link.json",)


def test_absolute_path_outside_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="points outside the workspace"):
        resolve_paths(tmp_path, ("/etc/hostname",), "report")


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plots").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        resolve_paths(tmp_path, ("plots",), "images")


def test_binary_and_non_utf8_text(tmp_path: Path) -> None:
    (tmp_path / "bin.md").write_bytes(b"\x89PNG\x00\x00")
    (tmp_path / "latin.md").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match=r"^input 'report': 'bin.md' is a binary file"):
        read_text(tmp_path / "bin.md", "report", tmp_path)
    with pytest.raises(InputError, match=r"'latin.md' is not UTF-8 \(byte 3\) \(save the file as UTF-8\)"):
        read_text(tmp_path / "latin.md", "report", tmp_path)


def test_huge_text_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)
    with pytest.raises(InputError, match="is 9 MiB"):
        read_text(big, "report", tmp_path)


def _finishes(call: Callable[[], object], fifo: Path | None = None, seconds: float = 5.0) -> BaseException | None:
    """Run `call` in a thread; when it is still blocked after `seconds` (a FIFO waiting for a writer), unblock
    it by opening the writer side, and fail. Returns the exception it raised."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"still blocked after {seconds} s")
    return outcome[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "r.md"
    os.mkfifo(fifo)
    error = _finishes(lambda: read_text(fifo, "report", tmp_path), fifo)
    assert isinstance(error, InputError)
    assert str(error) == "input 'report': 'r.md' is a named pipe (FIFO), not a regular file (give a regular file)"


def test_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    error = _finishes(lambda: read_text(Path("/dev/zero"), "metrics", tmp_path))
    assert isinstance(error, InputError)
    assert "'/dev/zero' is a character device, not a regular file" in str(error)


def test_an_unreadable_file_is_one_line_naming_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, which chmod cannot stop: make every way of opening the file fail as EACCES would.
    secret = tmp_path / "m.json"
    secret.write_text("{}")

    deny_reading(monkeypatch, secret)
    with pytest.raises(InputError) as caught:
        read_text(secret, "metrics", tmp_path)
    assert str(caught.value) == (
        "input 'metrics': 'm.json' cannot be read (Permission denied) (check that the file is readable)"
    )


def test_a_nul_byte_anywhere_makes_a_binary_file(tmp_path: Path) -> None:
    late = tmp_path / "r.md"
    late.write_bytes(b"# Report\n" + b"a" * 20_000 + b"\x00\n")
    with pytest.raises(InputError, match=r"^input 'report': 'r.md' is a binary file"):
        read_text(late, "report", tmp_path)


def test_read_regular_reads_at_most_the_limit(tmp_path: Path) -> None:
    small = tmp_path / "a.txt"
    small.write_bytes(b"12345")
    assert read_regular(small, 5) == b"12345"
    with pytest.raises(UnreadableFile) as caught:
        read_regular(small, 4)
    assert caught.value.too_large and caught.value.problem == "is 5 bytes"
