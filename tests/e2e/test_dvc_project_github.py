"""A project shaped like iterative/example-get-started (tests/projects/getstarted.py) through the action on GitHub,
in each state a CI job can leave it in. Each test asserts what the reviewer sees in the PR comment and the exit code.

The head commit of the project changes `featurize.ngrams` 1 -> 2 and `train.n_est` 40 -> 80; the metrics follow:
roc_auc.test 0.82366 -> 0.84598, avg_prec.test 0.79599 -> 0.81029 (see BASE / HEAD below).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fakes.github import FakeGitHub
from tests.gitutil import commit_files, init_repo
from tests.projects import getstarted, github_run
from tests.projects.getstarted import IMAGE_PLOT, LOSS_CSV, METRICS_FILE, MONOREPO_DIR, PLOT_IDS, State
from tests.projects.github_run import Posted
from tests.projects.reading import (
    full_shas_outside_links,
    images_of,
    metric_row,
    param_row,
    says_gates_passed,
    section_index,
    warned_about,
    warnings,
)

# Each test runs the whole action with real DVC calls (seconds each); the project is built once per process.
pytestmark = [
    pytest.mark.dvc,
    pytest.mark.slow,
    pytest.mark.skipif(not getstarted.dvc_available(), reason="DVC is not installed"),
]

BASE = {"roc_auc.test": "0.82366", "avg_prec.test": "0.79599", "roc_auc.train": "0.82992"}
HEAD = {"roc_auc.test": "0.84598", "avg_prec.test": "0.81029", "roc_auc.train": "0.84301"}
ALL_PLOTS = ", ".join([*PLOT_IDS, IMAGE_PLOT])


def _assert_metrics_compared(posted: Posted, path: str = METRICS_FILE) -> None:
    for metric in HEAD:
        row = metric_row(posted.body, path, metric)
        assert row is not None, f"no row for {metric}\n{posted.context}"
        assert row[:2] == [BASE[metric], HEAD[metric]], posted.context


def _assert_params_changed(posted: Posted) -> None:
    """The Params section lists the changed params with both values, before the metrics."""
    params, metrics = section_index(posted.body, "Params"), section_index(posted.body, "Metrics")
    assert params != -1 and params < metrics, posted.context
    for name, base, head in (("featurize.ngrams", "1", "2"), ("train.n_est", "40", "80")):
        row = param_row(posted.body, name)
        assert row is not None and row[-2:] == [base, head], posted.context
    assert param_row(posted.body, "prepare.seed") is None  # unchanged: only with metrics-all


def _plot_shown(posted: Posted, plot_id: str) -> bool:
    return any(plot_id.lower() in alt.lower() for alt in posted.image_alts)


def test_all_pulled_gives_the_full_report(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    posted = github_run.run_on_pull_request(
        fake_github, project, monkeypatch, plots=ALL_PLOTS, dvc_diff="true", params="auto",
        thresholds="roc_auc.test min 0.8\navg_prec.test max-drop 0.05", fail_on_regression="true",
    )  # fmt: skip
    assert posted.run.code == 0, posted.context
    _assert_metrics_compared(posted)
    _assert_params_changed(posted)
    assert says_gates_passed(posted.body), posted.context  # both gates evaluated, none tripped
    for plot_id in PLOT_IDS:
        assert _plot_shown(posted, plot_id), posted.context
    # The image plot: a before/after pair, baseline and current.
    assert images_of(posted.body, "importance") == 2, posted.context
    # Files changed: committed states compared; the retrained model is modified, nothing is "deleted".
    assert section_index(posted.body, "Files changed") != -1, posted.context
    assert re.search(r"^\| *modified *\| *(<code>)?model\.pkl", posted.body, re.M), posted.context
    assert "deleted" not in posted.body
    assert warnings(posted.body) == [], posted.context
    assert not [line for line in posted.run.log if line.startswith("::warning")], posted.context
    assert full_shas_outside_links(posted.body) == [], posted.context  # short revisions in legends and headers
    assert fake_github.violations == []


def test_nothing_pulled_still_posts_the_report_with_warnings(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone: the job forgot `dvc pull`. eval/ (metrics, plots, image) is absent, the cache empty."""
    project = getstarted.checkout(tmp_path / "ws", State.FRESH)
    assert not (project.project / METRICS_FILE).exists()
    posted = github_run.run_on_pull_request(fake_github, project, monkeypatch, plots=ALL_PLOTS, dvc_diff="true")
    assert posted.run.code == 0, posted.context  # warnings never fail the step
    assert posted.body, "the report is posted\n" + posted.context
    # DVC can still read the committed metrics of both sides from the remote; if they are not shown as DVC reads
    # them, a warning names the missing declared file. Never silently absent.
    shown = all((metric_row(posted.body, METRICS_FILE, m) or [])[:2] == [BASE[m], HEAD[m]] for m in HEAD)
    assert shown or warned_about(posted.body, METRICS_FILE), posted.context
    _assert_params_changed(posted)  # params.yaml is in git: that section does not depend on the pull
    # Files changed compares the commits: outputs the job did not pull are not "deleted".
    assert "deleted" not in posted.body, posted.context
    assert not says_gates_passed(posted.body)
    assert posted.run.outputs.get("report-file"), posted.context
    assert posted.run.summary.strip(), "the job summary is always written"


