"""`working-directory`: the project folder a monorepo's report is built from (like `cd folder` before running)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.context import RunContext, in_project_folder
from cml_action.errors import InputError


def _ctx(workspace: Path) -> RunContext:
    return RunContext(forge="local", workspace=workspace.resolve(), head_sha="a" * 40)


def test_the_default_keeps_the_workspace(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    assert in_project_folder(ctx, ".") is ctx
    assert in_project_folder(ctx, "") is ctx


def test_a_subfolder_becomes_the_workspace_every_path_starts_from(tmp_path: Path) -> None:
    (tmp_path / "services" / "classifier").mkdir(parents=True)
    ctx = in_project_folder(_ctx(tmp_path), "services/classifier/")
    assert ctx.workspace == (tmp_path / "services" / "classifier").resolve()
    assert ctx.head_sha == "a" * 40


@pytest.mark.parametrize("folder", ["..", "../elsewhere", "/etc", "services/../../x"])
def test_a_folder_outside_the_workspace_is_refused(tmp_path: Path, folder: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(InputError, match=r"^input 'working-directory': '.*' is outside the workspace"):
        in_project_folder(_ctx(ws), folder)


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "secret").mkdir()
    (ws / "proj").symlink_to(tmp_path / "secret")
    with pytest.raises(InputError, match=r"'proj' is outside the workspace"):
        in_project_folder(_ctx(ws), "proj")


def test_a_missing_folder_or_a_file_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match=r"^input 'working-directory': 'nope' is not a folder in the workspace"):
        in_project_folder(_ctx(tmp_path), "nope")
    with pytest.raises(InputError, match=r"'file.txt' is not a folder"):
        in_project_folder(_ctx(tmp_path), "file.txt")
