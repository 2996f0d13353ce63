"""The metrics table: DVC's exact markdown, escaping of hostile names, JSON shape."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cml_action.report.diff import diff_metrics
from cml_action.report.escape import escape_markdown, neutralize_workflow_commands
from cml_action.report.table import (
    format_value,
    render_metrics_json,
    render_metrics_section,
    render_metrics_table,
)

BASELINE = {"eval/metrics.json": {"acc": 0.9, "loss": 0.3, "n": 10, "model": "a", "gone": 1, "same": 0.5}}
CURRENT = {"eval/metrics.json": {"acc": 0.95, "loss": 0.3, "n": 12, "model": "b", "new": 0.123456789, "same": 0.5}}


def test_table_is_dvc_metrics_diff_md() -> None:
    table = render_metrics_table(diff_metrics(BASELINE, CURRENT), precision=5, show_all=False)
    assert table == (
        "| Path              | Metric   | HEAD   | workspace   | Change   |\n"
        "|-------------------|----------|--------|-------------|----------|\n"
        "| eval/metrics.json | acc      | 0.9    | 0.95        | 0.05     |\n"
        "| eval/metrics.json | gone     | 1      | -           | -        |\n"
        "| eval/metrics.json | model    | a      | b           | -        |\n"
        "| eval/metrics.json | n        | 10     | 12          | 2        |\n"
        "| eval/metrics.json | new      | -      | 0.12346     | -        |\n"
    )


def test_show_all_adds_unchanged_rows_and_labels_are_used() -> None:
    table = render_metrics_table(
        diff_metrics(BASELINE, CURRENT), precision=2, show_all=True, baseline_label="def5678", current_label="abc1234"
    )
    lines = table.splitlines()
    assert lines[0] == "| Path              | Metric   | def5678   | abc1234   | Change   |"
    assert "| eval/metrics.json | loss     | 0.3       | 0.3       | 0.0      |" in lines
    assert "| eval/metrics.json | same     | 0.5       | 0.5       | 0.0      |" in lines
    assert "| eval/metrics.json | new      | -         | 0.12      | -        |" in lines


def test_tripped_rows_mark_the_metric_keep_the_signed_change_and_are_shown_even_when_unchanged() -> None:
    # acc rose (an improvement that still trips, say, `acc min 0.99`): the Change cell stays the plain signed
    # number, never a regression mark; the mark names the metric that tripped.
    diff = diff_metrics(BASELINE, CURRENT)
    tripped = frozenset({("eval/metrics.json", "acc"), ("eval/metrics.json", "same")})
    lines = render_metrics_table(diff, precision=5, show_all=False, tripped=tripped).splitlines()
    assert "| eval/metrics.json | ❌ acc   | 0.9    | 0.95        | 0.05     |" in lines
    assert "| eval/metrics.json | ❌ same  | 0.5    | 0.5         | 0.0      |" in lines
    assert "| eval/metrics.json | gone     | 1      | -           | -        |" in lines


def test_missing_file_on_one_side() -> None:
    diff = diff_metrics({"a.json": None, "b.json": {"x": 1}}, {"a.json": {"y": 2.5}, "b.json": None})
    assert [(row.path, row.metric, row.old, row.new, row.change) for row in diff.rows] == [
        ("a.json", "y", None, 2.5, None),
        ("b.json", "x", 1, None, None),
    ]
    assert not diff.is_empty


def test_no_change_gives_header_only_table_and_a_section_note() -> None:
    diff = diff_metrics({"m.json": {"a": 1}}, {"m.json": {"a": 1.0}})
    assert diff.is_empty
    assert render_metrics_table(diff, precision=5, show_all=False) == (
        "| Path   | Metric   | HEAD   | workspace   | Change   |\n"
        "|--------|----------|--------|-------------|----------|\n"
    )
    assert render_metrics_section(diff, precision=5, show_all=False) == (
        "### Metrics\n\nNo metric changed (1 metric compared).\n"
    )
    assert render_metrics_section(diff_metrics({}, {}), precision=5, show_all=False) == ""


def test_booleans_are_diffed_like_dvc() -> None:
    diff = diff_metrics({"m.json": {"ok": True}}, {"m.json": {"ok": False}})
    assert diff.rows[0].change == -1
    assert "| m.json | ok       | True   | False       | -1       |" in render_metrics_table(
        diff, precision=5, show_all=False
    )


@pytest.mark.parametrize(
    ("value", "precision", "shown"),
    [(0.30000000000000004, 5, "0.3"), (1.123456789, 5, "1.12346"), (2, 5, "2"), (1e20, 5, "1e+20"),
     (3.7, 0, "4.0"), (float("nan"), 5, "nan"), (None, 5, "-"), ("x", 5, "x"), (True, 5, "True")],
)  # fmt: skip
def test_format_value_rounds_like_dvc(value: object, precision: int, shown: str) -> None:
    assert format_value(value, precision) == shown


def test_json_shape_matches_dvc() -> None:
    shown = json.loads(render_metrics_json(diff_metrics(BASELINE, CURRENT)))
    assert shown == {
        "eval/metrics.json": {
            "acc": {"old": 0.9, "new": 0.95, "diff": 0.95 - 0.9},
            "gone": {"old": 1, "new": None},
            "model": {"old": "a", "new": "b"},
            "n": {"old": 10, "new": 12, "diff": 2},
            "new": {"old": None, "new": 0.123456789},
        }
    }
    assert json.loads(render_metrics_json(diff_metrics(BASELINE, CURRENT), show_all=True))["eval/metrics.json"][
        "same"
    ] == {"old": 0.5, "new": 0.5, "diff": 0.0}


HOSTILE = [
    "a|b",
    "a\\|b",
    "trailing\\",
    "<img src=x onerror=alert(1)>",
    "&amp;",
    "@octocat",
    "@org/team",
    "`code`",
    "```",
    "line1\nline2",
    "\r\n| x | y | z | w | v |",
    "::set-output name=x::y",
    "::add-mask::secret",
    "::stop-commands::token",
    "[link](https://evil.example)",
    "**bold** ~~strike~~ __init__",
    "#123 owner/repo#4",
    "<!-- comment",
    "\u202eevil",
    "\x00nul",
]


def _cells(line: str) -> list[str]:
    """Split a GFM table row the way GitHub does: on pipes not escaped by a backslash."""
    return re.split(r"(?<!\\)\|", line.strip().removeprefix("|").removesuffix("|"))


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_render_as_exactly_five_cells(name: str) -> None:
    diff = diff_metrics({name: {name: name}}, {name: {name: 1.5}})
    table = render_metrics_table(diff, precision=5, show_all=False)
    lines = table.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert len(_cells(line)) == 5, line
        assert not re.search(r"(?<!\\)(?:\\\\)*\\$", line.rstrip(" |")), "a trailing backslash would eat the pipe"
    row = lines[2]
    assert "<" not in row and "`" not in row and "\n" not in row
    assert not re.search(r"@[A-Za-z]", row)
    assert not re.search(r"(?<!&)#\d", row)
    assert "::" not in row


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_render_as_text_on_github(name: str) -> None:
    """Rendered with a CommonMark+GFM-table renderer, the name comes back as literal text in one cell."""
    diff = diff_metrics({"m.json": None}, {"m.json": {name: 1}})
    html = MarkdownIt("commonmark").enable("table").render(render_metrics_table(diff, precision=5, show_all=False))
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert len(cells) == 5
    assert "<a " not in html and "<img" not in html and "<code>" not in html and "<strong>" not in html


def test_escape_keeps_plain_names_unchanged() -> None:
    for name in ("acc", "test.roc_auc", "avg_prec.macro", "loss/val", "f1-score", "HEAD~1", "a*b", "p@1x"[:1]):
        assert escape_markdown(name) == name


def test_workflow_commands_in_log_text_are_neutralised() -> None:
    text = "ok\n::add-mask::x\n  ::set-output name=a::b\nfine :: here"
    assert neutralize_workflow_commands(text) == "ok\n:\u200b:add-mask::x\n  :\u200b:set-output name=a::b\nfine :: here"


_names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_values = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=10), st.booleans())


@settings(deadline=None)
@given(st.dictionaries(_names, st.tuples(_values, _values), max_size=8), st.booleans(), st.integers(0, 8))
def test_any_names_and_values_make_a_well_formed_table(
    metrics: dict[str, tuple[object, object]], show_all: bool, precision: int
) -> None:
    old = {"p|ath\n": {name: pair[0] for name, pair in metrics.items() if pair[0] is not None}}
    new = {"p|ath\n": {name: pair[1] for name, pair in metrics.items() if pair[1] is not None}}
    diff = diff_metrics(old, new)
    table = render_metrics_table(diff, precision=precision, show_all=show_all)
    lines = table.split("\n")
    assert lines[-1] == ""
    shown = [row for row in diff.rows if show_all or row.changed]
    assert len(lines) - 3 == len(shown)
    assert re.fullmatch(r"(\|-{3,}){5}\|", lines[1])
    for line in [lines[0], *lines[2:-1]]:
        assert line.startswith("| ") and line.endswith(" |")
        assert len(_cells(line)) == 5
    json.loads(render_metrics_json(diff, show_all=show_all))


def test_hostile_names_golden() -> None:
    """The exact escaped markdown for every hostile name (review changes to this file carefully)."""
    diff = diff_metrics({"m.json": None}, {"m.json": {name: index for index, name in enumerate(HOSTILE)}})
    table = render_metrics_table(diff, precision=5, show_all=False)
    golden = Path(__file__).parent / "golden" / "metrics_hostile.md"
    if os.environ.get("CML_UPDATE_GOLDEN") == "1":
        golden.write_text(table, encoding="utf-8")
    assert table == golden.read_text(encoding="utf-8")


_flat = st.dictionaries(
    st.text(max_size=6), st.one_of(st.integers(-100, 100), st.floats(-1e3, 1e3), st.text(max_size=3))
)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(["a.json", "b.yaml", "c.csv"]), st.tuples(st.none() | _flat, st.none() | _flat)))
def test_diff_has_one_sorted_row_per_metric_with_dvc_change(files: dict[str, tuple[object, object]]) -> None:
    baseline = {path: sides[0] for path, sides in files.items()}
    current = {path: sides[1] for path, sides in files.items()}
    diff = diff_metrics(baseline, current)  # type: ignore[arg-type]
    for path, (old, new) in files.items():
        rows = [row for row in diff.rows if row.path == path]
        assert [row.metric for row in rows] == sorted({*(old or {}), *(new or {})})  # type: ignore[misc]
        for row in rows:
            numbers = all(isinstance(value, int | float) for value in (row.old, row.new))
            assert row.change == (row.new - row.old if numbers else None)  # type: ignore[operator]
    assert diff.is_empty == (not diff.changed_rows)
