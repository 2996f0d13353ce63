"""The CPU image (Dockerfile) as a job container and as the GitHub Docker action, run with buildah (chroot).

As a job container (GitHub `container:`, GitLab `image:`) the entrypoint passes commands through; as the action
it runs `cml report` with the Docker-action environment GitHub sets up: the workspace at /github/workspace owned
by the runner's uid (1001) while the container runs as root, INPUT_* variables (hyphens kept), the event file
and the file-command files mounted, the API on the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e import payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.gitutil import commit_files, init_repo
from tests.images.container import CPU_IMAGE, Mount, WorkingContainer, image_config, ok

pytestmark = pytest.mark.images

ROOT = Path(__file__).resolve().parents[2]
RUNNER_UID = 1001  # the uid GitHub's hosted runners check out the workspace as
PR = 12


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["cml", "--help"], r"(?s)usage: cml.*report"),
        (["cml-send-comment", "--help"], r"(?i)usage"),
        (["cml-publish", "--help"], r"(?i)usage"),
        (["dvc", "--version"], r"^\d+\.\d+\.\d+\s*$"),
        (["git", "--version"], r"^git version \d+\.\d+"),
        (["sh", "-c", "echo hi"], r"^hi\n$"),
    ],
)
def test_commands_pass_through_the_entrypoint(
    cpu_container: WorkingContainer, command: list[str], expected: str
) -> None:
    assert re.search(expected, ok(cpu_container.run_image(command)))


def test_gitlab_style_script_runs_through_the_entrypoint(cpu_container: WorkingContainer) -> None:
    # GitLab's Docker executor hands the job script to `sh` through the image's entrypoint.
    out = ok(cpu_container.run_image(["sh", "-c", "set -e; cd /tmp; echo step1; cml --version >/dev/null; echo step2"]))
    assert out == "step1\nstep2\n"


def test_exit_code_of_a_passed_through_command_is_kept(cpu_container: WorkingContainer) -> None:
    assert cpu_container.run_image(["sh", "-c", "exit 7"]).returncode == 7


def test_image_config_runs_the_entrypoint_script_with_labels() -> None:
    config = image_config(CPU_IMAGE)
    assert config["Entrypoint"] == ["/bin/bash", "/opt/cml/bin/cml-entrypoint"]
    assert not config.get("Cmd")  # no arguments → the action
    labels = config["Labels"]
    assert isinstance(labels, dict)
    assert labels["org.opencontainers.image.source"] == "https://github.com/iterative/cml-action"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"


def test_venv_tools_come_first_and_no_compiler_is_left(cpu_container: WorkingContainer) -> None:
    out = ok(
        cpu_container.run_image(
            ["sh", "-c", "for c in cml dvc python pip; do command -v $c; done; command -v gcc cc || echo none"]
        )
    )
    assert out.splitlines() == [
        "/opt/cml/bin/cml",
        "/opt/cml/bin/dvc",
        "/opt/cml/bin/python",
        "/opt/cml/bin/pip",
        "none",
    ]


def test_hyphenated_inputs_reach_python(cpu_container: WorkingContainer) -> None:
    # GitHub keeps the hyphen (INPUT_SEND-AS); dash would drop such a variable, the entrypoint's bash keeps it.
    done = cpu_container.run_image(
        ["python", "-c", "import os; print(os.environ['INPUT_SEND-AS'])"], env={"INPUT_SEND-AS": "none"}
    )
    assert ok(done) == "none\n"


def test_home_falls_back_to_tmp_for_a_uid_without_one(cpu_container: WorkingContainer) -> None:
    script = 'echo "$HOME"; touch "$HOME/.probe" && git config --global user.name probe && echo writable'
    out = ok(cpu_container.run_image(["sh", "-c", script], user="4242:4242", env={"HOME": "/nonexistent"}))
    assert out == "/tmp\nwritable\n"


def test_usable_home_is_kept(cpu_container: WorkingContainer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    out = cpu_container.run_image(
        ["sh", "-c", 'echo "$HOME"'], env={"HOME": "/github/home"}, mounts=[Mount(str(home), "/github/home")]
    )
    assert ok(out) == "/github/home\n"


def _foreign_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = init_repo(tmp_path / "ws")
    sha = commit_files(repo, {"README.md": "# x\n"})
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(repo)], check=True)
    return repo, sha


def test_workspace_owned_by_another_uid_is_a_safe_directory(cpu_container: WorkingContainer, tmp_path: Path) -> None:
    repo, sha = _foreign_repo(tmp_path)
    mounts = [Mount(str(repo), "/github/workspace")]
    for _ in range(2):  # the setting is in the image: a second run must not add anything
        assert ok(
            cpu_container.run_image(["git", "rev-parse", "HEAD"], mounts=mounts, workdir="/github/workspace")
        ) == (f"{sha}\n")
    assert ok(cpu_container.run_image(["git", "config", "--system", "--get-all", "safe.directory"])) == "*\n"
    # pygit2 (libgit2, what DVC's scmrepo uses) applies the same ownership check from the same file.
    probe = "import pygit2; print(pygit2.Repository('/github/workspace').head.target)"
    assert ok(cpu_container.run_image(["python", "-c", probe], mounts=mounts)) == f"{sha}\n"


def test_google_credentials_json_becomes_a_private_file(cpu_container: WorkingContainer) -> None:
    key = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}'
    script = 'case "$GOOGLE_APPLICATION_CREDENTIALS" in /tmp/*) ;; *) exit 3;; esac; '
    script += 'stat -c %a "$GOOGLE_APPLICATION_CREDENTIALS"; cat "$GOOGLE_APPLICATION_CREDENTIALS"'
    out = ok(cpu_container.run_image(["sh", "-c", script], env={"GOOGLE_APPLICATION_CREDENTIALS": key}))
    assert out == f"600\n{key}"


def test_google_credentials_path_is_left_alone(cpu_container: WorkingContainer) -> None:
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/key.json"}
    out = ok(cpu_container.run_image(["sh", "-c", 'echo "$GOOGLE_APPLICATION_CREDENTIALS"'], env=env))
    assert out == "/secrets/key.json\n"


def _action_inputs(overrides: dict[str, str]) -> dict[str, str]:
    """INPUT_* as GitHub sets them for a Docker action: every declared input with its default, name upper-cased."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update(overrides)
    return {f"INPUT_{name.upper().replace(' ', '_')}": value for name, value in values.items()}


