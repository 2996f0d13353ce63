"""`cml metrics diff` and `cml params diff` take DVC's arguments and print what the installed DVC 3.x prints for
them (`dvc metrics diff` / `dvc params diff` are the oracles): two revisions or one and the working tree,
`--targets a b`, a directory target, `--all`, `--no-path`, `--precision`, `--json`/`--md`, `--deps`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cml_action import cli
from tests.dvc_support import oracle_env
from tests.gitutil import commit_files, init_repo
from tests.oracle_support import BASE, DVC, WORKING_TREE
from tests.oracle_support import metrics_repo as metrics_repo

pytestmark = pytest.mark.dvc


def _dvc(repo: Path, *args: str) -> str:
    done = subprocess.run([str(DVC), *args], cwd=repo, capture_output=True, text=True, env=oracle_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def _ours(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(repo)
    code = cli.main(["metrics" if args[0] == "metrics" else "params", *args[1:]])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _same_table(ours: str, expected: str) -> None:
    """The same header and rows, compared cell by cell as rendered (our cells escape `[`, which renders as DVC
    prints it); rows as sets (DVC orders files by a set's iteration order); both end with DVC's blank line."""
    assert ours.endswith("|\n\n") and expected.endswith("|\n\n")
    mine = [_cells(line) for line in ours.rstrip("\n").split("\n")]
    theirs = [_cells(line) for line in expected.rstrip("\n").split("\n")]
    assert mine[0] == theirs[0]
    assert sorted(mine[2:]) == sorted(theirs[2:])
    assert len(mine) > 3


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("\\[", "[").replace("\\]", "]") for cell in line.strip("|").split("|")]


METRICS_CASES = [
    ("HEAD~1", "HEAD", "--md"),
    ("HEAD~1", "HEAD", "--md", "--all", "--precision", "2"),
    ("HEAD~1", "--md", "--no-path"),
    ("--md", "--targets", "eval/metrics.json", "eval/train.yaml", "--", "HEAD~1"),
    ("--md", "--targets", "eval", "-R", "--", "HEAD~1", "HEAD"),
]


@pytest.mark.parametrize("args", METRICS_CASES, ids=" ".join)
def test_metrics_diff_markdown_is_dvcs(
    metrics_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    expected = _dvc(metrics_repo, "metrics", "diff", *args)
    _same_table(_ours(metrics_repo, capsys, monkeypatch, "metrics", "diff", *args), expected)


@pytest.mark.parametrize(
    "args",
    [("HEAD~1", "HEAD", "--json"), ("HEAD~1", "--json", "--all"), ("--json", "--targets", "eval", "--", "HEAD~1")],
    ids=" ".join,
)
def test_metrics_diff_json_is_dvcs(
    metrics_repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    expected = json.loads(_dvc(metrics_repo, "metrics", "diff", *args))
    assert json.loads(_ours(metrics_repo, capsys, monkeypatch, "metrics", "diff", *args)) == expected
    assert len(expected) >= 2


@pytest.fixture(scope="module")
def params_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = init_repo(tmp_path_factory.mktemp("pdiff") / "repo")
    subprocess.run([str(DVC), "init", "-q"], cwd=root, check=True, env=oracle_env())
    commit_files(root, BASE, "base")
    commit_files(root, WORKING_TREE, "tuned")
    (root / "params.yaml").write_text("lr: 0.3\nseed: 8\n")  # the working tree differs from both commits
    return root


@pytest.mark.parametrize(
    "args",
    [
        ("HEAD~1", "HEAD", "--md"),
        ("HEAD~1", "HEAD", "--md", "--all", "--no-path"),
        ("HEAD~1", "--md"),
        ("HEAD~1", "HEAD", "--md", "--deps"),
        ("--md", "--targets", "config.json", "hp.py", "--", "HEAD~1", "HEAD"),
    ],
    ids=" ".join,
)
def test_params_diff_markdown_is_dvcs(
    params_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    expected = _dvc(params_repo, "params", "diff", *args)
    _same_table(_ours(params_repo, capsys, monkeypatch, "params", "diff", *args), expected)


@pytest.mark.parametrize("args", [("HEAD~1", "HEAD", "--json", "--all"), ("HEAD~1", "--json", "--deps")], ids=" ".join)
def test_params_diff_json_is_dvcs(
    params_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    expected = json.loads(_dvc(params_repo, "params", "diff", *args))
    assert json.loads(_ours(params_repo, capsys, monkeypatch, "params", "diff", *args)) == expected
    assert len(expected) >= 2


def test_a_revision_that_does_not_exist_is_one_line(
    params_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(params_repo)
    assert cli.main(["params", "diff", "nope"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [
        "error: a_rev: unknown git revision 'nope' (give a commit, branch or tag; fetch it first in a shallow clone)"
    ]
