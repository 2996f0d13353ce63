"""`dvc params diff` (the installed DVC 3.x) is the oracle for the Params section: same keys, values and rows for
YAML (nested), JSON, TOML and Python params files; added, removed and changed params; dvc.yaml's choice of keys."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cml_action.dvc.runner import find_dvc
from cml_action.params_source import params_diff, params_section
from cml_action.report.params import render_params_table
from cml_action.report.table import render_metrics_json
from tests.dvc_support import oracle_env
from tests.gitutil import commit_files, git, init_repo
from tests.oracle_support import BASE, WORKING_TREE

pytestmark = pytest.mark.dvc
DVC = find_dvc() or "dvc"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if find_dvc() is None:
        pytest.skip("needs DVC in the venv")
    root = init_repo(tmp_path_factory.mktemp("params") / "repo")
    subprocess.run([str(DVC), "init", "-q"], cwd=root, check=True, env=oracle_env())
    commit_files(root, BASE, "base")
    for name, text in WORKING_TREE.items():
        (root / name).write_text(text)
    return root


def _dvc(repo: Path, *args: str) -> str:
    done = subprocess.run([str(DVC), "params", "diff", *args], cwd=repo, capture_output=True, text=True,
                          env=oracle_env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("show_all", [False, True])
def test_auto_matches_dvc_json(repo: Path, show_all: bool) -> None:
    expected = json.loads(_dvc(repo, "HEAD", "--json", *(["--all"] if show_all else [])))
    diff, warnings = params_diff(repo, ("auto",), git(repo, "rev-parse", "HEAD"))
    assert json.loads(render_metrics_json(diff, show_all=show_all)) == expected
    assert warnings == []
    assert set(expected) == {"params.yaml", "config.json", "conf.toml", "hp.py"}  # every format really differs


@pytest.mark.parametrize("show_all", [False, True])
def test_auto_matches_dvc_markdown(repo: Path, show_all: bool) -> None:
    expected = _dvc(repo, "HEAD", "--md", *(["--all"] if show_all else [])).rstrip("\n").split("\n")
    diff, _ = params_diff(repo, ("auto",), git(repo, "rev-parse", "HEAD"))
    ours = render_params_table(diff, show_all=show_all, baseline_label="HEAD", current_label="workspace")
    lines = ours.rstrip("\n").split("\n")
    # Our cells escape markdown (`[64, 32]` is sent as `\[64, 32\]`, which renders as DVC prints it), so the
    # cells are compared as rendered; DVC orders files by a set's iteration order, rows within a file sorted.
    assert _cells(lines[0]) == _cells(expected[0])
    assert sorted(map(_cells, lines[2:])) == sorted(map(_cells, expected[2:]))
    assert len(lines) > 10


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("\\[", "[").replace("\\]", "]") for cell in line.strip("|").split("|")]


def test_explicit_files_match_dvc_targets(repo: Path) -> None:
    expected = json.loads(_dvc(repo, "HEAD", "--json", "--targets", "config.json", "hp.py"))
    diff, _ = params_diff(repo, ("config.json", "hp.py"), git(repo, "rev-parse", "HEAD"))
    assert json.loads(render_metrics_json(diff)) == expected
    assert "untracked" in expected["config.json"]  # a target is diffed whole


def test_section_lists_changed_params_with_added_and_removed_ones(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    section = params_section(repo, ("params.yaml",), sha, show_all=False, baseline_label=sha[:7])
    assert section.markdown.startswith("### Params\n\n| Path        | Param           | " + sha[:7])
    rows = {tuple(cell.strip() for cell in line.split("|")[2:5]) for line in section.markdown.splitlines()[4:]}
    assert rows == {
        ("gone", "1", "-"),
        ("lr", "0.1", "0.2"),
        ("new_top", "-", "True"),
        ("train.dropout", "-", "0.5"),
        ("train.flag", "-", "yes"),
        ("train.layers", "\\[64, 32\\]", "\\[64, 64\\]"),  # escaped: renders as [64, 32]
        ("train.optimizer", "sgd", "adam"),
    }
    assert params_section(repo, ("none",), sha, show_all=False, baseline_label="x").markdown == ""


def test_an_unparsable_params_file_is_a_warning_and_missing_on_that_side(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    sha = commit_files(repo, {"params.yaml": "lr: 0.1\n"})
    (repo / "params.yaml").write_text("lr: [0.1\n")
    section = params_section(repo, ("auto",), sha, show_all=False, baseline_label=sha[:7])
    assert "| params.yaml | lr      | 0.1       | -         |" in section.markdown
    assert len(section.warnings) == 1 and section.warnings[0].startswith("current: params file 'params.yaml' line")
