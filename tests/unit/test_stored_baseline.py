"""Stored baselines, piece by piece: which values the store may fill, the line saying where they came from (stored
text is untrusted), the "since last push" column, and what a run records."""

from __future__ import annotations

import math
from pathlib import Path

from cml_action.metrics_source import collect_metrics
from cml_action.recording import current_values, section_markdown
from cml_action.report.assemble import ReportParts
from cml_action.report.diff import diff_metrics
from cml_action.report.provenance import StoredSource, since_previous_cells, stored_baseline_line
from cml_action.report.table import ExtraColumn, render_metrics_section
from cml_action.stored_baseline import fill_baseline, lacks_values
from tests.gitutil import commit_files, init_repo

SHA = "e8aa4601" + "0" * 32


def test_the_store_fills_only_what_git_lacks() -> None:
    baseline: dict[str, dict[str, object] | None] = {"ci.json": None, "git.json": {"f1": 0.5}, "same.json": {"a": 1}}
    current = {"ci.json": {"acc": 0.8}, "git.json": {"f1": 0.6, "new": 1}, "same.json": {"a": 2}}
    stored = {"ci.json": {"acc": 0.9, "gone": 3}, "git.json": {"f1": 0.7, "new": 2, "old": 9}, "same.json": {"a": 5}}
    assert lacks_values(baseline, current)
    assert fill_baseline(baseline, current, stored) == ("ci.json", "git.json")
    # A file git lacks takes every stored value (a metric gone at head still shows, and its gate trips); a file git
    # has keeps its values and takes only the metrics this run has and git lacks.
    assert baseline == {"ci.json": {"acc": 0.9, "gone": 3}, "git.json": {"f1": 0.5, "new": 2}, "same.json": {"a": 1}}
    assert not lacks_values({"x.json": {"a": 1}}, {"x.json": {"a": 2}})
    assert lacks_values({"x.json": None}, {"x.json": None})  # missing at head and at the baseline


def source(**changes: object) -> StoredSource:
    values: dict[str, object] = {"run_id": "123", "run_url": "https://ci.example/runs/123", "branch": "main",
                                 "head_sha": SHA, "distance": 2, "anchor": "the merge base"}  # fmt: skip
    values.update(changes)
    return StoredSource(**values)  # type: ignore[arg-type]


def test_the_source_line_names_run_branch_commit_and_distance() -> None:
    assert stored_baseline_line(source(), ("metrics.json",)) == (
        "Baseline of `metrics.json`: stored result of [run 123](https://ci.example/runs/123) on main at `e8aa460`, "
        "2 commits before the merge base.\n"
    )
    line = stored_baseline_line(source(distance=1, run_url="", anchor="the baseline commit"), ("a.json", "b.json"))
    assert line == "Baseline of `a.json`, `b.json`: stored result of run 123 on main at `e8aa460`, " \
        "1 commit before the baseline commit.\n"  # fmt: skip
    assert stored_baseline_line(source(distance=0), ("m.json",)).endswith("at `e8aa460`, the merge base.\n")


def test_stored_text_in_the_source_line_is_escaped_and_links_only_to_http() -> None:
    hostile = source(run_id="1 ](javascript:alert(1))\n# Heading", run_url="javascript:alert(1)",
                     branch="main <img src=x onerror=alert(1)> @team #12")  # fmt: skip
    line = stored_baseline_line(hostile, ("`tick`.json",))
    # One line, no link (the URL is not http), no HTML, no mention or issue reference, no heading.
    assert line == (
        "Baseline of &#96;tick&#96;.json: stored result of run 1 \\](javascript:alert(1)) # Heading on main "
        "&lt;img src=x onerror=alert(1)&gt; @&#8203;team #&#8203;12 at `e8aa460`, 2 commits before the merge base.\n"
    )
    odd_url = stored_baseline_line(source(run_url="https://ci.example/a)b"), ("m.json",))
    assert "(https://ci.example/a%29b)" in odd_url


def test_since_last_push_is_a_column_after_change() -> None:
    diff = diff_metrics({"m.json": {"acc": 0.9, "name": "a"}}, {"m.json": {"acc": 0.85, "name": "b", "new": 1}})
    cells = since_previous_cells(diff.rows, {"m.json": {"acc": 0.8, "name": "a"}}, 5)
    assert cells == {("m.json", "acc"): "0.05", ("m.json", "name"): "-", ("m.json", "new"): "-"}
    section = render_metrics_section(
        diff, precision=5, show_all=False, extra=[ExtraColumn("Since last push (abc1234)", cells)]
    )
    assert section.splitlines()[2] == (
        "| Path   | Metric   | HEAD   | workspace   | Change   | Since last push (abc1234)   |"
    )
    assert (
        section.splitlines()[4]
        == "| m.json | acc      | 0.9    | 0.85        | -0.05    | 0.05                        |"
    )


def test_recorded_values_are_plain_json() -> None:
    now = {"acc": 0.9, "nan": math.nan, "inf": math.inf, "list": [1, 2], "ok": True}
    values = current_values(diff_metrics({"m.json": {"gone": 1}}, {"m.json": now}))
    assert values == {"m.json": {"acc": 0.9, "nan": "nan", "inf": "inf", "ok": True}}
    assert current_values(None) == {}


def test_the_recorded_section_is_the_body_without_heading_footer_or_marker() -> None:
    report = ReportParts(title="Model A", metrics_md="### Metrics\n\ntable\n", warnings=("careful",),
                         head_sha="a" * 40, baseline_sha="b" * 40, run_url="https://ci/1", key="k")  # fmt: skip
    assert section_markdown(report) == "### Metrics\n\ntable\n\n> [!WARNING]\n> - careful"


def test_collect_metrics_asks_the_store_only_for_what_git_lacks(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    base = commit_files(repo, {"git.json": '{"f1": 0.5}'})
    (repo / "git.json").write_text('{"f1": 0.6}', encoding="utf-8")
    asked: list[str] = []

    def lookup() -> dict[str, dict[str, object]]:
        asked.append("store")
        return {"ci.json": {"acc": 0.9}, "gone.json": {"acc": 0.7}}

    sides = collect_metrics(repo, ("git.json",), base, stored=lookup)
    assert asked == [] and sides.from_store == ()  # git had every value: no read
    (repo / "ci.json").write_text('{"acc": 0.8}', encoding="utf-8")
    sides = collect_metrics(repo, ("git.json", "ci.json", "gone.json"), base, stored=lookup)
    assert asked == ["store"] and sides.from_store == ("ci.json", "gone.json")
    assert sides.baseline == {"git.json": {"f1": 0.5}, "ci.json": {"acc": 0.9}, "gone.json": {"acc": 0.7}}
    # The baseline had them after all: no "not in the baseline"; a file missing at head is still said to be.
    assert sides.warnings == (
        "metrics file 'gone.json' is missing in the working tree (did the pipeline fail, or 'dvc pull' not run?)",
    )
    assert collect_metrics(repo, ("ci.json",), base, stored=lambda: None).warnings == (
        f"metrics file 'ci.json' is not in the baseline {base[:7]} (new in this change?)",
    )
