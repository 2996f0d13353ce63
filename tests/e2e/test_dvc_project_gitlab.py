"""The get-started shaped project (tests/projects/getstarted.py) through the GitLab job (templates/report.yml
variables, `python entrypoint.py`) against the fake GitLab: the MR note a reviewer sees, and the exit code."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gitlab_support import Workspace, seed
from tests.e2e.test_gitlab_entrypoint import mr_bodies, run_job
from tests.fakes.gitlab import FakeGitLab
from tests.projects import getstarted
from tests.projects.getstarted import METRICS_FILE, PLOT_IDS, Project, State
from tests.projects.reading import images, metric_row, says_gates_passed, warned_about

# Each test runs the whole action with real DVC calls (seconds each); the project is built once per process.
pytestmark = [
    pytest.mark.dvc,
    pytest.mark.slow,
    pytest.mark.skipif(not getstarted.dvc_available(), reason="DVC is not installed"),
]


@pytest.fixture
def gl() -> Iterator[FakeGitLab]:
    with FakeGitLab() as server:
        yield server


def _job(
    gl: FakeGitLab, project: Project, monkeypatch: pytest.MonkeyPatch, **inputs: Any
) -> tuple[subprocess.CompletedProcess[str], str]:
    """An MR pipeline job on the project; (the process, the one MR note's body or "")."""
    monkeypatch.setenv("PATH", getstarted.tool_path())  # the image has `dvc` on PATH
    ws = Workspace(project.workspace, project.base, project.head)
    seed(gl, ws)
    done = run_job(gl, ws, **inputs)
    bodies = mr_bodies(gl)
    assert len(bodies) <= 1, "one report, one note"
    return done, bodies[0] if bodies else ""


def test_all_pulled_mr_note_has_metrics_plots_and_files_changed(
    gl: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    done, body = _job(gl, project, monkeypatch, plots=", ".join(PLOT_IDS), **{"dvc-diff": True})
    context = f"exit {done.returncode}\n{body}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, context
    assert (metric_row(body, METRICS_FILE, "roc_auc.test") or [])[:2] == ["0.82366", "0.84598"], context
    alts = [alt.lower() for alt, _ in images(body)]
    assert all(any(plot.lower() in alt for alt in alts) for plot in PLOT_IDS), context
    assert "model.pkl" in body and "deleted" not in body, context


def test_metrics_missing_mr_note_never_says_passed_and_the_job_fails(
    gl: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    getstarted.fail_evaluation(project)  # training failed
    done, body = _job(gl, project, monkeypatch, thresholds="roc_auc.test min 0.8",
                      **{"fail-on-regression": True})  # fmt: skip
    context = f"exit {done.returncode}\n{body}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 1, context
    assert body, "the note is posted before the job fails\n" + context
    assert not says_gates_passed(body), context
    assert warned_about(body, METRICS_FILE), context
