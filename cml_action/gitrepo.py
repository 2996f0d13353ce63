"""Git plumbing: read a file at a ref, resolve and fetch a baseline, merge-base, safe.directory.

Every call runs `git -C <workspace>` with `safe.directory` passed per command (GIT_CONFIG_* env), so a workspace
owned by another uid (Docker actions, GitLab runners) works without writing to ~/.gitconfig on every run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from cml_action.errors import CmlError

ZERO_SHA = "0" * 40
OPTION_REF_PROBLEM = "cannot start with '-' (git would read it as an option)"


def checked_ref(ref: str) -> str:
    """`ref` when git cannot mistake it for an option. Refs come from inputs and event payloads:
    `--upload-pack=CMD` given to `git fetch` runs CMD, so anything starting with '-' is refused outright."""
    if ref.startswith("-"):
        raise CmlError(f"git ref '{ref}' {OPTION_REF_PROBLEM}")
    return ref


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of our git commands; `extra` adds variables for one command (a private index, an identity)
    and its own GIT_CONFIG_* entries, which are appended after ours rather than replacing them."""
    env = dict(os.environ)
    config = [("safe.directory", "*")]  # trust the workspace for this process only; never grows the global config
    added = dict(extra or {})
    for index in range(int(added.pop("GIT_CONFIG_COUNT", "0") or 0)):
        config.append((added.pop(f"GIT_CONFIG_KEY_{index}"), added.pop(f"GIT_CONFIG_VALUE_{index}")))
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for offset, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{count + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(config))
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env.update(added)
    return env


def git(workspace: Path, *args: str, check: bool = True, input_bytes: bytes | None = None,
        extra_env: Mapping[str, str] | None = None) -> bytes:  # fmt: skip
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), *args],
            input=input_bytes,
            capture_output=True,
            env=git_env(extra_env),
            check=False,
        )
    except FileNotFoundError:
        raise CmlError("git is not installed (install git, or use the cml-action container image)") from None
    if check and done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise CmlError(f"git {args[0]} failed: {detail[-1] if detail else 'exit ' + str(done.returncode)}")
    return done.stdout


def is_git_repo(workspace: Path) -> bool:
    if not workspace.is_dir():
        return False
    done = subprocess.run(
        ["git", "-C", str(workspace), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip() == b"true"


def rev_parse(workspace: Path, ref: str) -> str | None:
    """Full sha of a commit-ish, or None when it does not exist locally."""
    out = subprocess.run(
        ["git", "-C", str(workspace), "rev-parse", "--verify", "--quiet", f"{checked_ref(ref)}^{{commit}}"],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    sha = out.stdout.decode().strip()
    return sha if out.returncode == 0 and sha else None


def show_file(workspace: Path, ref: str, relpath: str) -> bytes | None:
    """Bytes of `relpath` (relative to the workspace) at `ref`, or None when the file is absent there."""
    # "./" makes the path relative to -C's directory, so a workspace below the repo top works too.
    done = subprocess.run(
        ["git", "-C", str(workspace), "cat-file", "blob", f"{checked_ref(ref)}:./{relpath}"],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def is_shallow(workspace: Path) -> bool:
    return git(workspace, "rev-parse", "--is-shallow-repository", check=False).strip() == b"true"


def fetch(workspace: Path, *refspecs: str, depth: int | None = None, deepen: int | None = None) -> bool:
    args = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules"]
    if depth is not None:
        args.append(f"--depth={depth}")
    if deepen is not None:
        args.append(f"--deepen={deepen}")
    args += ["origin", "--end-of-options", *map(checked_ref, refspecs)]
    done = subprocess.run(["git", "-C", str(workspace), *args], capture_output=True, env=git_env(), check=False)
    return done.returncode == 0


def merge_base(workspace: Path, a: str, b: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(workspace), "merge-base", "--end-of-options", checked_ref(a), checked_ref(b)],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    sha = done.stdout.decode().strip()
    return sha if done.returncode == 0 and sha else None


def ensure_commit(workspace: Path, sha_or_ref: str, *, allow_fetch: bool) -> str | None:
    """Resolve a commit, fetching it by sha (then deepening) when a shallow clone lacks it."""
    found = rev_parse(workspace, checked_ref(sha_or_ref))
    if found or not allow_fetch:
        return found
    fetch(workspace, sha_or_ref, depth=1)
    found = rev_parse(workspace, sha_or_ref)
    if found:
        return found
    for _ in range(3):
        if not is_shallow(workspace) or not fetch(workspace, deepen=50):
            break
        found = rev_parse(workspace, sha_or_ref)
        if found:
            return found
    return None


def ensure_merge_base(workspace: Path, base: str, head: str, *, allow_fetch: bool) -> str | None:
    """Merge-base of base and head, deepening a shallow clone until history connects."""
    if not (ensure_commit(workspace, base, allow_fetch=allow_fetch) and rev_parse(workspace, head)):
        return None
    found = merge_base(workspace, base, head)
    attempts = 0
    while found is None and allow_fetch and is_shallow(workspace) and attempts < 6:
        attempts += 1
        if not fetch(workspace, base, head, deepen=50 * attempts):
            break
        found = merge_base(workspace, base, head)
    return found
