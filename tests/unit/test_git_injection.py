"""Refs from inputs and events never reach git where it would read them as options (issue 15 item 7).

`git fetch origin --upload-pack=CMD` runs CMD: a `baseline` input or an event sha starting with `-` used to do
exactly that through the shallow-clone fetch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action import gitrepo
from cml_action.baseline import resolve_baseline
from cml_action.context import RunContext
from cml_action.errors import CmlError, InputError
from tests.gitutil import commit_files, git, init_repo


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    origin = init_repo(tmp_path / "origin")
    for i in range(3):
        commit_files(origin, {"metrics.json": f'{{"acc": {i}}}'}, f"c{i}")
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(tmp_path / "clone"))
    return tmp_path / "clone"


def _hostile(tmp_path: Path) -> tuple[str, Path]:
    canary = tmp_path / "pwned"
    return f"--upload-pack=touch {canary};git-upload-pack", canary


def test_a_baseline_input_that_looks_like_an_option_is_refused_and_runs_nothing(clone: Path, tmp_path: Path) -> None:
    ref, canary = _hostile(tmp_path)
    ctx = RunContext(forge="github", workspace=clone, head_sha=gitrepo.rev_parse(clone, "HEAD") or "")
    with pytest.raises(InputError) as caught:
        resolve_baseline(ctx, ref, allow_fetch=True)
    assert not canary.exists()
    assert str(caught.value).startswith("input 'baseline': '--upload-pack=")
    assert "cannot start with '-'" in str(caught.value)


@pytest.mark.parametrize("where", ["candidates", "merge_base"])
def test_event_refs_that_look_like_options_run_nothing(clone: Path, tmp_path: Path, where: str) -> None:
    ref, canary = _hostile(tmp_path)
    head = gitrepo.rev_parse(clone, "HEAD") or ""
    if where == "candidates":
        ctx = RunContext(forge="github", workspace=clone, head_sha=head, baseline_candidates=(ref,))
    else:
        ctx = RunContext(forge="github", workspace=clone, head_sha=head, merge_base_of=(ref, head))
    with pytest.raises(CmlError) as caught:
        resolve_baseline(ctx, "auto", allow_fetch=True)
    assert not canary.exists()
    assert "cannot start with '-'" in str(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda ws, ref: gitrepo.rev_parse(ws, ref),
        lambda ws, ref: gitrepo.show_file(ws, ref, "metrics.json"),
        lambda ws, ref: gitrepo.fetch(ws, ref, depth=1),
        lambda ws, ref: gitrepo.merge_base(ws, ref, "HEAD"),
        lambda ws, ref: gitrepo.merge_base(ws, "HEAD", ref),
        lambda ws, ref: gitrepo.ensure_commit(ws, ref, allow_fetch=True),
    ],
)
def test_every_git_call_that_takes_a_ref_refuses_an_option(clone: Path, tmp_path: Path, call: object) -> None:
    ref, canary = _hostile(tmp_path)
    with pytest.raises(CmlError, match="cannot start with '-'"):
        call(clone, ref)  # type: ignore[operator]
    assert not canary.exists()


def test_ordinary_refs_still_work(clone: Path) -> None:
    head = gitrepo.rev_parse(clone, "HEAD")
    assert head and gitrepo.show_file(clone, head, "metrics.json") == b'{"acc": 2}'
    assert gitrepo.merge_base(clone, head, "HEAD") == head
