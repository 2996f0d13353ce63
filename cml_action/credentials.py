"""DVC remote credentials at start-up (docs/containers.md, "Entrypoint"), the way CML's image prepared them.

CI secrets often hold a Google service-account key's JSON *content* in GOOGLE_APPLICATION_CREDENTIALS, while
Google's libraries (and so DVC's gs/gdrive remotes) expect a *path*. We write the content to a 0600 file outside
the workspace (so it can never be committed or published) and re-point the variable. Everything else a DVC
remote reads (GDRIVE_CREDENTIALS_DATA, AWS_*, AZURE_*, OSS_*) is consumed by DVC directly and passes through
unchanged. Secret values go to `mask` (the workflow's add-mask) and are never printed or put in an error.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path

from cml_action.errors import CmlError

GOOGLE_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS"
KEY_FILE_NAME = "google-application-credentials.json"
# Values DVC reads itself; masked (they are secrets) but never rewritten.
PASS_THROUGH_EXACT = ("GDRIVE_CREDENTIALS_DATA",)
PASS_THROUGH_SECRET_NAMES = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "OSS_ACCESS_KEY_SECRET",
)


def _inside(path: Path, folder: str) -> bool:
    return bool(folder) and path.resolve().is_relative_to(Path(folder).resolve())


def _secret_dir(env: MutableMapping[str, str]) -> Path:
    """A private folder under the runner's temp dir, else the system temp dir — never inside the workspace."""
    workspaces = [env.get(name, "") for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR")]
    for base in (env.get("RUNNER_TEMP", ""), tempfile.gettempdir(), "/tmp"):
        if base and Path(base).is_dir() and not any(_inside(Path(base), ws) for ws in workspaces):
            return Path(tempfile.mkdtemp(prefix="cml-credentials-", dir=base))
    raise CmlError(f"no temporary folder outside the workspace to write {GOOGLE_CREDENTIALS} to (set TMPDIR)")


def _write_private(path: Path, content: str) -> None:
    # Created 0600 from the start: there is no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)


def _json_problem(content: str) -> str | None:
    """Why the JSON does not parse, naming only the position (the text itself is a secret)."""
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return None if isinstance(parsed, dict) else "it is not a JSON object"


def _mask_json_values(content: str, mask: Callable[[str], None]) -> None:
    """Mask the whole key and its private parts: log lines show fragments, not the whole JSON."""
    mask(content)
    parsed = json.loads(content)
    for name in ("private_key", "private_key_id", "client_secret", "refresh_token"):
        value = parsed.get(name)
        if isinstance(value, str) and value:
            mask(value)
            for line in value.splitlines():
                if len(line.strip()) >= 8:
                    mask(line.strip())


def prepare_google_credentials(env: MutableMapping[str, str], mask: Callable[[str], None]) -> str | None:
    raw = env.get(GOOGLE_CREDENTIALS, "")
    content = raw.strip()
    if not content.startswith("{"):
        return None  # empty, or already a path: DVC and Google's libraries take it as it is
    mask(raw)
    problem = _json_problem(content)
    if problem:
        raise CmlError(
            f"{GOOGLE_CREDENTIALS} looks like JSON but does not parse ({problem}); "
            "store the service-account key file's exact content in the secret, or a path to the file"
        )
    _mask_json_values(content, mask)
    path = _secret_dir(env) / KEY_FILE_NAME
    _write_private(path, content)
    env[GOOGLE_CREDENTIALS] = str(path)
    return f"{GOOGLE_CREDENTIALS}: JSON content written to a private file; the variable now points to it"


def prepare_remote_credentials(env: MutableMapping[str, str], *, mask: Callable[[str], None]) -> list[str]:
    """Make DVC remote credentials usable; returns notes safe to print (they never contain a secret)."""
    notes = []
    for name in (*PASS_THROUGH_EXACT, *PASS_THROUGH_SECRET_NAMES):
        value = env.get(name, "")
        if value.strip():
            mask(value)
    google = prepare_google_credentials(env, mask)
    if google:
        notes.append(google)
    return notes
