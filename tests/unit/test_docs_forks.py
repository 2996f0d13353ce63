"""docs/github.md's two fork workflows stay short and use the real input, output and artifact names."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cml_action.from_run import ARTIFACT_NAME
from cml_action.inputs import BY_NAME, OUTPUTS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "github.md").read_text(encoding="utf-8")


def fork_workflows() -> tuple[str, str]:
    section = DOC[DOC.index("## Fork pull requests") :]
    first, second = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[:2]
    return first, second


def test_both_fork_workflows_are_at_most_15_lines() -> None:
    assert [len(block.strip().splitlines()) <= 15 for block in fork_workflows()] == [True, True]


def test_the_pr_workflow_uploads_the_bundle_output_under_the_name_from_run_downloads() -> None:
    pr, _ = fork_workflows()
    upload = yaml.safe_load(pr)["jobs"]["train"]["steps"][-1]
    assert upload["with"] == {"name": ARTIFACT_NAME, "path": "${{ steps.cml.outputs.bundle }}"}
    assert "bundle" in dict(OUTPUTS)


def test_the_workflow_run_job_has_one_input_and_actions_read() -> None:
    _, publisher = fork_workflows()
    loaded = yaml.safe_load(publisher)
    (step,) = loaded["jobs"]["comment"]["steps"]
    assert step["with"] == {"from-run": "${{ github.event.workflow_run.id }}"} and "from-run" in BY_NAME
    assert loaded["permissions"]["actions"] == "read"
