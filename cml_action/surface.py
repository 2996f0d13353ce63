"""Who reads our errors, and how they set a value: the action's inputs (`with:` on GitHub, component `inputs:` on
GitLab) or a command's flags and variables (`cml comment create --target=pr`, REPO_TOKEN).

An error's advice names what the reader can change: `use target: auto` in a workflow's `with:`, `use
--target=auto` on a command line. The entry points choose the surface once (`using`); code that gives advice asks
`current()` how to phrase it, so the same failure reads right wherever it surfaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Surface:
    command_line: bool

    def setting(self, name: str) -> str:
        """The setting as the reader names it: `input 'target'` or `--target`."""
        return f"--{name}" if self.command_line else f"input '{name}'"

    def assign(self, name: str, value: str) -> str:
        """How the reader sets it: `target: auto` or `--target=auto`."""
        return f"--{name}={value}" if self.command_line else f"{name}: {value}"

    @property
    def token_advice(self) -> str:
        if self.command_line:
            return "pass --token, or set REPO_TOKEN in the step's env (e.g. REPO_TOKEN: ${{ secrets.GITHUB_TOKEN }})"
        return "pass `token: ${{ github.token }}` or a secret, or use send-as: none"

    @property
    def report_kept(self) -> str:
        """Where the report is when publishing failed for good."""
        if self.command_line:
            return "re-run the job; the markdown file is unchanged"
        return "the report is in the job summary and report-file"


ACTION = Surface(command_line=False)
COMMAND_LINE = Surface(command_line=True)
_current: ContextVar[Surface] = ContextVar("surface", default=ACTION)


def current() -> Surface:
    return _current.get()


@contextmanager
def using(surface: Surface) -> Iterator[None]:
    token = _current.set(surface)
    try:
        yield
    finally:
        _current.reset(token)
