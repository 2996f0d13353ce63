"""Open blocks at the end of a markdown piece (code fence, HTML comment, `<details>`) and how to close them, so a
cut report or a report file with an unclosed fence cannot swallow the sections after it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from cml_action.report.spans import Fence, closes_fence, fence_opener

_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class BlockState:
    """Open blocks after some lines. A fence line counts as a fence even inside an HTML comment: closing both is
    harmless under either reading (CommonMark hides the whole comment block; a simpler renderer sees a
    balanced fence)."""

    fence: Fence | None = None
    in_comment: bool = False
    details: int = 0

    def after(self, line: str) -> BlockState:
        if self.fence is not None:
            return replace(self, fence=None) if closes_fence(line, self.fence) else self
        fence = fence_opener(line)
        if fence is not None:
            return replace(self, fence=fence)
        in_comment, opened, closed = _scan_html(line, self.in_comment)
        if in_comment == self.in_comment and opened == closed == 0:
            return self
        return BlockState(None, in_comment, max(0, self.details + opened - closed))

    def closers(self, *, mid_line: bool) -> str:
        """Text that closes the open fence, then the comment, then each `<details>`."""
        closing = ""
        if self.fence is not None:
            closing += ("\n" if mid_line else "") + self.fence.closer + "\n"
            mid_line = False
        if self.in_comment:
            closing += (" -->" if mid_line else "-->") + "\n"
            mid_line = False
        if self.details:
            closing += ("\n" if mid_line else "") + _DETAILS_CLOSER * self.details
        return closing

    def closers_size(self, measure: Callable[[str], int]) -> int:
        """`measure(self.closers(mid_line=False))` without building thousands of `</details>` strings."""
        details = self.details
        return measure(replace(self, details=0).closers(mid_line=False)) + details * measure(_DETAILS_CLOSER)


_DETAILS_CLOSER = "</details>\n"


def state_after(text: str) -> BlockState:
    state = BlockState()
    for line in text.splitlines():
        state = state.after(line)
    return state


def closers_for(prefix: str) -> str:
    """What must follow `prefix` to close its open code fence, HTML comment and `<details>` blocks."""
    return state_after(prefix).closers(mid_line=bool(prefix) and not prefix.endswith("\n"))


def _scan_html(line: str, in_comment: bool) -> tuple[bool, int, int]:
    """Comment state after `line` and the `<details>` opened/closed outside comments."""
    opened = closed = 0
    position = 0
    while position <= len(line):
        if in_comment:
            end = line.find("-->", position)
            if end == -1:
                return True, opened, closed
            position, in_comment = end + 3, False
            continue
        start = line.find("<!--", position)
        visible = line[position:] if start == -1 else line[position:start]
        opened += len(_DETAILS_OPEN.findall(visible))
        closed += len(_DETAILS_CLOSE.findall(visible))
        if start == -1:
            return False, opened, closed
        position, in_comment = start + 4, True
    return in_comment, opened, closed


def close_open_blocks(text: str) -> str:
    """A report file with an unclosed fence would swallow every later section; close it at its own end."""
    closing = closers_for(text)
    if not closing:
        return text
    return text + ("" if text.endswith("\n") else "\n") + closing.lstrip("\n")
