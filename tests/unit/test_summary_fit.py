"""The job summary is fitted by sections like the comment: report text first, metrics and marker kept."""

from __future__ import annotations

from pathlib import Path

from cml_action import workflow
from cml_action.report.assemble import ReportParts

TABLE = "### Metrics\n\n| Path | Metric |\n|---|---|\n| m.json | acc |\n"


def _env(summary: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}


def test_a_huge_single_line_report_leaves_the_metrics_in_the_room_left(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    earlier = "e" * (workflow.SUMMARY_LIMIT_BYTES - 5000) + "\n"  # an earlier step of the job used most of it
    summary.write_text(earlier, encoding="utf-8")
    parts = ReportParts(texts=("y" * 5_000_000,), metrics_md=TABLE, key="CML/train")
    assert workflow.write_report_summary(parts, env=_env(summary))
    added = summary.read_text(encoding="utf-8")[len(earlier) :]
    assert summary.stat().st_size <= workflow.SUMMARY_LIMIT_BYTES
    assert TABLE.splitlines()[-1] in added and "y" * 3000 in added
    assert "report text truncated" in added and workflow.SUMMARY_FULL_REPORT_HINT in added
    assert added.rstrip().endswith("<!-- cml-action:key=CML/train -->")


def test_a_report_that_fits_is_written_whole(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    parts = ReportParts(texts=("hello",), metrics_md=TABLE)
    assert workflow.write_report_summary(parts, env=_env(summary))
    assert summary.read_text(encoding="utf-8") == f"## CML Report\n\nhello\n\n{TABLE}"


def test_off_github_nothing_is_written(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert not workflow.write_report_summary(ReportParts(), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert not summary.exists()
