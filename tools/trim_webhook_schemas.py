#!/usr/bin/env python3
"""Extract the webhook payload schemas the e2e payloads are checked against from GitHub's OpenAPI description.

Input: npm `@octokit/openapi` `generated/api.github.com.json` (outside the repository). Output: the schemas of the
events below and every component they reference, descriptions dropped, sorted keys (byte-identical on re-run).

    python tools/trim_webhook_schemas.py \\
        /var/cache/cml-action/npm/node_modules/@octokit/openapi/generated/api.github.com.json \\
        tests/e2e/payloads/webhook-schemas.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EVENTS = ("webhook-pull-request-opened", "webhook-push", "webhook-workflow-dispatch")
PREFIX = "#/components/schemas/"


def _collect(node: Any, schemas: dict[str, Any], found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX) and ref[len(PREFIX) :] not in found:
            name = ref[len(PREFIX) :]
            found.add(name)
            _collect(schemas[name], schemas, found)
        for value in node.values():
            _collect(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _collect(value, schemas, found)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not (k in ("description", "title") and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def main(argv: list[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    spec = json.loads(source.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    found = set(EVENTS)
    for name in EVENTS:
        _collect(schemas[name], schemas, found)
    trimmed = {
        "info": spec["info"]["version"],
        "components": {"schemas": {n: _strip(schemas[n]) for n in sorted(found)}},
    }
    target.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
