"""The action leaves the workspace as it found it, run the way GitHub runs a Docker action: the workspace (a depth-1
checkout) and RUNNER_TEMP belong to the runner's user (uid 1001), the action runs as root. Afterwards that user can
commit, fetch and `rm -rf` everything, and nothing was written into the workspace unasked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import payloads
from tests.e2e.github_support import runner_env
from tests.fakes.github import FakeGitHub
from tests.gitutil import commit_files, init_repo
from tests.unit.test_workflow import read_outputs

ROOT = Path(__file__).resolve().parents[2]
RUNNER_UID = 1001

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as GitHub's")


@pytest.fixture
def work() -> Iterator[Path]:
    """A runner's work folder uid 1001 can reach (pytest's own tmp folders are root's, mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="cml-owner-"))
    folder.chmod(0o755)
    os.chown(folder, RUNNER_UID, RUNNER_UID)  # the runner's work folder (its origin/ stays root's)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_runner(*command: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    # The origin is a root-owned local folder here (https on GitHub): the runner user's git must trust it.
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text("[safe]\n\tdirectory = *\n", encoding="utf-8")
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(home)], check=True)
    who = {f"GIT_{role}_{field}": value for role in ("AUTHOR", "COMMITTER") for field, value in
           (("NAME", "R"), ("EMAIL", "r@example.com"))}  # fmt: skip
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", **who}
    setpriv = ["setpriv", f"--reuid={RUNNER_UID}", f"--regid={RUNNER_UID}", "--clear-groups"]
    return subprocess.run([*setpriv, *command], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def root_owned(folder: Path) -> list[str]:
    found = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.lstat().st_uid == 0]
    return sorted(found)


def test_as_root_on_a_runner_owned_shallow_checkout_nothing_is_left_behind_for_the_runner_user(
    fake_github: FakeGitHub, work: Path
) -> None:
    gh = fake_github
    origin = init_repo(work / "origin")
    base = commit_files(origin, {"eval/metrics.json": '{"acc": 0.80}\n', "report.md": "old"})
    head = commit_files(origin, {"eval/metrics.json": '{"acc": 0.90}\n', "report.md": "Hello **team**"})
    ws, temp = work / "repo" / "repo", work / "_temp"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(ws)], check=True)
    temp.mkdir()
    (temp / "_github_home").mkdir()
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(work / "repo"), str(temp)], check=True)
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    push = payloads.with_commits("push", head=head, before=base, repo=gh.repo)
    event_path = payloads.write(temp / "event.json", push)
    env = runner_env(gh, head=head, event="push", event_path=event_path, workspace=ws, runner=temp / "_github_home",
                     run_id="7")  # fmt: skip
    env |= {"RUNNER_TEMP": str(temp), "CML_WRITE_INTERVAL": "0", "INPUT_FETCH-BASELINE": "true",
            "INPUT_REPORT": "report.md", "INPUT_METRICS": "eval/metrics.json"}  # fmt: skip

    done = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=ws, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    # The baseline was fetched into the checkout.
    body = gh.commit_comments(gh.repo, head)[0]["body"]
    assert re.search(r"\| acc +\| 0\.8 +\| 0\.9 +\|", body), body
    report = Path(read_outputs(temp / "_github_home" / "output")["report-file"])
    assert report.parent.parent == temp and "Hello **team**" in report.read_text(encoding="utf-8")
    # No cml-report/ (nor anything else) in the workspace.
    assert as_runner("git", "status", "--porcelain", "--ignored", cwd=ws, home=work / "home").stdout == ""
    assert root_owned(ws) == [] and root_owned(temp) == []
    # The runner user's next steps: a commit (new objects), a deeper fetch (.git/shallow), reading the report,
    # and the runner's own cleanup.
    (ws / "new.txt").write_text("x", encoding="utf-8")
    os.chown(ws / "new.txt", RUNNER_UID, RUNNER_UID)
    for command in (["git", "add", "new.txt"], ["git", "commit", "-q", "-m", "next"], ["git", "fetch", "-q",
                    "--depth", "5", "origin"], ["cat", str(report)]):  # fmt: skip
        ran = as_runner(*command, cwd=ws, home=work / "home")
        assert ran.returncode == 0, f"{command}: {ran.stderr}"
    for folder in (ws, temp):
        ran = as_runner("rm", "-rf", str(folder), cwd=work, home=work / "home")
        assert ran.returncode == 0 and not folder.exists(), ran.stderr