@pytest.mark.parametrize("metrics", ["auto", METRICS_FILE])
def test_metrics_missing_trips_the_gate_and_fails_the_step(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metrics: str
) -> None:
    """Training failed at head: the metrics file is absent. The gates guarding it trip; nothing says "passed".
    Both ways of naming the file: `auto` (declared in dvc.yaml) and the path itself."""
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    getstarted.fail_evaluation(project)
    posted = github_run.run_on_pull_request(
        fake_github, project, monkeypatch, metrics=metrics, thresholds="roc_auc.test min 0.8\navg_prec.test min 0.7",
        fail_on_regression="true",
    )  # fmt: skip
    assert posted.run.code == 1, posted.context
    assert posted.body, "the report is posted before the step fails\n" + posted.context
    assert not says_gates_passed(posted.body), posted.context
    assert warned_about(posted.body, METRICS_FILE), posted.context  # a warning naming the missing file
    assert "tripped" in posted.body.lower(), posted.context
    assert BASE["roc_auc.test"] in posted.body, posted.context  # the baseline value is still shown
    assert int(posted.run.outputs["regressions"]) >= 1, posted.context
    assert any(line.startswith("::error") for line in posted.run.log), posted.context


def test_shallow_clone_without_the_baseline_shows_no_baseline_values(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fetch-depth: 1` and `fetch-baseline: false`: the baseline commit is not in the clone."""
    project = getstarted.checkout(tmp_path / "ws", State.SHALLOW)
    posted = github_run.run_on_pull_request(fake_github, project, monkeypatch, plots="ROC", fetch_baseline="false")
    assert posted.run.code == 0, posted.context
    for metric, value in HEAD.items():
        row = metric_row(posted.body, METRICS_FILE, metric)
        assert row is not None and value in row, posted.context
        assert BASE[metric] not in row, posted.context
    assert not any(value in posted.body for value in BASE.values()), posted.context  # no fake baseline anywhere
    assert "❌" not in posted.body, posted.context  # no change computed against HEAD
    # A warning says why (the plot may add its own note that its baseline side is missing).
    assert [line for line in warnings(posted.body) if "baseline" in line.lower()], posted.context
    assert _plot_shown(posted, "ROC"), posted.context  # the current side is still drawn


def test_baseline_outputs_not_in_the_cache_show_no_baseline_and_one_warning(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head was pulled, but the baseline's eval/ is in no cache the job can reach."""
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    getstarted.lose_remote(project)
    posted = github_run.run_on_pull_request(fake_github, project, monkeypatch)
    assert posted.run.code == 0, posted.context
    for metric, value in HEAD.items():
        row = metric_row(posted.body, METRICS_FILE, metric)
        assert row is not None and value in row and BASE[metric] not in row, posted.context
    assert "❌" not in posted.body, posted.context
    assert len([line for line in warnings(posted.body) if "baseline" in line.lower()]) == 1, posted.context  # one


def test_monorepo_project_in_a_subfolder(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """services/classifier/dvc.yaml, with `working-directory`: metrics auto, plot ids, params and dvc diff there."""
    project = getstarted.checkout(tmp_path / "ws", State.PULLED, subdir=MONOREPO_DIR)
    posted = github_run.run_on_pull_request(
        fake_github, project, monkeypatch, working_directory=MONOREPO_DIR, plots="ROC, Confusion-Matrix",
        dvc_diff="true",
    )  # fmt: skip
    assert posted.run.code == 0, posted.context
    rows = [metric_row(posted.body, path, "roc_auc.test") for path in (METRICS_FILE, project.path(METRICS_FILE))]
    row = next((r for r in rows if r is not None), None)
    assert row is not None and row[:2] == [BASE["roc_auc.test"], HEAD["roc_auc.test"]], posted.context
    _assert_params_changed(posted)
    assert _plot_shown(posted, "ROC") and _plot_shown(posted, "Confusion-Matrix"), posted.context
    assert re.search(r"^\| *modified *\| *(<code>)?(services/classifier/)?model\.pkl", posted.body, re.M), \
        posted.context  # fmt: skip


def test_monorepo_metrics_path_from_the_repository_root_has_baseline_values(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No working-directory: `metrics: services/classifier/eval/metrics.json` (a DVC output of the sub-project)."""
    project = getstarted.checkout(tmp_path / "ws", State.PULLED, subdir=MONOREPO_DIR)
    posted = github_run.run_on_pull_request(fake_github, project, monkeypatch, metrics=project.path(METRICS_FILE))
    assert posted.run.code == 0, posted.context
    _assert_metrics_compared(posted, project.path(METRICS_FILE))


def test_one_column_csv_is_drawn_against_the_step(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """training/loss.csv has one column (`loss`, one row per epoch), as dvclive logs it."""
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    assert (project.project / LOSS_CSV).read_text(encoding="utf-8").startswith("loss\n")
    posted = github_run.run_on_pull_request(fake_github, project, monkeypatch, plots=LOSS_CSV)
    assert posted.run.code == 0, posted.context
    assert any("loss" in alt.lower() for alt in posted.image_alts), posted.context
    assert not warned_about(posted.body, LOSS_CSV), posted.context
    assert not [line for line in posted.run.log if line.startswith("::warning") and "loss.csv" in line]
    _assert_metrics_compared(posted)  # the other sections are all there


def test_no_dvc_at_all_with_dvc_diff_posts_the_metrics_and_a_warning(
    fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain git repository (no `dvc init`) with `dvc-diff: true`: the Files changed section fails alone."""
    repo = init_repo(tmp_path / "ws")
    base = commit_files(repo, {"eval/metrics.json": '{"roc_auc": {"test": 0.8}}\n', "params.yaml": "lr: 0.1\n"})
    head = commit_files(repo, {"eval/metrics.json": '{"roc_auc": {"test": 0.85}}\n', "params.yaml": "lr: 0.2\n"})
    project = getstarted.Project(repo, tmp_path / "no-remote", "", base, head)
    posted = github_run.run_on_pull_request(
        fake_github, project, monkeypatch, metrics="eval/metrics.json", dvc_diff="true"
    )
    assert posted.run.code == 0, posted.context
    assert (metric_row(posted.body, "eval/metrics.json", "roc_auc.test") or [])[:2] == ["0.8", "0.85"], posted.context
    assert warned_about(posted.body, "dvc"), posted.context  # a warning says why there is no Files changed
    assert "Traceback" not in posted.run.stderr and not [line for line in posted.run.log if line.startswith("::error")]
    assert posted.run.outputs.get("report-file") and posted.run.summary.strip(), posted.context
