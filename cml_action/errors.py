"""Errors a user sees as one line: what is wrong, where, and how to fix it."""

from __future__ import annotations


class CmlError(Exception):
    """A failure the user can act on; printed as a single line, never as a traceback."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return self.message


class InputError(CmlError):
    """A bad input value: names the input, the problem and the fix."""

    def __init__(self, input_name: str, problem: str, fix: str, *, label: str = "", **where: object) -> None:
        from cml_action.surface import current

        self.input_name = input_name
        # `label` names where the value came from (`--metrics-precision`, CML_METRICS_PRECISION); by default the
        # setting as the reader of this surface names it (`input 'target'` in the action, `--target` on a command).
        text = f"{label or current().setting(input_name)}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text, **where)  # type: ignore[arg-type]


class PublishError(CmlError):
    """Publishing to the forge failed for good; the report is still on disk and in the summary."""


class ReadOnlyToken(CmlError):
    """The token cannot write (a fork PR): publishing is skipped, the summary and report file still happen."""
