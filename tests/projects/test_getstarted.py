"""The generated project is what the e2e tests say it is: DVC itself (the oracle) reads these params and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects import getstarted
from tests.projects.getstarted import METRICS_FILE, State

pytestmark = [
    pytest.mark.dvc,
    pytest.mark.slow,
    pytest.mark.skipif(not getstarted.dvc_available(), reason="DVC is not installed"),
]


def test_dvc_sees_the_params_change_and_the_metrics_of_both_commits(tmp_path: Path) -> None:
    project = getstarted.checkout(tmp_path / "ws", State.PULLED)
    params = json.loads(getstarted.run_dvc(project.project, "params", "diff", project.base, "--json"))
    assert params == {"params.yaml": {"featurize.ngrams": {"old": 1, "new": 2, "diff": 1},
                                      "train.n_est": {"old": 40, "new": 80, "diff": 40}}}  # fmt: skip
    metrics = json.loads(getstarted.run_dvc(project.project, "metrics", "diff", project.base, "--json"))
    test_auc = metrics[METRICS_FILE]["roc_auc.test"]
    assert (round(test_auc["old"], 5), round(test_auc["new"], 5)) == (0.82366, 0.84598)


def test_a_fresh_clone_has_no_dvc_outputs_and_a_shallow_one_no_baseline(tmp_path: Path) -> None:
    fresh = getstarted.checkout(tmp_path / "fresh", State.FRESH)
    assert (fresh.project / "dvc.lock").is_file() and not (fresh.project / "eval").exists()
    assert (fresh.project / getstarted.LOSS_CSV).is_file()  # uncached output: in git
    shallow = getstarted.checkout(tmp_path / "shallow", State.SHALLOW)
    assert (shallow.project / METRICS_FILE).is_file()
    assert (shallow.workspace / ".git" / "shallow").is_file()
