"""Keep precompiled bytecode only for what the action itself imports; drop it for the rest of the venv.

Run at image build time with the venv's Python: `python prune_bytecode.py cml-action`.

Why: bytecode is ~70 MB of the venv, most of it for DVC and its dependency tree. The action (`cml report`, the
`cml-*` commands) runs once per job and imports only the distributions reachable from the package's core
dependencies: those keep their `.pyc` files, so the action starts without compiling anything (and a non-root
user, who cannot write to /opt/cml, never pays for it). Everything else (DVC, vl-convert's Python shim, pip)
loses them; Python compiles those modules in memory on import, about 0.6 s more per `dvc` command, which does
seconds of work anyway. Prints what it removed.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
EXTRA_MARKER = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(dist: metadata.Distribution, extras: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    """(name, extras asked for) of what `dist` requires, installed with `extras` (e.g. pyjwt[crypto])."""
    found = []
    for requirement in dist.requires or []:
        _, _, marker = requirement.partition(";")
        wanted_extra = EXTRA_MARKER.search(marker)
        if wanted_extra and canonical(wanted_extra.group(1)) not in extras:
            continue
        match = REQUIREMENT.match(requirement)
        if match:
            asked = frozenset(canonical(e) for e in (match.group(2) or "").split(",") if e.strip())
            found.append((canonical(match.group(1)), asked))
    return found


def closure(root: str) -> set[str]:
    """The distributions the root needs without its own extras, following extras that dependencies ask for."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    pending = [(canonical(root), frozenset[str]())]
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        try:
            dist = metadata.distribution(item[0])
        except metadata.PackageNotFoundError:
            continue  # a marker excluded it on this Python
        names.add(item[0])
        pending.extend(requirements(dist, item[1]))
    return names


def kept_files(names: set[str]) -> set[Path]:
    kept: set[Path] = set()
    for name in names:
        dist = metadata.distribution(name)
        for file in dist.files or []:
            kept.add(Path(str(dist.locate_file(file))).resolve())
    return kept


def main(root: str) -> int:
    kept_names = closure(root)
    keep = kept_files(kept_names)
    site_packages = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    removed_bytes = removed_files = 0
    for folder in site_packages:
        for pyc in folder.rglob("__pycache__/*.pyc"):
            source = pyc.parent.parent / (pyc.name.split(".", 1)[0] + ".py")
            if pyc.resolve() in keep or source.resolve() in keep:
                continue
            removed_bytes += pyc.stat().st_size
            removed_files += 1
            pyc.unlink()
        for cache in sorted(folder.rglob("__pycache__"), reverse=True):
            if not any(cache.iterdir()):
                cache.rmdir()
    print(
        f"prune_bytecode: kept the bytecode of {len(kept_names)} distributions, "
        f"removed {removed_files} files ({removed_bytes // 2**20} MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cml-action"))
