"""The GPU image (Dockerfile.gpu), built on the Debian stand-in here (no CUDA base can be pulled, no GPU).

What can be checked without a GPU: the venv runs on the base's system python3, the commands are there, and the
entrypoint and configuration match the CPU image. CUDA itself is the base image's business.
"""

from __future__ import annotations

import re

import pytest

from tests.images.container import CPU_IMAGE, GPU_IMAGE, WorkingContainer, image_config, ok

pytestmark = pytest.mark.images


def test_cml_runs_on_the_system_python(gpu_container: WorkingContainer) -> None:
    assert re.search(r"(?s)usage: cml.*report", ok(gpu_container.run_image(["cml", "--help"])))
    # The venv's interpreter is the base's apt python3, as on nvidia/cuda (Ubuntu) images.
    probe = "import sys, cml_action, dvc, vl_convert; print(sys.base_prefix)"
    assert ok(gpu_container.run_image(["python", "-c", probe])) == "/usr\n"


def test_job_container_commands(gpu_container: WorkingContainer) -> None:
    assert re.match(r"^\d+\.\d+\.\d+\s*$", ok(gpu_container.run_image(["dvc", "--version"])))
    assert ok(gpu_container.run_image(["sh", "-c", "git --version >/dev/null && echo hi"])) == "hi\n"
    assert ok(gpu_container.run_image(["git", "config", "--system", "--get-all", "safe.directory"])) == "*\n"


def test_same_entrypoint_and_environment_as_the_cpu_image() -> None:
    gpu, cpu = image_config(GPU_IMAGE), image_config(CPU_IMAGE)
    assert gpu["Entrypoint"] == cpu["Entrypoint"] == ["/bin/bash", "/opt/cml/bin/cml-entrypoint"]
    gpu_env = {item.split("=", 1)[0]: item.split("=", 1)[1] for item in gpu["Env"]}  # type: ignore[union-attr]
    assert gpu_env["PATH"].startswith("/opt/cml/bin:")
    assert gpu_env["PYTHONUNBUFFERED"] == "1"
    labels = gpu["Labels"]
    assert isinstance(labels, dict)
    assert labels["org.opencontainers.image.title"] == "cml-action-gpu"
