"""Gates end to end (issue 10 §1): every gate is passed, tripped or not evaluated; the verdict, the table mark,
the check run's conclusion and title and the exit code agree. The action runs as on a runner (entrypoint.py
against the fake GitHub), with a PR and `send-as: both`."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.action_support import Run, Workspace, pr_event, run_action
from tests.fakes.github import FakeGitHub
from tests.gitutil import commit_files, git, init_repo

MISSING_HINT = "is missing in the working tree (did the pipeline fail, or 'dvc pull' not run?)"


def _workspace(tmp: Any, base: dict[str, str], head: dict[str, str], remove: tuple[str, ...] = ()) -> Workspace:
    repo = init_repo(tmp / "ws")
    base_sha = commit_files(repo, base)
    for path in remove:
        git(repo, "rm", "-q", path)
    head_sha = commit_files(repo, head)
    return Workspace(repo, base_sha, head_sha)


def _acc_rises(tmp: Any) -> Workspace:
    return _workspace(tmp, {"eval/metrics.json": '{"acc": 0.8}\n'}, {"eval/metrics.json": '{"acc": 0.9}\n'})


def _run(gh: FakeGitHub, ws: Workspace, **inputs: str) -> tuple[Run, str, dict[str, Any]]:
    number = gh.add_pull(gh.repo, head_sha=ws.head, base_sha=ws.base)
    run = run_action(gh, ws, "pull_request", pr_event(gh, ws, number), send_as="both", **inputs)
    assert "Traceback" not in run.stderr, run.stderr
    (comment,) = gh.issue_comments(gh.repo, number)
    (check,) = gh.check_runs(gh.repo)
    assert gh.violations == []
    return run, comment["body"], check


def _run_failing_on_regression(gh: FakeGitHub, ws: Workspace, thresholds: str) -> tuple[Run, str, dict[str, Any]]:
    return _run(gh, ws, metrics="eval/metrics.json", thresholds=thresholds, fail_on_regression="true")


def _gates(body: str) -> str:
    """The Gates section of a posted report, up to the next section or block."""
    section = body.split("### Gates\n\n", 1)[1]
    return re.split(r"\n(?=### |> \[!WARNING\]|Comparing `)", section, maxsplit=1)[0]


def _row(body: str, metric: str) -> list[str]:
    (line,) = [line for line in body.splitlines() if re.match(rf"^\| [^|]+\| (❌ )?{re.escape(metric)} +\|", line)]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_metrics_file_missing_at_head_trips_its_gates_and_fails_the_step(
    tmp_path: Any, fake_github: FakeGitHub
) -> None:
    ws = _workspace(tmp_path, {"eval/metrics.json": '{"acc": 0.8, "loss": 0.4}\n'}, {"README.md": "failed"},
                    remove=("eval/metrics.json",))  # fmt: skip
    run, body, check = _run(
        fake_github, ws, metrics="eval/metrics.json", thresholds="acc min 0.5\nloss max 1", fail_on_regression="true"
    )
    assert run.code == 1
    assert _row(body, "acc") == ["eval/metrics.json", "❌ acc", "0.8", "-", "-"]
    assert _row(body, "loss") == ["eval/metrics.json", "❌ loss", "0.4", "-", "-"]
    assert _gates(body) == (
        "❌ 2 gates tripped\n\nTripped:\n\n"
        "- `acc min 0.5` on eval/metrics.json:acc: missing at head (baseline 0.8)\n"
        "- `loss max 1` on eval/metrics.json:loss: missing at head (baseline 0.4)\n"
    )
    assert f"> - metrics file 'eval/metrics.json' {MISSING_HINT}" in body
    assert (check["conclusion"], check["output"]["title"]) == ("failure", "2 gates tripped")
    assert run.outputs["regressions"] == "2"
    assert any(line.startswith("::error") and "2 gates tripped" in line for line in run.log)


DVC_YAML = """stages:
  evaluate:
    cmd: python evaluate.py
    metrics:
    - eval/metrics.json:
        cache: false
    - eval/live/metrics.json:
        cache: false
