"""Leave the runner's workspace as it was: where report.md goes, how later steps find it, who owns what we wrote.

GitHub runs a Docker action as root with the runner's folders mounted (the `docker run` line in every job log):

    <work>/<repo>/<repo>  ->  /github/workspace     (GITHUB_WORKSPACE inside the container)
    <work>/_temp          ->  /github/runner_temp   (RUNNER_TEMP inside the container)

On the host those are `${{ github.workspace }}` and `${{ runner.temp }}`; a `container:` job mounts `<work>` at
`/__w` with the same layout. So `../../_temp/<x>` from the workspace names the same file on the host, in a job
container and in later steps, which is what the `report-file` output gives for a report under RUNNER_TEMP.

The container runs as root while the workspace belongs to the runner's user (uid 1001 on hosted runners): what we
create or rewrite there (a shallow fetch of the baseline writes `.git/shallow` and objects) is given back to the
workspace's owner when the run ends, or the next `git` or `rm -rf` as that user fails.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DOCKER_WORKSPACE = Path("/github/workspace")
DOCKER_RUNNER_TEMP = Path("/github/runner_temp")
DEFAULT_FOLDER = "cml-report"
# A file's ctime can lag our clock by a timestamp tick on some filesystems.
_CLOCK_SLACK_S = 2.0


def report_folder(requested: str, *, in_runner_temp: bool, workspace: Path, env: Mapping[str, str]) -> Path:
    """The folder for report.md: the one asked for (`output-dir`, relative to the project folder); on GitHub a
    fresh folder under RUNNER_TEMP (nothing written into the workspace unasked); elsewhere `cml-report`, which
    GitLab jobs keep as an artifact and the local forge is asked to write."""
    if requested:
        path = Path(requested)
        return path if path.is_absolute() else workspace / path
    temp = env.get("RUNNER_TEMP", "")
    if in_runner_temp and temp and Path(temp).is_dir():
        folder = Path(tempfile.mkdtemp(prefix="cml-report-", dir=temp))
        folder.chmod(0o755)  # mkdtemp's 0700 would hide it from a later step running as another user
        return folder
    return workspace / DEFAULT_FOLDER


def path_for_later_steps(path: Path, env: Mapping[str, str]) -> str:
    """The `report-file` output: a path that opens the report in later steps, on the host or in `container:` jobs.

    Inside a Docker action the container's paths mean nothing to later steps, so they are given relative to the
    workspace (later steps start there); anywhere else the path already is the host's."""
    if Path(env.get("GITHUB_WORKSPACE", "")) != DOCKER_WORKSPACE:
        return str(path)
    if path.is_relative_to(DOCKER_WORKSPACE):
        return str(path.relative_to(DOCKER_WORKSPACE))
    if path.is_relative_to(DOCKER_RUNNER_TEMP):
        return str(Path("../../_temp") / path.relative_to(DOCKER_RUNNER_TEMP))
    return str(path)


@contextmanager
def owned_like_their_folders(env: Mapping[str, str], workspace: Path) -> Iterator[None]:
    """Run the body; then, when running as root, give what it created or changed under the workspace (`.git`
    included) and RUNNER_TEMP to the owner of that folder. Files that were root's before stay root's."""
    started = time.time() - _CLOCK_SLACK_S
    try:
        yield
    finally:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            temp = env.get("RUNNER_TEMP", "")
            for root in (workspace, *([Path(temp)] if temp else [])):
                give_back(root, since=started)


def give_back(root: Path, *, since: float) -> int:
    """Chown to root's owner every entry under root owned by uid 0 and changed since `since`; symlinks are
    changed themselves, never followed. Returns how many entries were given back."""
    try:
        owner = root.stat()
    except OSError:
        return 0
    if owner.st_uid == 0:
        return 0  # a root-owned workspace (self-hosted runner as root): nothing to hand back
    given = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            try:
                status = os.lstat(path)
                if status.st_uid == 0 and status.st_ctime >= since:
                    os.lchown(path, owner.st_uid, owner.st_gid)
                    given += 1
            except OSError:
                continue  # vanished meanwhile, or a read-only mount: nothing to give back there
    return given
