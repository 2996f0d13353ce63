"""Truncation to a forge's body limit: always within the limit, blocks closed, marker kept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cml_action.forges.github.forge import COMMENT_LIMIT as GITHUB_COMMENT_LIMIT
from cml_action.report.assemble import find_marker_key, marker_for
from cml_action.report.blocks import close_open_blocks, closers_for
from cml_action.report.limits import fit_to_limit
from cml_action.report.spans import closes_fence, fence_opener

HINT = "the job summary and report-file"


def _open_fence(markdown: str) -> bool:
    fence = None
    for line in markdown.splitlines():
        if fence is None:
            fence = fence_opener(line)
        elif closes_fence(line, fence):
            fence = None
    return fence is not None


def _details_balance(markdown: str) -> int:
    return len(re.findall(r"<details\b", markdown, re.I)) - len(re.findall(r"</details\s*>", markdown, re.I))


TABLE = "| Path | Metric | HEAD | workspace | Change |\n|---|---|---|---|---|\n"


def _report(rows: int) -> str:
    body = "## CML Report\n\nIntro text.\n\n### Metrics\n\n" + TABLE
    body += "".join(f"| m.json | metric_{index} | 0.{index} | 0.{index + 1} | 0.1 |\n" for index in range(rows))
    return body + "\n### Plots\n\n![p](https://example.com/p.png)\n\n" + marker_for("wf/job") + "\n"


def test_within_limit_is_unchanged() -> None:
    report = _report(5)
    assert fit_to_limit(report, len(report), full_report_hint=HINT) == report


def test_cut_inside_the_table_keeps_its_header_and_ends_with_note_and_marker() -> None:
    report = _report(3000)
    fitted = fit_to_limit(report, GITHUB_COMMENT_LIMIT, full_report_hint=HINT)
    assert len(fitted) <= GITHUB_COMMENT_LIMIT
    assert TABLE in fitted
    assert fitted.endswith(
        f"\n\n> [!NOTE]\n> … report truncated: {fitted.index(chr(10) + chr(10) + '> [!NOTE]') + 1} of {len(report)}"
        f" characters shown. Full report: {HINT}\n\n<!-- cml-action:key=wf/job -->\n"
    )
    last_row = fitted.split("\n\n> [!NOTE]")[0].splitlines()[-1]
    assert re.fullmatch(r"\| m\.json \| metric_\d+ \| [0-9.]+ \| [0-9.]+ \| 0\.1 \|", last_row)


def test_cut_prefers_a_heading_boundary() -> None:
    report = "## T\n\n" + "intro line\n" * 100 + "### Metrics\n\n" + "row\n" * 60 + marker_for("k") + "\n"
    fitted = fit_to_limit(report, 1300, full_report_hint=HINT)
    assert "### Metrics" not in fitted
    assert fitted.split("\n\n> [!NOTE]")[0].endswith("intro line")


def test_open_fence_and_details_are_closed() -> None:
    report = "## T\n\n<details><summary>log</summary>\n\n````text\n" + "x ``` y\n" * 5000 + marker_for("k") + "\n"
    fitted = fit_to_limit(report, 5000, full_report_hint=HINT)
    assert len(fitted) <= 5000
    assert not _open_fence(fitted)
    assert _details_balance(fitted) == 0
    assert "\n````\n</details>\n\n> [!NOTE]" in fitted


def test_open_html_comment_is_closed() -> None:
    assert closers_for("text <!-- hidden\nmore") == " -->\n"
    assert closers_for("<!-- a --> <details>\n```\ncode") == "\n```\n</details>\n"


def test_bytes_unit_counts_utf8() -> None:
    report = "## T\n\n" + "ümlaut ✅\n" * 2000 + marker_for("k") + "\n"
    fitted = fit_to_limit(report, 3000, unit="bytes", full_report_hint=HINT)
    assert len(fitted.encode()) <= 3000
    assert "bytes shown" in fitted
    assert find_marker_key(fitted) == "k"


def test_a_single_giant_line_is_cut_mid_line() -> None:
    fitted = fit_to_limit("x" * 100_000 + "\n" + marker_for("k") + "\n", 1000, full_report_hint=HINT)
    assert len(fitted) <= 1000
    assert fitted.startswith("xxxx")
    assert find_marker_key(fitted) == "k"


@pytest.mark.parametrize("limit", [0, 5, 40, 120])
def test_tiny_limits_still_fit(limit: int) -> None:
    fitted = fit_to_limit(_report(50), limit, full_report_hint=HINT)
    assert len(fitted) <= limit


def test_close_open_blocks_leaves_balanced_text_alone() -> None:
    assert close_open_blocks("a\n```\nb\n```\n") == "a\n```\nb\n```\n"
    assert close_open_blocks("a\n~~~~\nb") == "a\n~~~~\nb\n~~~~\n"


_lines = st.sampled_from(
    ["## Heading", "### Sub", "text", "", "```", "```python", "~~~", "````", "<details>", "</details>",
     "<details><summary>s</summary>", "<!-- c", "-->", "<!-- x -->", "| a | b |", "|---|---|", "ümlaut ✅ 𝄞",
     "x" * 300, "> quote"]
)  # fmt: skip


@settings(deadline=None, max_examples=300)
@given(
    st.lists(_lines, max_size=80),
    st.integers(0, 6000),
    st.sampled_from(["chars", "bytes"]),
    st.booleans(),
)
def test_output_always_fits_with_fences_balanced(lines: list[str], limit: int, unit: str, with_marker: bool) -> None:
    report = "\n".join(lines) + "\n" + (marker_for("wf/job") + "\n" if with_marker else "")
    fitted = fit_to_limit(report, limit, unit=unit, full_report_hint=HINT)  # type: ignore[arg-type]
    measure = len(fitted) if unit == "chars" else len(fitted.encode())
    assert measure <= limit
    if fitted == report:
        return
    assert not _open_fence(fitted)
    assert closers_for(fitted) == ""  # no open fence, HTML comment or <details> (outside code)
    if with_marker and limit >= 200:
        assert find_marker_key(fitted) == "wf/job"


def test_thousands_of_open_details_are_all_closed() -> None:
    report = "<details>\n" * 50_000 + marker_for("k") + "\n"
    fitted = fit_to_limit(report, 20_000, full_report_hint=HINT)
    assert len(fitted) <= 20_000
    assert closers_for(fitted) == ""
    assert fitted.count("<details>") == fitted.count("</details>") > 500