"""


def test_dvc_yaml_metrics_file_missing_at_head_is_a_warning_and_its_gate_trips(
    tmp_path: Any, fake_github: FakeGitHub
) -> None:
    ws = _workspace(
        tmp_path,
        {"dvc.yaml": DVC_YAML, "eval/metrics.json": '{"acc": 0.8}\n', "eval/live/metrics.json": '{"step": 9}\n'},
        {"eval/metrics.json": '{"acc": 0.9}\n'},
        remove=("eval/live/metrics.json",),
    )
    run, body, check = _run(fake_github, ws, thresholds="acc min 0.5\nstep max 100")  # metrics: auto (dvc.yaml)
    assert run.code == 0  # fail-on-regression is off: the report says it, the step goes on
    assert _row(body, "step") == ["eval/live/metrics.json", "❌ step", "9", "-", "-"]
    assert _row(body, "acc") == ["eval/metrics.json", "acc", "0.8", "0.9", "0.1"]
    assert _gates(body) == (
        "❌ 1 passed, 1 tripped\n\nTripped:\n\n"
        "- `step max 100` on eval/live/metrics.json:step: missing at head (baseline 9)\n"
    )
    assert f"> - metrics file 'eval/live/metrics.json' {MISSING_HINT}" in body
    assert (check["conclusion"], check["output"]["title"]) == ("failure", "1 passed, 1 tripped")
    assert run.outputs["regressions"] == "1"


def test_dvc_yaml_metrics_file_never_produced_trips_the_gates_that_match_nothing(
    tmp_path: Any, fake_github: FakeGitHub
) -> None:
    # Declared in dvc.yaml, absent at the baseline and at head (not pulled, training failed): nothing is known
    # about its metrics, so a gate that matches nothing cannot pass.
    ws = _workspace(tmp_path, {"dvc.yaml": DVC_YAML, "eval/metrics.json": '{"acc": 0.8}\n'}, {"README.md": "x"})
    run, body, check = _run(fake_github, ws, thresholds="acc min 0.5\nstep max 100", fail_on_regression="true")
    assert run.code == 1
    assert _gates(body) == (
        "❌ 1 passed, 1 tripped\n\nTripped:\n\n"
        "- `step max 100`: matches no metric; 'eval/live/metrics.json' is missing at head\n"
    )
    assert f"> - metrics file 'eval/live/metrics.json' {MISSING_HINT} and in the baseline {ws.base[:7]}" in body
    assert (check["conclusion"], check["output"]["title"]) == ("failure", "1 passed, 1 tripped")


def test_max_drop_on_a_new_metric_is_not_evaluated_and_does_not_fail(tmp_path: Any, fake_github: FakeGitHub) -> None:
    ws = _workspace(
        tmp_path, {"eval/metrics.json": '{"acc": 0.8}\n'}, {"eval/metrics.json": '{"acc": 0.9, "f1": 0.7}\n'}
    )
    run, body, check = _run(
        fake_github, ws, metrics="eval/metrics.json", thresholds="f1 max-drop 0.05\nacc min 0.5",
        fail_on_regression="true",
    )  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    assert _gates(body) == (
        "⚠️ 1 passed, 1 not evaluated\n\nNot evaluated:\n\n"
        "- `f1 max-drop 0.05` on eval/metrics.json:f1: new metric, no baseline\n"
    )
    assert "All 2 gates passed" not in body
    assert (check["conclusion"], check["output"]["title"]) == ("success", "1 passed, 1 not evaluated")
    assert run.outputs["regressions"] == "0"


def test_a_rule_that_matches_no_metric_fails_the_step_with_fail_on_regression(
    tmp_path: Any, fake_github: FakeGitHub
) -> None:
    run, body, check = _run_failing_on_regression(fake_github, _acc_rises(tmp_path), "acc min 0.5\nacuracy min 0.5")
    assert run.code == 1
    assert _gates(body) == (
        "❌ 1 passed, 1 not evaluated\n\nNot evaluated:\n\n- `acuracy min 0.5`: matches no metric\n"
    )
    assert (check["conclusion"], check["output"]["title"]) == ("failure", "1 passed, 1 not evaluated")
    assert run.outputs["regressions"] == "0"


def test_an_improvement_that_trips_a_min_rule_is_marked_on_the_metric_with_a_positive_change(
    tmp_path: Any, fake_github: FakeGitHub
) -> None:
    run, body, check = _run_failing_on_regression(fake_github, _acc_rises(tmp_path), "acc min 0.95")
    assert run.code == 1
    assert _row(body, "acc") == ["eval/metrics.json", "❌ acc", "0.8", "0.9", "0.1"]
    assert _gates(body) == "❌ 1 gate tripped\n\nTripped:\n\n- `acc min 0.95` on eval/metrics.json:acc: 0.9 &lt; 0.95\n"
    assert (check["conclusion"], check["output"]["title"]) == ("failure", "1 gate tripped")
    assert run.outputs["regressions"] == "1"


def test_all_gates_passed_titles_the_check(tmp_path: Any, fake_github: FakeGitHub) -> None:
    ws = _acc_rises(tmp_path)
    run, body, check = _run(fake_github, ws, metrics="eval/metrics.json", thresholds="acc min 0.5\nacc max-drop 0")
    assert run.code == 0
    assert _gates(body) == "All 2 gates passed ✅\n"
    assert (check["conclusion"], check["output"]["title"]) == ("success", "2 gates passed")
