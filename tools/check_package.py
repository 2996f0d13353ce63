"""Build the Python package (wheel + sdist) and prove the wheel works: `pip install cml-action` gives `cml`.

1. `python -m build` (the PyPA builder, in a throwaway venv when the running Python lacks it) makes the sdist and
   then the wheel FROM that sdist, so a file missing from the sdist breaks the wheel here, not on PyPI.
2. Exactly one `cml_action-<version>.tar.gz` and one `cml_action-<version>-py3-none-any.whl`.
3. The wheel is installed in a fresh venv; `cml --version` prints the version and `cml report --help` runs.

Usage: python tools/check_package.py DIST_DIR [vX.Y.Z]   (release.yml: the tag must be the package's version;
       it uploads DIST_DIR to PyPI afterwards)
Exits 1 with one line naming what is wrong.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r'__version__ = "([^"]+)"')


class PackageError(Exception):
    pass


def run(*command: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise PackageError(f"{' '.join(map(str, command[:4]))} failed: " + " | ".join(tail))
    return done.stdout


def venv(folder: Path, *packages: str | Path) -> Path:
    run(sys.executable, "-m", "venv", folder)
    python = folder / "bin" / "python"
    if packages:
        run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages)
    return python


def builder(scratch: Path) -> Path:
    if importlib.util.find_spec("build") is not None:
        return Path(sys.executable)
    return venv(scratch / "build-venv", "build>=1.2")


def check(dist: Path, tag: str = "") -> tuple[Path, Path]:
    match = VERSION.search((ROOT / "cml_action" / "__init__.py").read_text(encoding="utf-8"))
    if match is None:
        raise PackageError("cml_action/__init__.py has no __version__")
    version = match.group(1)
    if tag and tag != f"v{version}":
        raise PackageError(f"tag {tag} is not the package version v{version} (set __version__ in cml_action/)")
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cml-package-") as tmp:
        scratch = Path(tmp)
        run(builder(scratch), "-m", "build", "--outdir", dist, ROOT)
        wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
        expected = (f"cml_action-{version}-py3-none-any.whl", f"cml_action-{version}.tar.gz")
        if [w.name for w in wheels] != [expected[0]] or [s.name for s in sdists] != [expected[1]]:
            found = ", ".join(p.name for p in [*wheels, *sdists]) or "nothing"
            raise PackageError(f"{dist} holds {found}; expected exactly {expected[0]} and {expected[1]}")
        python = venv(scratch / "try-venv", wheels[0])
        cml = python.parent / "cml"
        shown = run(cml, "--version", cwd=scratch).strip()
        if version not in shown:
            raise PackageError(f"the installed wheel's `cml --version` says '{shown}', expected {version}")
        run(cml, "report", "--help", cwd=scratch)
        print(f"{wheels[0].name} and {sdists[0].name}: `cml --version` in a fresh venv says '{shown}'")
        return wheels[0], sdists[0]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python tools/check_package.py DIST_DIR [vX.Y.Z]", file=sys.stderr)
        return 2
    try:
        check(Path(argv[0]).resolve(), argv[1] if len(argv) == 2 else "")
    except PackageError as exc:
        print(f"::error::check_package: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
