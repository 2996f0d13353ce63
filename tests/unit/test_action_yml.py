"""action.yml is generated from the input schema and matches it both ways."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cml_action.inputs import OUTPUTS, SCHEMA

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_action_input_of_the_schema_is_declared_with_its_default() -> None:
    declared = load_action()["inputs"]
    for spec in SCHEMA:
        if not spec.in_action:
            assert spec.name not in declared, f"CLI-only input {spec.name} leaked into action.yml"
            continue
        assert spec.name in declared, f"input {spec.name} missing from action.yml"
        expected = spec.github_default if spec.github_default is not None else spec.default
        assert declared[spec.name]["default"] == expected
        assert declared[spec.name]["description"].startswith(spec.help)


def test_action_yml_declares_nothing_the_schema_lacks() -> None:
    action_names = {spec.name for spec in SCHEMA if spec.in_action}
    assert set(load_action()["inputs"]) == action_names
    assert list(load_action()["outputs"]) == [name for name, _ in OUTPUTS]


def test_token_defaults_to_the_workflow_token() -> None:
    assert load_action()["inputs"]["token"]["default"] == "${{ github.token }}"


def test_runs_as_a_docker_action_with_branding() -> None:
    action = load_action()
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert set(action["branding"]) == {"icon", "color"}
    assert action["name"] and action["description"] and action["author"]


def test_action_yml_is_valid_under_githubs_action_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed in this environment")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(ACTION)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_action(tmp_path: Path) -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed in this environment")
    broken = tmp_path / "action.yml"
    broken.write_text("name: x\ndescription: y\nruns:\n  using: docker\n", encoding="utf-8")  # no image
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-actions", str(broken)], capture_output=True)
    assert done.returncode != 0
