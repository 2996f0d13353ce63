"""Load a documented-shape event payload (tests/e2e/payloads/) with the commits of a test repository."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"
EVENT_OF = {
    "pull_request_opened": "pull_request",
    "pull_request_fork": "pull_request",
    "push": "push",
    "push_new_branch": "push",
    "workflow_dispatch": "workflow_dispatch",
    "schedule": "schedule",
}


def load(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8")))


def with_commits(
    name: str, *, head: str = "", base: str = "", before: str = "", number: int | None = None, repo: str = ""
) -> dict[str, Any]:
    """The payload with its shas (and optionally PR number / repository) replaced."""
    payload = load(name)
    pull = payload.get("pull_request")
    if pull is not None:
        if head:
            pull["head"]["sha"] = head
        if base:
            pull["base"]["sha"] = base
        if number is not None:
            pull["number"] = number
            payload["number"] = number
        if repo:
            pull["base"]["repo"]["full_name"] = repo
            if pull["head"]["repo"]["fork"] is False:
                pull["head"]["repo"]["full_name"] = repo
    if "before" in payload:
        if before:
            payload["before"] = before
        if head:
            payload["after"] = head
    if repo and "repository" in payload:
        payload["repository"]["full_name"] = repo
    return payload


def write(path: Path, payload: dict[str, Any]) -> Path:
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path
