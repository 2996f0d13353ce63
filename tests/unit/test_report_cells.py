"""Table cells are capped at MAX_CELL_CHARS characters, so one huge name or value cannot widen every row."""

from __future__ import annotations

from cml_action.report.diff import diff_metrics
from cml_action.report.escape import MAX_CELL_CHARS, shorten
from cml_action.report.table import render_metrics_table


def _table(baseline: dict[str, object], current: dict[str, object]) -> str:
    return render_metrics_table(diff_metrics({"m.json": baseline}, {"m.json": current}), precision=3, show_all=True)


def test_a_huge_string_value_is_shortened_and_the_table_stays_small() -> None:
    table = _table({"acc": 0.8, "note": "old"}, {"acc": 0.9, "note": "x" * 1_000_000})
    assert len(table) < 2000
    assert "| " + "x" * (MAX_CELL_CHARS - 1) + "… |" in table
    assert "| m.json | acc      | 0.8    | 0.9 " in table


def test_a_huge_metric_name_and_number_are_shortened() -> None:
    name, number = "n" * 5000, int("9" * 4000)
    table = _table({name: 1}, {name: number})
    row = table.splitlines()[2]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert [len(cell) for cell in cells[1:]] == [MAX_CELL_CHARS, 1, MAX_CELL_CHARS, MAX_CELL_CHARS]
    assert all(cell.endswith("…") for cell in (cells[1], cells[3], cells[4]))


def test_shortening_happens_before_escaping_so_no_escape_is_cut() -> None:
    table = _table({"a": "|" * 1000}, {"a": "<" * 1000})
    old, new = (cell.strip() for cell in table.splitlines()[2].strip("|").split(" | ")[2:4])
    assert old == "\\|" * (MAX_CELL_CHARS - 1) + "…"
    assert new == "&lt;" * (MAX_CELL_CHARS - 1) + "…"


def test_shorten_keeps_short_text() -> None:
    assert shorten("abc", 3) == "abc" and shorten("abcd", 3) == "ab…"
