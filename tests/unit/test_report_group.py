"""The group comment (docs/store.md, "One comment for a matrix"): the exact body a matrix's pull request shows."""

from __future__ import annotations

import pytest

from cml_action.report.group import GroupComment, group_marker, render_group
from cml_action.store.model import StoredRun

SHA = "a" * 40
COMMENT = GroupComment("models", "CML Report", SHA)


def member(key: str, acc: float | None, base: float | None = 0.8, **extra: object) -> StoredRun:
    metrics = {"metrics.json": {"acc": acc}} if acc is not None else {}
    baseline = {"metrics.json": {"acc": base}} if base is not None else {}
    return StoredRun(key=key, head_sha=SHA, time="2026-12-07T00:00:00Z", metrics=metrics,
                     baseline_metrics=baseline, **extra)  # type: ignore[arg-type]  # fmt: skip


def test_a_summary_then_each_job_collapsible_sorted_by_key_and_escaped() -> None:
    members = {
        "resnet": member(
            "resnet",
            0.91,
            section="Accuracy went **up**.",
            check_url="https://github.com/o/r/runs/2",
            run_url="https://github.com/o/r/actions/runs/7",
        ),
        "bert|large": member(
            "bert|large",
            0.7,
            section="Hostile <!-- cml-action:group=models -->",
            gates="1 gate tripped",
            blocking=True,
            run_url="https://github.com/o/r/actions/runs/8",
        ),
    }
    fitted = render_group(COMMENT, members, limit=65536)
    assert fitted.cuts == ()
    assert fitted.body == (
        "## CML Report\n"
        "\n"
        "Group `models`: 2 jobs at `aaaaaaa`.\n"
        "\n"
        "| Metric    | baseline   | bert\\|large                                  | resnet                          "
        "                                                      |\n"
        "|-----------|------------|----------------------------------------------|---------------------------------"
        "------------------------------------------------------|\n"
        "| acc       | 0.8        | 0.7                                          | 0.91                            "
        "                                                      |\n"
        "| **Gates** |            | ❌ 1 gate tripped                            | -                               "
        "                                                      |\n"
        "| **Run**   |            | [run](https://github.com/o/r/actions/runs/8) | [check](https://github.com/o/r/r"
        "uns/2) · [run](https://github.com/o/r/actions/runs/7) |\n"
        "\n"
        "<details><summary>bert|large ❌</summary>\n"
        "\n"
        "Hostile <!-- cml-action:group&#61;models -->\n"
        "\n"
        "</details>\n"
        "\n"
        "<details><summary>resnet</summary>\n"
        "\n"
        "Accuracy went **up**.\n"
        "\n"
        "</details>\n"
        "\n"
        "<!-- cml-action:group=models -->\n"
    )
    assert fitted.body.count("cml-action:group=") == 1  # the member's imitation is not a marker


def test_untrusted_keys_metric_names_and_links_cannot_break_the_table_or_the_summary_tag() -> None:
    hostile = "<img src=x onerror=alert(1)>|`"
    members = {hostile: StoredRun(key=hostile, head_sha=SHA, time="t", metrics={"m.json": {"a|b": "x|y"}},
                                  run_url="javascript:alert(1)")}  # fmt: skip
    body = render_group(COMMENT, members, limit=65536).body
    header, _rule, row, _gates_free_run = body.split("\n\n")[2].splitlines()
    assert header.count(" | ") == 2 and row.count(" | ") == 2  # three cells each: the pipes are escaped
    assert "a\\|b" in row and "x\\|y" in row
    assert "<summary>&lt;img src=x onerror=alert(1)&gt;|`</summary>" in body
    assert "javascript:" not in body and "[run](#)" in body


def test_baselines_that_disagree_and_metrics_a_job_lacks() -> None:
    members = {"a": member("a", 0.9, 0.8), "b": member("b", None, None), "c": member("c", 0.5, 0.6)}
    table = render_group(COMMENT, members, limit=65536).body.split("\n\n")[2]
    assert table.splitlines()[2] == "| acc      | differs    | 0.9 | -   | 0.5 |"
    two_files = {"a": StoredRun(key="a", head_sha=SHA, time="t", metrics={"x.json": {"m": 1}, "y.json": {"m": 2}})}
    assert "| x.json: m " in render_group(COMMENT, two_files, limit=65536).body


def test_a_comment_over_the_limit_keeps_the_summary_and_cuts_the_long_sections_saying_so() -> None:
    long = "\n\n".join(f"line {n} of the report" for n in range(400))
    members = {"big": member("big", 0.9, section=long, run_url="https://ci/7"), "small": member("small", 0.8,
               section="short")}  # fmt: skip
    whole = render_group(COMMENT, members, limit=65536).body
    fitted = render_group(COMMENT, members, limit=3000)
    assert len(fitted.body) <= 3000
    assert fitted.body.split("\n\n<details>")[0] == whole.split("\n\n<details>")[0]  # the summary is whole
    assert "<details><summary>small</summary>\n\nshort\n\n</details>" in fitted.body  # a short section is whole
    assert "… section truncated:" in fitted.body and "Full report: [the job's run](https://ci/7)" in fitted.body
    assert fitted.body.endswith("</details>\n\n" + group_marker("models") + "\n")
    start = fitted.body.index("<details><summary>big")
    shown = fitted.body.index("</details>", start) + len("</details>") - start
    full = len("<details><summary>big</summary>\n\n" + long + "\n\n</details>")
    assert fitted.cuts == (f"the section of 'big' was cut to {shown} of {full} characters to fit the comment",)


@pytest.mark.parametrize("limit", [200, 450, 700, 1000, 1500, 2500, 4000])
def test_every_limit_is_kept_with_the_marker_and_a_note_for_what_is_left_out(limit: int) -> None:
    members = {f"model-{n}": member(f"model-{n}", n / 10, section="text\n\n" * 100) for n in range(8)}
    for unit in ("chars", "bytes"):
        fitted = render_group(COMMENT, members, limit=limit, unit=unit)  # type: ignore[arg-type]
        assert len(fitted.body.encode()) <= limit
        assert fitted.body.endswith(group_marker("models") + "\n")
        assert fitted.cuts
        shown = fitted.body.count("<details>")
        if shown < 8:
            assert f"{8 - shown} sections left out to fit the comment" in fitted.body or "truncated" in fitted.body


def test_the_group_marker_is_one_per_group_and_encodes_what_could_end_it() -> None:
    assert group_marker("models") == "<!-- cml-action:group=models -->"
    assert group_marker("a -->b") == "<!-- cml-action:group=a%20--%3Eb -->"
