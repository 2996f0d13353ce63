"""Cut the API descriptions that DVC's remote plugins ship to the services DVC calls.

Run at image build time with the venv's Python: `python prune_remote_data.py`.

Why: two dependencies of the remote plugins carry a description of every API of their cloud, of which DVC uses a
handful. botocore (dvc-s3) has ~430 AWS service models (~20 MiB, already gzipped, so ~15 MB in a compressed
image); DVC needs S3 and the services botocore asks for credentials (STS for assumed roles and web identity,
SSO and SSO-OIDC for `aws sso` profiles, Sign-In for `aws login`). google-api-python-client (dvc-gdrive, through
PyDrive2) has ~600 Google discovery documents (~110 MiB, ~16 MB compressed); PyDrive2 builds only the Drive
client from them. A user who needs the other APIs in the image reinstalls the package (docs/containers.md).
The build fails here, rather than shipping a broken remote, when a kept folder or file is missing. Prints what it
removed.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Prune:
    folder: str  # inside site-packages
    keep: frozenset[str]  # entries of the folder kept; files directly in the folder are kept when keep_files
    required: frozenset[str]  # entries that must exist (the build fails otherwise)
    keep_files: bool = False


PRUNES = (
    Prune(
        "botocore/data",
        keep=frozenset({"s3", "sts", "sso", "sso-oidc", "signin"}),
        required=frozenset({"s3", "sts", "sso", "sso-oidc", "endpoints.json", "partitions.json"}),
        keep_files=True,  # endpoints, partitions, retry and default-configuration tables
    ),
    Prune(
        "googleapiclient/discovery_cache/documents",
        keep=frozenset({"drive.v2.json", "drive.v3.json"}),
        required=frozenset({"drive.v2.json"}),  # PyDrive2: build("drive", "v2", ...), from this static copy
    ),
)


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def prune(site_packages: Path, rule: Prune) -> int:
    folder = site_packages / rule.folder
    if not folder.is_dir():
        print(f"prune_remote_data: {rule.folder} is not installed, nothing to do")
        return 0
    missing = sorted(name for name in rule.required if not (folder / name).exists())
    if missing:
        names = ", ".join(missing)
        raise SystemExit(f"prune_remote_data: {rule.folder} has no {names}: update docker/prune_remote_data.py")
    removed = 0
    for entry in sorted(folder.iterdir()):
        if entry.name in rule.keep or (rule.keep_files and entry.is_file()):
            continue
        removed += size_of(entry)
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    print(f"prune_remote_data: {rule.folder}: removed {removed / 2**20:.1f} MiB, kept {', '.join(sorted(rule.keep))}")
    return removed


def main() -> int:
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for rule in PRUNES:
        prune(site_packages, rule)
    return 0


if __name__ == "__main__":
    sys.exit(main())
