"""Find and run the `dvc` executable (DVC stays an optional extra; we never import it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cml_action import gitrepo
from cml_action.errors import CmlError

INSTALL_HINT = "pip install 'cml-action[dvc]' or use the cml-action image"
# `dvc metrics diff` may pull from a remote; generous, but a hung remote must not hang the job forever.
DEFAULT_TIMEOUT = 900.0


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
    """Run `dvc ARGS` in the workspace; `what` names the feature for the not-installed message."""
    exe = find_dvc()
    if exe is None:
        raise DvcNotInstalled(what)
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
