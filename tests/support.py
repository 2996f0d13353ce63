"""Shared test helpers that are not fixtures of one test module."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest


def tune_forge_options(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Make the one builder of forge options (`pipeline.forge_options`, used by the action and the CML-compatible
    commands alike) return `changes` on top of what it derives, e.g. a short timeout against a fake forge.
    Write pacing needs no tuning: set CML_WRITE_INTERVAL=0."""
    from cml_action import pipeline

    built = pipeline.forge_options
    monkeypatch.setattr(pipeline, "forge_options", lambda settings, ctx: replace(built(settings, ctx), **changes))


def read_outputs(path: Path) -> dict[str, str]:
    """Parse GITHUB_OUTPUT like the runner does (`name<<DELIM` ... `DELIM`, or `name=value`)."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            if line:
                name, value = line.split("=", 1)
                values[name] = value
            i += 1
    return values


def run_commands(log: str) -> list[str]:
    """The workflow commands a runner would act on, honouring ::stop-commands::."""
    acted: list[str] = []
    resume_token: str | None = None
    for line in log.splitlines():
        if resume_token is not None:
            if line == f"::{resume_token}::":
                resume_token = None
            continue
        if line.startswith("::stop-commands::"):
            resume_token = line.removeprefix("::stop-commands::")
        elif line.startswith("::"):
            acted.append(line)
    return acted
