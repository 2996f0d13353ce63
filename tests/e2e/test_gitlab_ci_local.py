"""The real template run by gitlab-ci-local (npm) with the shell executor, publishing to the fake GitLab.

Install once (Node 20; gitlab-ci-local >= 4.71 needs Node 22) and have rsync on the machine:
    npm install --prefix /var/cache/cml-action/npm gitlab-ci-local@4.70.0
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.gitlab_support import MR_IID, TEMPLATE, Workspace, git, make_workspace, seed
from tests.fakes.gitlab import FakeGitLab

GCL = Path(os.environ.get("GITLAB_CI_LOCAL", "/var/cache/cml-action/npm/node_modules/.bin/gitlab-ci-local"))

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(
        not GCL.exists(),
        reason=f"gitlab-ci-local is not installed at {GCL} (npm install --prefix "
        "/var/cache/cml-action/npm gitlab-ci-local@4.70.0)",
    ),
    pytest.mark.skipif(shutil.which("rsync") is None, reason="gitlab-ci-local needs rsync (apt-get install rsync)"),
]


@pytest.fixture
def gl() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


def project_with_ci(tmp_path: Path, inputs: dict[str, object]) -> Workspace:
    """A workspace whose .gitlab-ci.yml includes the component by `include: local:` with `inputs:`."""
    ws = make_workspace(tmp_path / "repo")
    (ws.path / "templates").mkdir()
    shutil.copy(TEMPLATE, ws.path / "templates" / "report.yml")
    ci = {"include": [{"local": "templates/report.yml", "inputs": inputs}]}
    (ws.path / ".gitlab-ci.yml").write_text(yaml.safe_dump(ci, sort_keys=False), encoding="utf-8")
    (ws.path / ".gitignore").write_text(".gitlab-ci-local/\ncml-report/\n", encoding="utf-8")
    git(ws.path, "add", "-A")
    git(ws.path, "commit", "-q", "-m", "add the report job")
    return Workspace(ws.path, ws.base_sha, git(ws.path, "rev-parse", "HEAD"))


def gitlab_ci_local(
    ws: Workspace, *args: str, variables: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    flags = [part for name, value in (variables or {}).items() for part in ("--variable", f"{name}={value}")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "GITHUB_", "CML_", "INPUT_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `cml` from this venv
    return subprocess.run([str(GCL), *args, *flags], cwd=ws.path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def mr_variables(gl: FakeGitLab, ws: Workspace) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": gl.api_url,
        "CI_SERVER_URL": gl.server_url,
        "CI_PROJECT_ID": str(gl.project_id),
        "CI_PROJECT_PATH": gl.project_path,
        "CI_PROJECT_DIR": str(ws.path),  # gitlab-ci-local says /builds/…; the shell executor runs here
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(MR_IID),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": ws.base_sha,
        "CML_TOKEN": gl.project_token,
    }


def test_the_component_job_publishes_the_note(gl: FakeGitLab, tmp_path: Path) -> None:
    inputs = {"report": "report.md", "metrics": "metrics.json", "title": "Model report", "metrics-precision": 3,
              "thresholds": "acc min 0.5\nloss max 1"}  # fmt: skip
    ws = project_with_ci(tmp_path, inputs)
    seed(gl, ws)
    done = gitlab_ci_local(ws, "--force-shell-executor", "cml-report", variables=mr_variables(gl, ws))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (note,) = gl.mr_notes(gl.project_id, MR_IID)
    assert note["body"].startswith("## Model report\n")
    assert "# Training results" in note["body"] and "metrics.json" in note["body"]
    assert note["author"]["username"] == "project_42_bot_1a2b3c"
    assert gl.project_token not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"send-as": "sideways"},
            "`send-as` input: `sideways` cannot be used because it is not in the list of allowed options",
        ),
        ({"metrics-all": "maybe"}, "`metrics-all` input: provided value is not a boolean"),
        ({"metrics-precision": "many"}, "`metrics-precision` input: provided value is not a number"),
    ],
)
def test_wrong_input_values_are_rejected_with_gitlabs_message(tmp_path: Path, inputs: dict[str, object],
                                                              message: str) -> None:  # fmt: skip
    ws = project_with_ci(tmp_path, inputs)
    done = gitlab_ci_local(ws, "--list")
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


MULTI_LINE_CI = """\
include:
  - local: templates/report.yml
    inputs:
      report: report.md
      metrics: metrics.json
      images: |
        plots/first.png
        plots/second.png
      thresholds: |
        acc min 0.5
        loss max 1
        acc max-drop 10%
"""


def test_multi_line_inputs_reach_the_job_intact(gl: FakeGitLab, tmp_path: Path) -> None:
    # The form docs/gitlab.md shows: block scalars (`|`), one rule and one image per line.
    from PIL import Image

    ws = project_with_ci(tmp_path, {})
    (ws.path / ".gitlab-ci.yml").write_text(MULTI_LINE_CI, encoding="utf-8")
    (ws.path / "plots").mkdir()
    Image.new("RGB", (20, 10), "red").save(ws.path / "plots" / "first.png")
    Image.new("RGB", (20, 10), "blue").save(ws.path / "plots" / "second.png")
    git(ws.path, "add", "-A")
    git(ws.path, "commit", "-q", "-m", "multi-line inputs")
    ws = Workspace(ws.path, ws.base_sha, git(ws.path, "rev-parse", "HEAD"))
    seed(gl, ws)
    done = gitlab_ci_local(ws, "--force-shell-executor", "cml-report", variables=mr_variables(gl, ws))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (note,) = gl.mr_notes(gl.project_id, MR_IID)
    body = note["body"]
    assert "![first](" in body and "![second](" in body  # two images, not one named "plots/first.png\nplots/…"
    assert "All 3 gates passed" in body, body  # three rules, each parsed on its own line
