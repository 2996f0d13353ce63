"""Where report.md goes on a runner and the `report-file` path later steps get (cml_action/runner_paths.py)."""

from __future__ import annotations

from pathlib import Path

from cml_action.runner_paths import path_for_later_steps, report_folder

DOCKER_ACTION = {"GITHUB_WORKSPACE": "/github/workspace", "RUNNER_TEMP": "/github/runner_temp"}


def test_on_github_the_report_goes_to_a_fresh_readable_folder_under_runner_temp(tmp_path: Path) -> None:
    env = {"RUNNER_TEMP": str(tmp_path / "temp")}
    (tmp_path / "temp").mkdir()
    first = report_folder("", in_runner_temp=True, workspace=tmp_path / "ws", env=env)
    second = report_folder("", in_runner_temp=True, workspace=tmp_path / "ws", env=env)
    assert first.parent == second.parent == tmp_path / "temp" and first != second  # two steps, two reports
    assert first.stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "ws").exists()


def test_output_dir_is_the_opt_in_to_the_workspace_and_other_forges_keep_cml_report(tmp_path: Path) -> None:
    env = {"RUNNER_TEMP": str(tmp_path)}
    assert report_folder("out", in_runner_temp=True, workspace=tmp_path / "ws", env=env) == tmp_path / "ws" / "out"
    assert report_folder("", in_runner_temp=False, workspace=tmp_path / "ws", env=env) == tmp_path / "ws" / "cml-report"
    assert report_folder("", in_runner_temp=True, workspace=tmp_path / "ws", env={}) == tmp_path / "ws" / "cml-report"


def test_inside_a_docker_action_later_steps_get_paths_relative_to_the_workspace() -> None:
    temp_report = Path("/github/runner_temp/cml-report-ab12/report.md")
    assert path_for_later_steps(temp_report, DOCKER_ACTION) == "../../_temp/cml-report-ab12/report.md"
    assert path_for_later_steps(Path("/github/workspace/out/report.md"), DOCKER_ACTION) == "out/report.md"


def test_on_the_host_or_in_a_job_container_the_path_is_kept() -> None:
    env = {"GITHUB_WORKSPACE": "/__w/repo/repo", "RUNNER_TEMP": "/__w/_temp"}
    assert path_for_later_steps(Path("/__w/_temp/cml-report-x/report.md"), env) == "/__w/_temp/cml-report-x/report.md"
