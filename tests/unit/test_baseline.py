"""Baseline resolution (docs/report.md, "Baseline"), including shallow clones that lack the baseline commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action import gitrepo
from cml_action.baseline import resolve_baseline
from cml_action.context import RunContext, local_context
from cml_action.errors import InputError
from tests.gitutil import commit_files, git, init_repo


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, list[str]]:
    origin = init_repo(tmp_path / "origin")
    shas = [commit_files(origin, {"metrics.json": f'{{"acc": {i}}}'}, f"c{i}") for i in range(4)]
    return origin, shas


def _shallow_clone(origin: Path, dest: Path) -> Path:
    git(dest.parent, "clone", "-q", "--depth=1", f"file://{origin}", str(dest))
    return dest


def test_local_baseline_is_head(history: tuple[Path, list[str]]) -> None:
    origin, shas = history
    baseline = resolve_baseline(local_context(origin), "auto", allow_fetch=False)
    assert baseline.sha == shas[-1]


def test_explicit_ref_missing_names_the_input(history: tuple[Path, list[str]]) -> None:
    origin, _ = history
    with pytest.raises(InputError) as caught:
        resolve_baseline(local_context(origin), "no-such-branch", allow_fetch=True)
    assert str(caught.value).startswith("input 'baseline': 'no-such-branch' is not a commit in this repository")


def test_shallow_clone_fetches_push_before(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    origin, shas = history
    clone = _shallow_clone(origin, tmp_path / "clone")
    assert gitrepo.rev_parse(clone, shas[1]) is None
    ctx = RunContext(forge="github", workspace=clone, head_sha=shas[-1], baseline_candidates=(shas[1],))
    assert resolve_baseline(ctx, "auto", allow_fetch=True).sha == shas[1]
    assert gitrepo.show_file(clone, shas[1], "metrics.json") == b'{"acc": 1}'


def test_shallow_clone_deepens_for_head_parent(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    origin, shas = history
    clone = _shallow_clone(origin, tmp_path / "clone")
    ctx = RunContext(forge="github", workspace=clone, head_sha=shas[-1], baseline_candidates=("HEAD~1",))
    assert resolve_baseline(ctx, "auto", allow_fetch=True).sha == shas[-2]


def test_no_fetch_means_no_baseline_and_a_warning(history: tuple[Path, list[str]], tmp_path: Path) -> None:
    origin, shas = history
    clone = _shallow_clone(origin, tmp_path / "clone")
    assert _warning_without_baseline(clone, shas[-1], allow_fetch=False) == (
        "No baseline: the clone is shallow and fetch-baseline is false, so the baseline commit (HEAD~1) is not in it; "
        "values are shown without a baseline (set fetch-baseline: true, or fetch-depth: 0 on actions/checkout)"
    )


def test_first_commit_has_no_baseline_and_says_so(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "one")
    sha = commit_files(repo, {"a": "1"})
    assert _warning_without_baseline(repo, sha, allow_fetch=True) == (
        "No baseline commit was found (HEAD~1: first commit, or history not fetched): values are shown without "
        "a baseline"
    )


def _warning_without_baseline(workspace: Path, head: str, *, allow_fetch: bool) -> str:
    ctx = RunContext(forge="github", workspace=workspace, head_sha=head, baseline_candidates=("HEAD~1",))
    baseline = resolve_baseline(ctx, "auto", allow_fetch=allow_fetch)
    assert baseline.sha is None
    return baseline.warning


def test_merge_base_of_pr(tmp_path: Path) -> None:
    origin = init_repo(tmp_path / "origin")
    fork_point = commit_files(origin, {"a": "1"})
    git(origin, "checkout", "-q", "-b", "feature")
    head = commit_files(origin, {"a": "2"})
    git(origin, "checkout", "-q", "main")
    base = commit_files(origin, {"b": "1"})
    clone = _shallow_clone(origin, tmp_path / "clone")
    git(clone, "fetch", "-q", "--depth=1", "origin", head)
    ctx = RunContext(forge="github", workspace=clone, head_sha=head, merge_base_of=(base, head))
    assert resolve_baseline(ctx, "auto", allow_fetch=True).sha == fork_point


def test_zero_before_is_skipped(history: tuple[Path, list[str]]) -> None:
    origin, shas = history
    ctx = RunContext(forge="github", workspace=origin, head_sha=shas[-1],
                     baseline_candidates=(gitrepo.ZERO_SHA, "HEAD~1"))  # fmt: skip
    assert resolve_baseline(ctx, "auto", allow_fetch=False).sha == shas[-2]
