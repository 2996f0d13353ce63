"""DVC remotes from inside the images: the seed workflow's `dvc pull` with AWS_* (or Google, Azure, SSH) credentials.

Both images ship DVC's remote plugins (the `remotes` extra). Each plugin loads its client library only when a remote
is opened, so `import dvc_gdrive` alone proves little (PyDrive2 once failed only at that point): the probe imports
what DVC imports then. The S3 round trip runs against an S3-compatible server (moto, from the dev extra) on
127.0.0.1, which the container reaches because chroot isolation shares the host's network.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gitutil import init_repo
from tests.images.container import Mount, WorkingContainer, ok

pytestmark = pytest.mark.images

REMOTES = {"azure", "gdrive", "gs", "http", "https", "s3", "ssh"}
# What the plugins import when DVC opens a remote, and the API descriptions docker/prune_remote_data.py keeps.
PROBE = """
import importlib
for module in ("dvc_s3", "s3fs", "dvc_gs", "gcsfs", "dvc_azure", "adlfs", "azure.identity.aio", "knack.config",
               "dvc_gdrive", "pydrive2.fs", "pydrive2.auth", "oauth2client.service_account", "dvc_ssh", "sshfs",
               "dvc_http", "aiohttp_retry"):
    importlib.import_module(module)
import botocore.session
session = botocore.session.get_session()
for service in ("s3", "sts", "sso", "sso-oidc"):
    session.create_client(service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
from googleapiclient.discovery_cache import get_static_doc
assert get_static_doc("drive", "v2"), "PyDrive2's Drive v2 discovery document is missing"
print("ok")
"""
BUCKET = "cml-data"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def supported_remotes(dvc_version: str) -> set[str]:
    """The remote types under `Supports:` in `dvc version` ("\ts3 (s3fs = 2026.9.0),")."""
    block = dvc_version.split("Supports:", 1)[1].split("Config:", 1)[0]
    return set(re.findall(r"^\s+([a-z0-9]+) \(", block, flags=re.MULTILINE))


@pytest.fixture(params=["cpu", "gpu"])
def container(request: pytest.FixtureRequest) -> WorkingContainer:
    found = request.getfixturevalue(f"{request.param}_container")
    assert isinstance(found, WorkingContainer)
    return found


def test_dvc_version_lists_every_remote(container: WorkingContainer) -> None:
    assert supported_remotes(ok(container.run_image(["dvc", "version"]))) >= REMOTES


def test_every_remote_plugin_imports_its_client(container: WorkingContainer) -> None:
    assert ok(container.run_image(["python", "-c", PROBE])) == "ok\n"


@pytest.fixture
def s3_server() -> Iterator[tuple[str, Any]]:
    """(endpoint URL, boto3 client) of a fresh S3-compatible server on 127.0.0.1 with the bucket made."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield url, client
    finally:
        server.stop()


def test_dvc_push_and_pull_through_an_s3_remote(
    cpu_container: WorkingContainer, s3_server: tuple[str, Any], tmp_path: Path
) -> None:
    url, client = s3_server
    ws = init_repo(tmp_path / "ws")
    data = "x,y\n1,2\n3,4\n"
    (ws / "data").mkdir()
    (ws / "data" / "train.csv").write_text(data, encoding="utf-8")
    run = {
        # Credentials only in the environment, as the seed workflow sets them; the remote config holds none.
        "env": {**CREDENTIALS, "DVC_NO_ANALYTICS": "1"},
        "mounts": [Mount(str(ws), "/github/workspace")],
        "workdir": "/github/workspace",
    }
    push = (
        "set -e; dvc init -q; dvc remote add -d storage s3://cml-data/store; "
        f"dvc remote modify storage endpointurl {url}; dvc add -q data/train.csv; dvc push"
    )
    ok(cpu_container.run_image(["sh", "-c", push], **run))

    md5 = hashlib.md5(data.encode()).hexdigest()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [f"store/files/md5/{md5[:2]}/{md5[2:]}"]
    assert "secret" not in (ws / ".dvc" / "config").read_text(encoding="utf-8").lower()

    # A fresh job: no cache, no data; `dvc pull` brings the file back from the remote.
    pull = "set -e; rm -rf .dvc/cache data/train.csv; dvc pull; cat data/train.csv"
    assert ok(cpu_container.run_image(["sh", "-c", pull], **run)).endswith(data)
