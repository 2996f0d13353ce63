"""Point action.yml at the released image, for the release commit that the version tags point to.

main keeps `image: "Dockerfile"` (`uses: ./` and `@main` build it); the release commit says
`image: "docker://ghcr.io/<owner>/cml-action:vX.Y.Z"`, pinned by the full version, so `@v1.2.0` and the image
it runs cannot drift, and `@v1` (moved to the newest release commit) starts without a build.

Usage: python tools/release_action_yml.py v1.2.0 ghcr.io/iterative/cml-action [action.yml]
Exits 1 with one line when the version is not vX.Y.Z or action.yml has no `image: "Dockerfile"` line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

VERSION = re.compile(r"v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")
IMAGE = re.compile(r"[a-z0-9][a-z0-9._-]*(?:\.[a-z0-9-]+)*(?::\d+)?(?:/[a-z0-9][a-z0-9._-]*)+")
DOCKERFILE_LINE = re.compile(r'^(?P<indent>  )image: "?Dockerfile"?$', re.M)


class ReleaseError(Exception):
    pass


def rewrite(action_yml: str, version: str, image: str) -> str:
    """action.yml with its `image:` pointing at `docker://<image>:<version>`; nothing else changes."""
    if not VERSION.fullmatch(version):
        raise ReleaseError(f"version '{version}' is not vX.Y.Z (the git tag that started the release)")
    if not IMAGE.fullmatch(image):
        raise ReleaseError(f"image '{image}' is not a lower-case registry path like ghcr.io/owner/cml-action")
    matches = DOCKERFILE_LINE.findall(action_yml)
    if len(matches) != 1:
        raise ReleaseError(f'action.yml has {len(matches)} `image: "Dockerfile"` lines under runs:, expected 1')
    return DOCKERFILE_LINE.sub(lambda m: f'{m["indent"]}image: "docker://{image}:{version}"', action_yml)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    path = Path(argv[2] if len(argv) == 3 else "action.yml")
    try:
        path.write_text(rewrite(path.read_text(encoding="utf-8"), argv[0], argv[1].lower()), encoding="utf-8")
    except (ReleaseError, OSError) as exc:
        print(f"::error::release_action_yml: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: image docker://{argv[1].lower()}:{argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
