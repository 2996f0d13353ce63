"""DVC remote credentials at start-up: Google key content becomes a private file; nothing secret is printed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from cml_action.credentials import GOOGLE_CREDENTIALS, prepare_remote_credentials
from cml_action.errors import CmlError

PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
KEY = {"type": "service_account", "project_id": "p", "private_key_id": "k123456789", "private_key": PRIVATE_KEY,
       "client_email": "ci@p.iam.gserviceaccount.com"}  # fmt: skip


class Masks(list[str]):
    def __call__(self, value: str) -> None:
        self.append(value)


def test_json_content_is_written_to_a_private_file_outside_the_workspace(tmp_path: Path) -> None:
    runner_temp, workspace = tmp_path / "runner-temp", tmp_path / "workspace"
    runner_temp.mkdir()
    workspace.mkdir()
    content = "  " + json.dumps(KEY, indent=2) + "\n"
    env = {GOOGLE_CREDENTIALS: content, "RUNNER_TEMP": str(runner_temp), "GITHUB_WORKSPACE": str(workspace)}
    masks = Masks()
    notes = prepare_remote_credentials(env, mask=masks)
    written = Path(env[GOOGLE_CREDENTIALS])
    assert written.is_relative_to(runner_temp) and not written.is_relative_to(workspace)
    assert json.loads(written.read_text()) == KEY
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert content in masks and PRIVATE_KEY in masks and "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" in masks
    assert notes == [f"{GOOGLE_CREDENTIALS}: JSON content written to a private file; the variable now points to it"]
    assert "PRIVATE" not in " ".join(notes)


def test_without_runner_temp_the_file_goes_to_the_system_temp_dir(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    env = {GOOGLE_CREDENTIALS: json.dumps(KEY)}
    prepare_remote_credentials(env, mask=Masks())
    assert Path(env[GOOGLE_CREDENTIALS]).parent.parent == tmp_path


def test_a_path_is_left_alone() -> None:
    env = {GOOGLE_CREDENTIALS: "/secrets/key.json"}
    masks = Masks()
    assert prepare_remote_credentials(env, mask=masks) == []
    assert env == {GOOGLE_CREDENTIALS: "/secrets/key.json"}
    assert masks == []


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_is_untouched(value: str) -> None:
    env = {GOOGLE_CREDENTIALS: value}
    assert prepare_remote_credentials(env, mask=Masks()) == []
    assert env == {GOOGLE_CREDENTIALS: value}


def test_unset_is_untouched() -> None:
    env: dict[str, str] = {}
    assert prepare_remote_credentials(env, mask=Masks()) == []
    assert env == {}


@pytest.mark.parametrize("value", ['{"type": "service_account", "private_key": "SECRET-XYZ"', "[1]", '{"a": 1}x'])
def test_invalid_json_is_one_error_that_does_not_echo_the_secret(value: str) -> None:
    broken = value if value.startswith("{") else "{" + value
    env = {GOOGLE_CREDENTIALS: broken}
    masks = Masks()
    with pytest.raises(CmlError) as caught:
        prepare_remote_credentials(env, mask=masks)
    message = str(caught.value)
    assert message.startswith(f"{GOOGLE_CREDENTIALS} looks like JSON but does not parse (")
    assert "SECRET" not in message and "service_account" not in message
    assert "\n" not in message
    assert masks == [broken]  # masked before anything could print it
    assert env[GOOGLE_CREDENTIALS] == broken


def test_other_remote_variables_pass_through_unchanged_but_are_masked() -> None:
    env = {
        "GDRIVE_CREDENTIALS_DATA": '{"access_token": "ya29.x"}',
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "aws-secret",
        "AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountKey=az",
        "OSS_ACCESS_KEY_SECRET": "oss-secret",
        "OSS_ENDPOINT": "oss.example.com",
    }
    before = dict(env)
    masks = Masks()
    assert prepare_remote_credentials(env, mask=masks) == []
    assert env == before
    assert set(masks) == {
        '{"access_token": "ya29.x"}',
        "aws-secret",
        "DefaultEndpointsProtocol=https;AccountKey=az",
        "oss-secret",
    }


def test_a_temp_dir_inside_the_workspace_is_not_used(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "tmp").mkdir(parents=True)
    env = {GOOGLE_CREDENTIALS: json.dumps(KEY), "RUNNER_TEMP": str(workspace / "tmp"), "CI_PROJECT_DIR": str(workspace)}
    prepare_remote_credentials(env, mask=Masks())
    assert not Path(env[GOOGLE_CREDENTIALS]).is_relative_to(workspace)
