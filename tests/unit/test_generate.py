"""tools/generate.py: one command writes every generated file; `--check` never writes and fails when one is stale."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_generated_files_are_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "generate.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")


def test_check_never_writes_and_names_each_stale_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = generate()
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    stale, fresh = tmp_path / "action.yml", tmp_path / "README.md"
    stale.write_text("old\n", encoding="utf-8")
    fresh.write_text("intro\n<!-- table -->\n", encoding="utf-8")
    monkeypatch.setattr(tool, "targets", lambda: [(stale, lambda _c: "new\n"), (fresh, lambda current: current)])
    assert tool.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "old\n"
    assert capsys.readouterr().err == "action.yml is out of date: run python tools/generate.py\n"
    assert tool.main([]) == 0 and stale.read_text(encoding="utf-8") == "new\n"
    assert tool.main(["--check"]) == 0
