#!/usr/bin/env python3
"""Trim GitHub's official OpenAPI description to the operations cml-action uses.

The full description (npm ``@octokit/openapi``, ``generated/api.github.com.json``) is ~13 MB; the fake GitHub
in ``tests/fakes/github`` only needs the operations below plus every component they reference, transitively.
The output is deterministic (sorted keys, one space indent) so that re-running the script on the same
input gives a byte-identical file and a reviewable diff on an upgrade.

Usage (the spec lives outside the repository, see tools/package.json)::

    npm install --prefix /var/cache/cml-action/npm @octokit/openapi@VERSION
    python tools/trim_openapi.py \\
        /var/cache/cml-action/npm/node_modules/@octokit/openapi/generated/api.github.com.json \\
        tests/fakes/github/openapi/api.github.com.trimmed.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# Every operation the fake GitHub serves: (HTTP method, path template exactly as in the spec).
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", "/user"),
    ("get", "/rate_limit"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("get", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/commits/{commit_sha}/comments"),
    ("post", "/repos/{owner}/{repo}/commits/{commit_sha}/comments"),
    ("get", "/repos/{owner}/{repo}/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/comments/{comment_id}"),
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("post", "/repos/{owner}/{repo}/git/blobs"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("post", "/repos/{owner}/{repo}/git/trees"),
    ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("post", "/repos/{owner}/{repo}/git/commits"),
    ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"),
    ("get", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}"),
)

COMPONENT_PREFIX = "#/components/"
# Top-level keys kept from the full description (tags, x-webhooks, externalDocs are not needed for validation).
KEPT_TOP_LEVEL = ("openapi", "info", "servers")


def iter_refs(node: Any) -> Iterator[str]:
    """Yield every ``$ref`` string found anywhere inside ``node``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)


def split_component_ref(ref: str) -> tuple[str, str]:
    """``#/components/schemas/foo`` → ``("schemas", "foo")``; other refs are an error (none exist today)."""
    if not ref.startswith(COMPONENT_PREFIX):
        raise ValueError(f"unsupported $ref outside components: {ref}")
    kind, _, name = ref[len(COMPONENT_PREFIX) :].partition("/")
    return kind, name.replace("~1", "/").replace("~0", "~")


def select_paths(spec: dict[str, Any], operations: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The ``paths`` object restricted to ``operations``; a missing operation is an error, not a silent gap."""
    paths: dict[str, dict[str, Any]] = {}
    for method, template in operations:
        item = spec["paths"].get(template)
        if item is None or method not in item:
            raise KeyError(f"operation not in the spec: {method.upper()} {template}")
        kept = paths.setdefault(template, {})
        kept[method] = item[method]
        if "parameters" in item:  # path-item level parameters apply to every operation
            kept["parameters"] = item["parameters"]
    return paths


def collect_components(spec: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """Every component reachable from ``roots`` through ``$ref``, grouped by kind."""
    components: dict[str, dict[str, Any]] = {}
    pending = list(iter_refs(roots))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        kind, name = split_component_ref(ref)
        target = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = target
        pending.extend(iter_refs(target))
    return components


def trim(spec: dict[str, Any], operations: Iterable[tuple[str, str]]) -> dict[str, Any]:
    paths = select_paths(spec, operations)
    trimmed: dict[str, Any] = {key: spec[key] for key in KEPT_TOP_LEVEL if key in spec}
    trimmed["paths"] = paths
    trimmed["components"] = collect_components(spec, paths)
    return trimmed


def render(trimmed: dict[str, Any]) -> str:
    # indent=1 keeps the file diffable while costing far less than indent=2 on deeply nested schemas.
    return json.dumps(trimmed, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("full_spec", type=Path, help="path to generated/api.github.com.json")
    parser.add_argument("output", type=Path, help="where to write the trimmed JSON")
    args = parser.parse_args(argv)
    spec = json.loads(args.full_spec.read_text(encoding="utf-8"))
    text = render(trim(spec, OPERATIONS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    operation_count = len(OPERATIONS)
    print(f"{args.output}: {len(text.encode())} bytes, {operation_count} operations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
