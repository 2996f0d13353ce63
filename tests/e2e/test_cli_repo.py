"""`cml ci` / `cml repo prepare` on a depth-1 CI clone: git identity in the repo's config, history on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitutil import commit_files, git, init_repo

BIN = Path(sys.executable).parent


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    upstream = init_repo(tmp_path / "upstream")
    for number in range(4):
        commit_files(upstream, {"f.txt": f"{number}\n"}, message=f"c{number}")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{upstream}", str(tmp_path / "clone")], check=True)
    return tmp_path / "clone"


def cml(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CML_", "GIT_"))}
    return subprocess.run([str(BIN / "cml"), *argv], cwd=cwd, env={**base, **env, "HOME": str(cwd.parent)},
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def depth(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def test_fetch_depth_deepens_then_zero_fetches_everything(clone: Path) -> None:
    assert depth(clone) == 1
    done = cml(clone, "ci", "--fetch-depth", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "history: 2 commit(s) deep"
    assert depth(clone) == 2
    done = cml(clone, "repo", "prepare", "--fetch-depth=0")
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "history: complete")
    assert depth(clone) == 4 and git(clone, "rev-parse", "--is-shallow-repository") == "false"


def test_unshallow_is_cmls_older_spelling(clone: Path) -> None:
    assert cml(clone, "ci", "--unshallow").returncode == 0
    assert depth(clone) == 4


def test_identity_goes_to_the_repository_config_only(clone: Path) -> None:
    done = cml(clone, "ci", "--user-name", "Trainer", "--user-email", "trainer@example.com")
    assert done.returncode == 0, done.stderr
    assert (git(clone, "config", "--local", "user.name"), git(clone, "config", "--local", "user.email")) == (
        "Trainer",
        "trainer@example.com",
    )
    assert not (clone.parent / ".gitconfig").exists()  # HOME's global config untouched
    assert depth(clone) == 1  # no fetch asked for, none made


def test_cml_ci_variables_are_read(clone: Path) -> None:
    done = cml(clone, "ci", CML_CI_USER_NAME="From Env", CML_CI_FETCH_DEPTH="3")
    assert done.returncode == 0, done.stderr
    assert git(clone, "config", "--local", "user.name") == "From Env"
    assert depth(clone) == 3


def test_the_token_is_never_written_into_the_checkout(clone: Path) -> None:
    token = "ghs_CANARYrepoPrepare0000000000000000000"
    done = cml(clone, "ci", "--fetch-depth", "0", "--token", token, REPO_TOKEN=token, GITHUB_TOKEN=token)
    assert done.returncode == 0, done.stderr
    assert token not in (clone / ".git" / "config").read_text(encoding="utf-8")
    assert token not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["ci", "--fetch-depth", "-1"], "error: --fetch-depth: -1 is below 0"),
        (["ci", "--fetch-depth", "x"], "error: cml ci: argument --fetch-depth: invalid int value: 'x'"),
    ],
)
def test_bad_values_are_one_line(clone: Path, argv: list[str], line: str) -> None:
    done = cml(clone, *argv)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()] and done.stderr.startswith(line)


def test_outside_a_checkout_is_one_line(tmp_path: Path) -> None:
    done = cml(tmp_path, "ci")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cml ci: {tmp_path.resolve()} is not a git checkout")
