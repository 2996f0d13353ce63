"""Run the built images the way the forges do, without a Docker daemon: `buildah run --isolation chroot`.

buildah run executes a command in a working container but ignores the image's ENTRYPOINT, so `run_image` reads the
entrypoint from the image config and puts it in front of the arguments, as `docker run IMAGE ARGS…` does. Chroot
isolation shares the host's network, so the container reaches test servers on 127.0.0.1 like `--network host`.
Storage matches scripts/build-images (vfs, root outside the repository).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

CACHE_DIR = os.environ.get("CML_IMAGE_CACHE", "/var/cache/cml-action")
STORAGE_OPTIONS = (
    "--root",
    f"{CACHE_DIR}/containers",
    "--runroot",
    os.environ.get("CML_IMAGE_RUNROOT", "/run/cml-action/containers"),
    "--storage-driver",
    "vfs",
)
CPU_IMAGE = os.environ.get("CML_IMAGE_CPU", "localhost/cml-action:ci")
GPU_IMAGE = os.environ.get("CML_IMAGE_GPU", "localhost/cml-action:ci-gpu")
RUN_TIMEOUT_S = 300


def images_enabled() -> bool:
    return os.environ.get("CML_IMAGE_TESTS") == "1" and shutil.which("buildah") is not None


def buildah(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["buildah", *STORAGE_OPTIONS, *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=RUN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def image_config(image: str) -> dict[str, object]:
    """The OCI config of a built image (Entrypoint, Env, Labels, User, …)."""
    inspected = json.loads(buildah("inspect", "--type", "image", image).stdout)
    config = inspected["OCIv1"]["config"]
    assert isinstance(config, dict)
    return config


@dataclass(frozen=True)
class Mount:
    host: str
    container: str
    read_only: bool = False

    def option(self) -> str:
        return f"{self.host}:{self.container}" + (":ro" if self.read_only else "")


@dataclass(frozen=True)
class WorkingContainer:
    """A container made from an image; every `run` starts a fresh process in the same root filesystem."""

    name: str
    image: str
    entrypoint: tuple[str, ...] = field(default=())

    def exec(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        mounts: Sequence[Mount] = (),
        user: str | None = None,
        workdir: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `command` as is (no entrypoint)."""
        options = ["--isolation", "chroot"]
        for name, value in (env or {}).items():
            options += ["--env", f"{name}={value}"]
        for mount in mounts:
            options += ["--volume", mount.option()]
        if user is not None:
            options += ["--user", user]
        if workdir is not None:
            options += ["--workingdir", workdir]
        return buildah("run", *options, self.name, "--", *command, check=False)

    def run_image(self, args: Sequence[str] = (), **kwargs: object) -> subprocess.CompletedProcess[str]:
        """Like `docker run IMAGE ARGS…`: the image's entrypoint, then the arguments."""
        return self.exec([*self.entrypoint, *args], **kwargs)  # type: ignore[arg-type]


@contextmanager
def working_container(image: str) -> Iterator[WorkingContainer]:
    name = buildah("from", "--pull-never", image).stdout.strip()
    entrypoint = image_config(image).get("Entrypoint") or []
    assert isinstance(entrypoint, list)
    try:
        yield WorkingContainer(name, image, tuple(str(part) for part in entrypoint))
    finally:
        buildah("rm", name, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The output of a command that must have succeeded; its exit code and both streams otherwise."""
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout
