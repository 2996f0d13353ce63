"""DVC-tracked metrics: DVC's own numbers for both sides, and DVC's silent failures turned into warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.dvc import metrics, runner
from cml_action.dvc.metrics import DvcMetricsResult, dvc_metrics, interpret_diff
from tests.dvc_support import needs_dvc, shared_dvc_project, without_cache

CURRENT = {"acc": 0.8, "loss": 0.2, "nested.auc": 0.4}
AT_HEAD_1 = {"acc": 0.5, "loss": 0.5, "nested.auc": 0.25}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_dvc_project(tmp_path_factory)


@needs_dvc
@pytest.mark.dvc
def test_dvc_output_metrics_come_from_dvc_for_both_sides(repo: Path) -> None:
    result = dvc_metrics(repo, "HEAD~1", ["eval/metrics.json"])
    assert result == DvcMetricsResult(
        baseline={"eval/metrics.json": AT_HEAD_1}, current={"eval/metrics.json": CURRENT}, warnings=()
    )


@needs_dvc
@pytest.mark.dvc
def test_unchanged_metrics_are_kept_and_a_sha_baseline_works(repo: Path) -> None:
    from cml_action import gitrepo

    sha = gitrepo.rev_parse(repo, "HEAD")
    assert sha is not None
    result = dvc_metrics(repo, sha, ["eval/metrics.json", "summary.json"])
    assert result.baseline == {"eval/metrics.json": {"acc": 0.7, "loss": 0.3, "nested.auc": 0.35},
                               "summary.json": {"f1": 0.7}}  # fmt: skip
    assert result.current["summary.json"] == {"f1": 0.8}
    assert result.warnings == ()


@needs_dvc
@pytest.mark.dvc
def test_missing_cache_at_baseline_is_a_warning_not_an_empty_side(repo: Path, tmp_path: Path) -> None:
    copy = without_cache(repo, tmp_path)
    result = dvc_metrics(copy, "HEAD~1", ["eval/metrics.json"])
    assert result.baseline == {"eval/metrics.json": None}
    assert result.current == {"eval/metrics.json": CURRENT}  # the working tree still reads
    assert result.warnings == (
        "metrics 'eval/metrics.json': DVC could not load it at the baseline HEAD~1 (not in the DVC cache or "
        "remote? run 'dvc pull' first, or check the remote credentials); baseline values are missing",
    )


@needs_dvc
@pytest.mark.dvc
def test_a_metrics_file_new_in_this_change_has_no_baseline_and_no_warning(repo: Path, tmp_path: Path) -> None:
    copy = without_cache(repo, tmp_path)
    (copy / "new.json").write_text('{"x": 1, "bad": NaN}')
    result = dvc_metrics(copy, "HEAD~1", ["new.json"])
    assert result.baseline == {"new.json": None}
    current = result.current["new.json"]
    assert current is not None and current["x"] == 1 and current["bad"] != current["bad"]  # NaN survives
    assert result.warnings == ()


@needs_dvc
@pytest.mark.dvc
def test_a_broken_working_tree_file_and_an_unknown_revision_are_warnings(repo: Path, tmp_path: Path) -> None:
    copy = without_cache(repo, tmp_path)
    (copy / "summary.json").write_text('{"f1": ')
    broken = dvc_metrics(copy, "HEAD", ["summary.json"])
    assert broken.current == {"summary.json": None}
    assert broken.warnings == (
        "metrics 'summary.json': DVC could not read it in the working tree (is it valid JSON/YAML/TOML/CSV?)",
    )
    unknown = dvc_metrics(copy, "no-such-rev", ["summary.json"])
    assert unknown.warnings == ("dvc metrics diff failed: unknown Git revision 'no-such-rev'",)


def test_dvc_not_installed_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner, "find_dvc", lambda: None)
    result = dvc_metrics(tmp_path, "HEAD", ["eval/metrics.json"])
    assert result.current == {"eval/metrics.json": None}
    assert result.warnings == (
        "metrics 'eval/metrics.json' is a DVC output but DVC is not installed "
        "(pip install 'cml-action[dvc]' or use the cml-action image)",
    )


def test_no_paths_runs_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner, "find_dvc", lambda: pytest.fail("dvc must not run"))
    assert dvc_metrics(tmp_path, "HEAD", []) == DvcMetricsResult()


def test_empty_object_from_dvc_becomes_warnings_for_every_file(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("{}")
    stderr = "DVC failed to load some metrics for following revisions: 'HEAD~1, workspace'.\n"
    result = interpret_diff(tmp_path, "HEAD~1", ["m.json", "gone.json"], "{}", stderr)
    assert result.baseline == {"m.json": None, "gone.json": None}
    assert result.warnings == (
        "metrics 'm.json': DVC could not read it in the working tree (is it valid JSON/YAML/TOML/CSV?)",
        "metrics 'gone.json': not found in the working tree (did the pipeline run, or 'dvc pull' fail?)",
    )


def test_failed_revisions_parses_dvc_stderr() -> None:
    stderr = (
        "DVC failed to load some metrics for following revisions: 'HEAD~1'.\n"
        "DVC failed to load some metrics for following revisions: 'main, workspace'.\n"
    )
    assert metrics.failed_revisions(stderr) == {"HEAD~1", "main", "workspace"}


def test_bare_infinity_and_nan_in_dvc_json_are_read() -> None:
    parsed = metrics.parse_dvc_json('{"a.json": {"x": {"old": Infinity, "new": NaN}}}')
    assert parsed["a.json"]["x"]["old"] == float("inf")


def test_several_outputs_missing_at_the_baseline_make_one_warning(tmp_path: Path) -> None:
    from tests.gitutil import commit_files, init_repo

    repo = init_repo(tmp_path / "r")
    commit_files(repo, {"a.json": '{"x": 1}', "b.json": '{"y": 1}'})
    stdout = '{"a.json": {"x": {"old": null, "new": 2}}, "b.json": {"y": {"old": null, "new": 3}}}'
    stderr = "DVC failed to load some metrics for following revisions: 'HEAD'.\n"
    result = interpret_diff(repo, "HEAD", ["a.json", "b.json"], stdout, stderr)
    assert result.baseline == {"a.json": None, "b.json": None}
    assert result.current == {"a.json": {"x": 2}, "b.json": {"y": 3}}
    assert result.warnings == (
        "metrics 'a.json', 'b.json': DVC could not load them at the baseline HEAD (not in the DVC cache or "
        "remote? run 'dvc pull' first, or check the remote credentials); baseline values are missing",
    )
