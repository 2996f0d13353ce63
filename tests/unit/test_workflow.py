"""Workflow I/O as the GitHub runner reads it: outputs file, job summary, commands on stdout."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cml_action import workflow

ON = {"GITHUB_ACTIONS": "true"}
OFF: dict[str, str] = {}


def read_outputs(path: Path) -> dict[str, str]:
    """Parse GITHUB_OUTPUT like the runner does (`name<<DELIM` ... `DELIM`, or `name=value`)."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            if line:
                name, value = line.split("=", 1)
                values[name] = value
            i += 1
    return values


def run_commands(log: str) -> list[str]:
    """The workflow commands a runner would act on, honouring ::stop-commands::."""
    acted: list[str] = []
    resume_token: str | None = None
    for line in log.splitlines():
        if resume_token is not None:
            if line == f"::{resume_token}::":
                resume_token = None
            continue
        if line.startswith("::stop-commands::"):
            resume_token = line.removeprefix("::stop-commands::")
        elif line.startswith("::"):
            acted.append(line)
    return acted


def test_outputs_survive_multi_line_values_and_delimiter_lookalikes(tmp_path: Path) -> None:
    out = tmp_path / "output"
    env = {**ON, "GITHUB_OUTPUT": str(out)}
    tricky = "line one\nEOF\nghadelimiter_\nname=evil\n"
    assert workflow.set_output("report-file", "/w/report.md", env)
    assert workflow.set_output("body", tricky, env)
    assert workflow.set_output("regressions", "2", env)
    assert read_outputs(out) == {"report-file": "/w/report.md", "body": tricky, "regressions": "2"}


def test_outputs_use_a_fresh_random_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "output"
    env = {**ON, "GITHUB_OUTPUT": str(out)}
    workflow.set_output("a", "1", env)
    workflow.set_output("b", "2", env)
    first, second = (line.split("<<")[1] for line in out.read_text().splitlines() if "<<" in line)
    assert first != second and first.startswith("ghadelimiter_")


def test_nothing_is_written_off_github(tmp_path: Path) -> None:
    out = tmp_path / "output"
    assert workflow.set_output("a", "1", {"GITHUB_OUTPUT": str(out)}) is False
    assert workflow.write_summary("# hi", {"GITHUB_STEP_SUMMARY": str(out)}) is False
    assert not out.exists()


def test_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    workflow.write_summary("## CML Report\n\nbody", {**ON, "GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text(encoding="utf-8") == "earlier step\n## CML Report\n\nbody\n"


def test_summary_is_cut_at_a_line_within_one_mebibyte_with_a_note(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    line = "| metric | 0.123456789 | é |\n"  # multi-byte characters: the limit is in bytes
    workflow.write_summary(line * 60_000, {**ON, "GITHUB_STEP_SUMMARY": str(summary)})
    data = summary.read_bytes()
    assert len(data) <= 1_048_576
    text = data.decode("utf-8")
    assert text.endswith(workflow.SUMMARY_TRUNCATED_NOTE)
    body = text.removesuffix(workflow.SUMMARY_TRUNCATED_NOTE)
    assert body.split("\n")[-1] == line.rstrip("\n")  # the last kept line is whole
    assert len(data) > 1_048_576 - 2 * len(line.encode())  # and nearly all of the budget is used


def test_summary_counts_what_earlier_steps_wrote(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * 1_000_000 + b"\n")
    workflow.write_summary("y\n" * 40_000, {**ON, "GITHUB_STEP_SUMMARY": str(summary)})
    assert len(summary.read_bytes()) <= 1_048_576


def test_small_summary_is_untouched() -> None:
    assert workflow.fit_summary("abc\n", 10) == "abc\n"


def test_annotation_escapes_data_and_properties() -> None:
    out = io.StringIO()
    workflow.error("50% worse\r\nsee log", file="eval/m,etrics:1.json", line=3, title="Gate", env=ON, stream=out)
    assert out.getvalue() == "::error file=eval/m%2Cetrics%3A1.json,line=3,title=Gate::50%25 worse%0D%0Asee log\n"


@pytest.mark.parametrize("level", ["error", "warning", "notice"])
def test_annotation_levels_on_and_off_github(level: str) -> None:
    on, off = io.StringIO(), io.StringIO()
    getattr(workflow, level)("msg", env=ON, stream=on)
    getattr(workflow, level)("msg", file="a.json", line=2, env=OFF, stream=off)
    assert on.getvalue() == f"::{level}::msg\n"
    assert off.getvalue() == f"{level}: a.json:2: msg\n"


def test_group_prints_duration_on_github_only() -> None:
    on, off = io.StringIO(), io.StringIO()
    with workflow.group("Publish", env=ON, stream=on):
        print("inside", file=on)
    with workflow.group("Publish", env=OFF, stream=off):
        pass
    lines = on.getvalue().splitlines()
    assert lines[0] == "::group::Publish" and lines[1] == "inside" and lines[-1] == "::endgroup::"
    assert lines[2].startswith("Publish: ") and lines[2].endswith(" s")
    assert off.getvalue() == ""


def test_group_closes_on_error() -> None:
    on = io.StringIO()
    with pytest.raises(RuntimeError), workflow.group("Step", env=ON, stream=on):
        raise RuntimeError("boom")
    assert on.getvalue().splitlines()[-1] == "::endgroup::"


def test_mask_each_line_and_nothing_off_github() -> None:
    on, off = io.StringIO(), io.StringIO()
    workflow.mask("s3cr%t\nsecond", env=ON, stream=on)
    workflow.mask("s3cret", env=OFF, stream=off)
    assert on.getvalue() == "::add-mask::s3cr%25t\n::add-mask::second\n"
    assert off.getvalue() == ""


def test_off_github_a_message_stays_one_line_without_control_characters() -> None:
    out = io.StringIO()
    workflow.warning("image 'a\nERROR: Job failed \x1b[8mhidden' is missing", env=OFF, stream=out)
    assert out.getvalue() == "warning: image 'a\\nERROR: Job failed \\x1b[8mhidden' is missing\n"


def test_on_github_escape_sequences_are_shown_not_interpreted() -> None:
    out = io.StringIO()
    workflow.error("bad \x1b[31mred\x07", title="t\x1b", env=ON, stream=out)
    assert out.getvalue() == "::error title=t\\x1b::bad \\x1b[31mred\\x07\n"
