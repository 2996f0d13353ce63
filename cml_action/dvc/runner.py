"""Find and run the `dvc` executable (DVC stays an optional extra; we never import it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cml_action import gitrepo
from cml_action.errors import CmlError

INSTALL_HINT = "pip install 'cml-action[dvc]' or use the cml-action image"
# `dvc metrics diff` may pull from a remote; generous, but a hung remote must not hang the job forever.
DEFAULT_TIMEOUT = 900.0
LOCK_BUSY = "Unable to acquire lock"  # DVC's words when another DVC process holds the repository lock
LOCK_RETRY_WAITS = (0.5, 1.0, 2.0)


class DvcNotInstalled(CmlError):
    """DVC is needed for what was asked but no `dvc` executable was found."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} but DVC is not installed ({INSTALL_HINT})")


@dataclass(frozen=True)
class DvcRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        """The last ERROR line DVC printed (its own one-line explanation), else the last stderr line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")]
        return (errors or lines or [f"exit {self.returncode}"])[-1]


def find_dvc() -> str | None:
    """`CML_DVC` when set (DVC installed apart, e.g. with pipx), else `dvc` installed next to our interpreter
    (same venv / image), then PATH."""
    chosen = os.environ.get("CML_DVC", "").strip()
    if chosen:
        return shutil.which(chosen)
    beside = Path(sys.executable).parent / ("dvc.exe" if os.name == "nt" else "dvc")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("dvc")


def dvc_env() -> dict[str, str]:
    env = gitrepo.git_env()  # safe.directory for the workspace, same as our own git calls
    env["DVC_NO_ANALYTICS"] = "1"  # never phone home from CI
    env.setdefault("DVC_IGNORE_ISATTY", "true")
    return env


def run_dvc(workspace: Path, args: Sequence[str], *, what: str, timeout: float = DEFAULT_TIMEOUT) -> DvcRun:
    """Run `dvc ARGS` in the workspace; `what` names the feature for the not-installed message.

    The report's sections run their DVC commands side by side (they only read); should DVC ever answer that its
    repository lock is taken, the command is tried again after a short wait instead of failing the section."""
    exe = find_dvc()
    if exe is None:
        raise DvcNotInstalled(what)
    for wait in (*LOCK_RETRY_WAITS, None):
        done = _run_once(exe, workspace, args, timeout)
        if wait is None or done.returncode == 0 or LOCK_BUSY not in done.stderr:
            return done
        time.sleep(wait)
    raise AssertionError("unreachable")


def _run_once(exe: str, workspace: Path, args: Sequence[str], timeout: float) -> DvcRun:
    try:
        done = subprocess.run(
            [exe, *args],
            cwd=workspace,
            capture_output=True,
            env=dvc_env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CmlError(f"dvc {args[0]} did not finish within {int(timeout)} s") from None
    return DvcRun(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
