"""self-test.yml's tiny report passes its own gate for every commit (it once used the clock: 0.00 at second :00)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from cml_action.report.thresholds import parse_thresholds

WORKFLOW = yaml.safe_load((Path(__file__).resolve().parents[2] / ".github/workflows/self-test.yml").read_text())
STEPS = WORKFLOW["jobs"]["report"]["steps"]
SCRIPT = next(step["run"] for step in STEPS if step.get("name") == "Make a tiny report")
GATE = next(step["with"]["thresholds"] for step in STEPS if step.get("uses") == "./")


@pytest.mark.parametrize("sha", ["00" + "0" * 38, "59" + "a" * 38, "ff" + "f" * 38, "5a" + "1" * 38])
def test_the_metric_is_the_same_for_a_commit_and_passes_the_gate(tmp_path: Path, sha: str) -> None:
    values = []
    for _ in range(2):
        subprocess.run(["bash", "-c", SCRIPT], cwd=tmp_path, env={"GITHUB_SHA": sha, "PATH": "/usr/bin:/bin"},
                       check=True)  # fmt: skip
        values.append(json.loads((tmp_path / "eval" / "metrics.json").read_text())["accuracy"])
    assert values[0] == values[1] >= 0.10  # the same value for the commit, far above the gate
    assert GATE.strip() == "accuracy min 0.01" and len(parse_thresholds(GATE)) == 1
