"""Shared test helpers that are not fixtures of one test module."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest


def tune_forge_options(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Make the one builder of forge options (`pipeline.forge_options`, used by the action and the CML-compatible
    commands alike) return `changes` on top of what it derives, e.g. a short timeout against a fake forge.
    Write pacing needs no tuning: set CML_WRITE_INTERVAL=0."""
    from cml_action import pipeline

    built = pipeline.forge_options
    monkeypatch.setattr(pipeline, "forge_options", lambda settings, ctx: replace(built(settings, ctx), **changes))
