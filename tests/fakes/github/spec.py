"""The trimmed OpenAPI description: path matching and request/response validation.

GitHub's description is OpenAPI 3.0 (``nullable``, components under ``#/components``); it is converted to
JSON Schema 2020-12 once. Request bodies are checked strictly: an object schema that lists ``properties``
and says nothing about ``additionalProperties`` rejects unknown keys (GitHub would silently ignore a
misspelt field, which is exactly the bug we want tests to catch). Responses are checked as the spec says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).with_name("openapi") / "api.github.com.trimmed.json"
COMPOSITIONS = ("allOf", "anyOf", "oneOf")
# GitHub answers these with its own 422 (a limit the client may legitimately hit), not a spec violation.
LIMIT_FIELDS = {("output", "summary"), ("output", "text")}


def convert(node: Any, strict: bool, in_composition: bool = False) -> Any:
    """OpenAPI 3.0 schema → JSON Schema 2020-12 (``nullable`` → null allowed; strict objects)."""
    if isinstance(node, list):
        return [convert(item, strict, in_composition) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: convert(value, strict, key in COMPOSITIONS)
        for key, value in node.items()
        if key not in ("nullable", "example", "discriminator", "xml", "externalDocs")
    }
    if strict and "properties" in out and "additionalProperties" not in out and not in_composition:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    raw: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.template)


def _template_regex(template: str, multi_segment: set[str]) -> re.Pattern[str]:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"(?P<{name}>.+)" if name in multi_segment else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", replace, re.escape(template)) + "$")


class Spec:
    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.strict_components = convert(self.doc["components"], strict=True)
        self.lenient_components = convert(self.doc["components"], strict=False)
        self.operations = self._operations()

    def _operations(self) -> list[Operation]:
        ops = []
        for template, item in self.doc["paths"].items():
            for method, raw in item.items():
                if method == "parameters":
                    continue
                multi = {p["name"] for p in self.parameters(raw) if p.get("x-multi-segment")}
                ops.append(Operation(method, template, _template_regex(template, multi), raw))
        # Literal segments first, so /commits/{sha}/pulls wins over the multi-segment /commits/{ref}.
        return sorted(ops, key=lambda op: (-len(re.sub(r"\{\w+\}", "", op.template)), op.template))

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            kind, name = node["$ref"].removeprefix("#/components/").split("/", 1)
            node = self.doc["components"][kind][name]
        return node

    def parameters(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.resolve(p) for p in raw.get("parameters", [])]

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            if op.method != method.lower():
                continue
            found = op.pattern.match(path)
            if found:
                return op, found.groupdict()
        return None

    @cache  # noqa: B019  (one Spec per process; operations are few)
    def _validator(self, method: str, template: str, where: str) -> Draft202012Validator | None:
        raw = self.doc["paths"][template][method]
        if where == "request":
            content = raw.get("requestBody", {}).get("content", {}).get("application/json")
            components = self.strict_components
            strict = True
        else:
            response = raw["responses"].get(where)
            content = self.resolve(response).get("content", {}).get("application/json") if response else None
            components = self.lenient_components
            strict = False
        if not content or "schema" not in content:
            return None
        schema = convert(content["schema"], strict)
        schema = {**schema, "components": components}
        return Draft202012Validator(schema)

    def request_problems(self, op: Operation, query: dict[str, list[str]], body: Any) -> list[str]:
        problems = self._query_problems(op, query)
        raw_body = op.raw.get("requestBody")
        if raw_body is None:
            return problems
        if body is None:
            if raw_body.get("required"):
                problems.append("request body is required")
            return problems
        validator = self._validator(op.method, op.template, "request")
        if validator is not None:
            for error in validator.iter_errors(body):
                if error.validator == "maxLength" and tuple(error.absolute_path) in LIMIT_FIELDS:
                    continue
                where = "/".join(str(p) for p in error.absolute_path) or "<body>"
                problems.append(f"body {where}: {error.message}")
        return problems

    def _query_problems(self, op: Operation, query: dict[str, list[str]]) -> list[str]:
        known = {p["name"]: p for p in self.parameters(op.raw) if p.get("in") == "query"}
        problems = []
        for name, values in query.items():
            param = known.get(name)
            if param is None:
                problems.append(f"query parameter {name!r} is not defined for {op.method.upper()} {op.template}")
                continue
            schema = convert(param.get("schema", {}), strict=False)
            for value in values:
                coerced = _coerce(value, schema)
                errors = list(Draft202012Validator(schema).iter_errors(coerced))
                problems.extend(f"query {name}={value!r}: {e.message}" for e in errors)
        return problems

    def response_problems(self, op: Operation, status: int, body: Any) -> list[str]:
        validator = self._validator(op.method, op.template, str(status))
        if validator is None or body is None:
            return []
        if isinstance(body, list) and len(body) > 2:
            # Items of one list share a shape; checking every one of 100 costs ~200 ms a page.
            body = [body[0], body[-1]]
        return [
            f"{op.method.upper()} {op.template} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """Query strings are text; turn them into the type the parameter's schema expects where possible."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


@cache
def load_spec() -> Spec:
    return Spec()
