"""The Python package release.yml publishes: wheel + sdist build, the wheel installs in a fresh venv, `cml` runs
(tools/check_package.py, the same script the release runs). Needs the package index (pip installs the deps)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cml_action import __version__

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "check_package.py"

pytestmark = pytest.mark.slow


def test_wheel_and_sdist_build_and_the_wheel_gives_a_working_cml(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path / "dist")], capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in (tmp_path / "dist").iterdir())
    assert names == [f"cml_action-{__version__}-py3-none-any.whl", f"cml_action-{__version__}.tar.gz"]
    assert f"says 'cml-action {__version__}'" in done.stdout


def test_a_tag_that_is_not_the_package_version_is_refused_before_building(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path / "dist"), "v0.0.0-not-it"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"::error::check_package: tag v0.0.0-not-it is not the package version v{__version__} " \
        "(set __version__ in cml_action/)\n"  # fmt: skip
    assert not (tmp_path / "dist").exists()
