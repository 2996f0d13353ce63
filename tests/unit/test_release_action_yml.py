"""The release rewrite of action.yml (tools/release_action_yml.py), run on the real action.yml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.release_action_yml import ReleaseError, rewrite

ROOT = Path(__file__).resolve().parents[2]
ACTION_YML = (ROOT / "action.yml").read_text(encoding="utf-8")


def test_main_builds_the_dockerfile() -> None:
    assert yaml.safe_load(ACTION_YML)["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_the_release_commit_runs_the_image_pinned_by_its_full_version_and_nothing_else_changes() -> None:
    released = rewrite(ACTION_YML, "v1.2.0", "ghcr.io/iterative/cml-action")
    before, after = yaml.safe_load(ACTION_YML), yaml.safe_load(released)
    assert after["runs"] == {"using": "docker", "image": "docker://ghcr.io/iterative/cml-action:v1.2.0"}
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    changed = [line for line in released.splitlines() if line not in ACTION_YML.splitlines()]
    assert changed == ['  image: "docker://ghcr.io/iterative/cml-action:v1.2.0"']


@pytest.mark.parametrize(
    ("version", "image", "problem"),
    [
        ("v1", "ghcr.io/o/cml-action", "not vX.Y.Z"),
        ("1.2.0", "ghcr.io/o/cml-action", "not vX.Y.Z"),
        ("v1.2.0\nimage: evil", "ghcr.io/o/cml-action", "not vX.Y.Z"),
        ("v1.2.0", "ghcr.io/o/cml-action:latest", "registry path"),
        ("v1.2.0", 'ghcr.io/o/x" evil', "registry path"),
    ],
)
def test_bad_versions_and_images_are_refused(version: str, image: str, problem: str) -> None:
    with pytest.raises(ReleaseError, match=problem):
        rewrite(ACTION_YML, version, image)


def test_a_second_rewrite_is_refused_rather_than_stacking_images() -> None:
    released = rewrite(ACTION_YML, "v1.2.0", "ghcr.io/o/cml-action")
    with pytest.raises(ReleaseError, match="0 `image"):
        rewrite(released, "v1.2.1", "ghcr.io/o/cml-action")


def test_the_command_lowercases_the_owner_and_rewrites_in_place(tmp_path: Path) -> None:
    target = tmp_path / "action.yml"
    target.write_text(ACTION_YML, encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "release_action_yml.py"), "v2.0.1",
                           "ghcr.io/Iterative/cml-action", str(target)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["runs"]["image"] == (
        "docker://ghcr.io/iterative/cml-action:v2.0.1"
    )
    bad = subprocess.run([sys.executable, str(ROOT / "tools" / "release_action_yml.py"), "v2", "ghcr.io/o/c",
                          str(target)], capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("::error::")
