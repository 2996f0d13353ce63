"""Paths from inputs stay inside the workspace; bad files give one clear line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cml_action.errors import InputError
from cml_action.workspace import read_text, resolve_paths


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