def test_action_posts_the_report_on_the_pull_request(
    cpu_container: WorkingContainer,
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    gh = fake_github
    ws = init_repo(tmp_path / "ws")
    base = commit_files(ws, {"metrics.json": '{"acc": 0.8}\n'}, "baseline")
    head = commit_files(ws, {"metrics.json": '{"acc": 0.9}\n', "report.md": "Trained on the container.\n"}, "train")
    shutil.chown(ws, RUNNER_UID, RUNNER_UID)
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(ws)], check=True)
    gh.add_pull(gh.repo, head_sha=head, number=PR, base_sha=base)

    # The runner's side: event file, file-command files and home, mounted where GitHub mounts them.
    workflow_dir, commands_dir, home = tmp_path / "workflow", tmp_path / "file_commands", tmp_path / "home"
    for folder in (workflow_dir, commands_dir, home):
        folder.mkdir()
    event = payloads.with_commits("pull_request_opened", head=head, base=base, number=PR, repo=gh.repo)
    payloads.write(workflow_dir / "event.json", event)
    (commands_dir / "set_output").touch()
    (commands_dir / "step_summary").touch()
    for path in (workflow_dir, commands_dir, home):
        subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(path)], check=True)
        os.chmod(path, 0o777)
    for path in commands_dir.iterdir():
        os.chmod(path, 0o666)

    env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_OUTPUT": "/github/file_commands/set_output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_SHA": head,
        "GITHUB_REF": f"refs/pull/{PR}/merge",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
        **_action_inputs({"token": gh.app_token, "report": "report.md", "metrics": "metrics.json"}),
    }
    mounts = [
        Mount(str(ws), "/github/workspace"),
        Mount(str(workflow_dir), "/github/workflow"),
        Mount(str(commands_dir), "/github/file_commands"),
        Mount(str(home), "/github/home"),
    ]
    done = cpu_container.run_image([], env=env, mounts=mounts, workdir="/github/workspace")
    ok(done)
    # The token only ever appears in the add-mask command that tells the runner to hide it.
    logged = [line for line in (done.stdout + done.stderr).splitlines() if not line.startswith("::add-mask::")]
    assert not [line for line in logged if gh.app_token in line]

    [comment] = gh.issue_comments(gh.repo, PR)
    assert "<!-- cml-action:key=CML/train -->" in comment["body"]
    assert "Trained on the container." in comment["body"]
    assert re.search(r"acc.*0\.8.*0\.9", comment["body"]), comment["body"]
    outputs = (commands_dir / "set_output").read_text(encoding="utf-8")
    assert f"comment-url={comment['html_url']}" in outputs or comment["html_url"] in outputs
    assert "Trained on the container." in (commands_dir / "step_summary").read_text(encoding="utf-8")


def test_action_with_send_as_none_writes_the_report_file_only(
    cpu_container: WorkingContainer,
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    gh = fake_github
    ws = init_repo(tmp_path / "ws")
    commit_files(ws, {"metrics.json": json.dumps({"loss": 0.5})}, "one")
    head = commit_files(ws, {"metrics.json": json.dumps({"loss": 0.25})}, "two")
    subprocess.run(["chown", "-R", f"{RUNNER_UID}:{RUNNER_UID}", str(ws)], check=True)
    event = payloads.with_commits("push", head=head, repo=gh.repo)
    payloads.write(tmp_path / "event.json", event)
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_SHA": head,
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
        **_action_inputs({"token": gh.app_token, "send-as": "none", "metrics": "metrics.json", "summary": "false"}),
    }
    mounts = [Mount(str(ws), "/github/workspace"), Mount(str(tmp_path / "event.json"), "/github/workflow/event.json")]
    done = cpu_container.run_image([], env=env, mounts=mounts, workdir="/github/workspace")
    ok(done)
    assert gh.writes() == []
    match = re.search(r"Report file: (\S+)", done.stdout)
    assert match, done.stdout
