"""Open blocks at the end of a markdown piece (code fence, HTML comment, `<details>`) and how to close them, so a
cut report or a report file with an unclosed fence cannot swallow the sections after it."""

from __future__ import annotations

import re

from cml_action.report.spans import Fence, closes_fence, fence_opener

_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def closers_for(prefix: str) -> str:
    """What must follow `prefix` to close its open code fence, HTML comment and `<details>` blocks.

    A fence line counts as a fence even inside an HTML comment: closing both is harmless under either reading
    (CommonMark hides the whole comment block; a simpler renderer sees a balanced fence)."""
    fence: Fence | None = None
    in_comment = False
    details = 0
    for line in prefix.splitlines():
        if fence is not None:
            if closes_fence(line, fence):
                fence = None
            continue
        fence = fence_opener(line)
        if fence is None:
            in_comment, opened, closed = _scan_html(line, in_comment)
            details = max(0, details + opened - closed)
    closing = ""
    mid_line = bool(prefix) and not prefix.endswith("\n")
    if fence is not None:
        closing += ("\n" if mid_line else "") + fence.closer + "\n"
        mid_line = False
    if in_comment:
        closing += (" -->" if mid_line else "-->") + "\n"
        mid_line = False
    if details:
        closing += ("\n" if mid_line else "") + "</details>\n" * details
    return closing


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
