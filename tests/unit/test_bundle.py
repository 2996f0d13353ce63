"""Reading an untrusted report bundle (cml_action/bundle.py): what a fork could put in the zip."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import pytest

from cml_action.bundle import BundleError, BundleMeta, unpack, write_bundle

META = BundleMeta("octo-org/hello", 7, "a" * 40, "", "CML/train", "CML Report")


def archive(tmp_path: Path, entries: list[tuple[str, bytes]]) -> Path:
    path = tmp_path / "bundle.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zipped:
        warnings.simplefilter("ignore")  # duplicate names on purpose
        for name, data in entries:
            zipped.writestr(name, data)
    return path


def test_what_write_bundle_writes_unpacks_to_the_same_metadata(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "ab.png").write_bytes(b"png")
    folder = write_bundle(tmp_path / "bundle", "Hello", tmp_path / "images", META)
    entries = [(p.relative_to(folder).as_posix(), p.read_bytes()) for p in folder.rglob("*") if p.is_file()]
    (tmp_path / "out").mkdir()
    assert unpack(archive(tmp_path, entries), tmp_path / "out") == META
    assert (tmp_path / "out" / "images" / "ab.png").read_bytes() == b"png"


def test_a_name_given_twice_is_refused(tmp_path: Path) -> None:
    meta = META.as_json().encode()
    path = archive(tmp_path, [("report.md", b"a"), ("report.md", b"b"), ("cml-bundle.json", meta)])
    (tmp_path / "out").mkdir()
    with pytest.raises(BundleError, match="twice"):
        unpack(path, tmp_path / "out")


@pytest.mark.parametrize(
    ("change", "problem"),
    [({"pull_request": True}, "not a PR number"), ({"head_sha": "HEAD"}, "head_sha"), ({"key": "{job}"}, "key"),
     ({"title": "a\nb"}, "title"), ({"version": 2}, "version 1"), ({"repository": "../x"}, "repository")],
)  # fmt: skip
def test_malformed_metadata_is_refused(tmp_path: Path, change: dict[str, object], problem: str) -> None:
    meta = json.dumps({**json.loads(META.as_json()), **change}).encode()
    (tmp_path / "out").mkdir()
    with pytest.raises(BundleError, match=problem):
        unpack(archive(tmp_path, [("report.md", b"a"), ("cml-bundle.json", meta)]), tmp_path / "out")


def test_not_a_zip_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bundle.zip").write_bytes(b"<html>expired</html>")
    with pytest.raises(BundleError, match="not a zip"):
        unpack(tmp_path / "bundle.zip", tmp_path)
