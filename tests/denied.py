"""Make one file unreadable in a test. The tests run as root, which `chmod 000` cannot stop, so every way of
opening that path fails the way EACCES would."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def deny_reading(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    def denied(opener: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(file: Any, *args: Any, **kwargs: Any) -> Any:
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return opener(file, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(os, "open", denied(os.open))
    monkeypatch.setattr(io, "open", denied(io.open))
    monkeypatch.setattr(builtins, "open", denied(builtins.open))
