"""The e2e event payloads have GitHub's documented shapes: checked against the webhook schemas of GitHub's OpenAPI
description (npm @octokit/openapi, trimmed by tools/trim_webhook_schemas.py).

Our payloads are trimmed, so `required` is not enforced; every field they do carry must exist in GitHub's schema
with the documented type (invented fields are refused), and the fields a run reads must be present.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.e2e import payloads

SCHEMAS = json.loads((payloads.PAYLOADS / "webhook-schemas.json").read_text(encoding="utf-8"))
SCHEMA_OF = {
    "pull_request_opened": "webhook-pull-request-opened",
    "pull_request_fork": "webhook-pull-request-opened",
    "push": "webhook-push",
    "push_new_branch": "webhook-push",
    "workflow_dispatch": "webhook-workflow-dispatch",
}
READ_BY_A_RUN = {
    "webhook-pull-request-opened": [
        ("pull_request", "number"),
        ("pull_request", "head", "sha"),
        ("pull_request", "base", "sha"),
        ("pull_request", "head", "repo", "full_name"),
        ("pull_request", "base", "repo", "full_name"),
    ],
    "webhook-push": [("before",), ("after",)],
    "webhook-workflow-dispatch": [("ref",)],
}


def _lenient(node: Any) -> Any:
    """Drop `required`; OpenAPI 3.0 `nullable` as JSON Schema's null type."""
    if isinstance(node, dict):
        out = {k: _lenient(v) for k, v in node.items() if k not in ("required", "nullable")}
        if node.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_lenient(v) for v in node]
    return node


def validator_for(name: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator({**_lenient(SCHEMAS), "$ref": f"#/components/schemas/{name}"})


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and everything it stands for ($ref, allOf/anyOf/oneOf), flattened."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _branches(SCHEMAS["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    found = [schema]
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found += _branches(part)
    return found


def unknown_fields(payload: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Payload keys that no branch of the schema names: invented fields."""
    branches = _branches(schema)
    if isinstance(payload, list):
        items = [b["items"] for b in branches if isinstance(b.get("items"), dict)]
        return [u for item in payload for sub in items[:1] for u in unknown_fields(item, sub, where + "[]")]
    if not isinstance(payload, dict):
        return []
    properties: dict[str, list[dict[str, Any]]] = {}
    for branch in branches:
        for key, sub in branch.get("properties", {}).items():
            properties.setdefault(key, []).append(sub)
    if not properties:
        return []  # free-form object
    problems = []
    for key, value in payload.items():
        if key not in properties:
            problems.append(f"{where}.{key}")
        else:
            problems += unknown_fields(value, properties[key][0], f"{where}.{key}")
    return problems


def _dig(payload: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = payload
    for key in path:
        node = node[key]
    return node


@pytest.mark.parametrize("payload_name", list(SCHEMA_OF))
def test_payload_fields_exist_in_githubs_webhook_schema(payload_name: str) -> None:
    schema_name = SCHEMA_OF[payload_name]
    payload = payloads.load(payload_name)
    errors = sorted(validator_for(schema_name).iter_errors(payload), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert unknown_fields(payload, {"$ref": f"#/components/schemas/{schema_name}"}) == []


@pytest.mark.parametrize("payload_name", list(SCHEMA_OF))
def test_payload_carries_what_a_run_reads(payload_name: str) -> None:
    payload = payloads.load(payload_name)
    for path in READ_BY_A_RUN[SCHEMA_OF[payload_name]]:
        assert _dig(payload, path) is not None, path


def test_the_check_catches_an_invented_or_mistyped_field() -> None:
    payload = payloads.load("pull_request_opened")
    payload["pull_request"]["head"]["sha_typo"] = "x"
    payload["pull_request"]["number"] = "1347"
    messages = [e.message for e in validator_for("webhook-pull-request-opened").iter_errors(payload)]
    assert any("'1347' is not of type 'integer'" in m for m in messages)
    schema = {"$ref": "#/components/schemas/webhook-pull-request-opened"}
    assert unknown_fields(payload, schema) == [".pull_request.head.sha_typo"]
