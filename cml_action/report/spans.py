"""Where markdown is not markdown: fenced code, inline code spans and HTML comments (CommonMark rules, simplified
to what reports contain). Shared by the image finder and the truncation."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

Span = Callable[[int], bool]

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Fence:
    char: str
    length: int

    @property
    def closer(self) -> str:
        return self.char * self.length


def fence_opener(line: str) -> Fence | None:
    found = _FENCE_OPEN.match(line)
    if found is None:
        return None
    fence = found.group("fence")
    if fence[0] == "`" and "`" in found.group("info"):
        return None  # a backtick fence's info string cannot contain backticks (it is inline code instead)
    return Fence(fence[0], len(fence))


def closes_fence(line: str, fence: Fence) -> bool:
    stripped = line.rstrip(" \t\r\n")
    body = stripped.lstrip(" ")
    return len(stripped) - len(body) <= 3 and len(body) >= fence.length and body == fence.char * len(body)


def fenced_blocks(markdown: str) -> list[tuple[int, int]]:
    """(start, end) of every fenced code block, fences included; an unclosed fence runs to the end."""
    blocks: list[tuple[int, int]] = []
    open_fence: Fence | None = None
    block_start = 0
    offset = 0
    for line in markdown.splitlines(keepends=True):
        if open_fence is None:
            open_fence = fence_opener(line.rstrip("\r\n"))
            block_start = offset
        elif closes_fence(line, open_fence):
            blocks.append((block_start, offset + len(line)))
            open_fence = None
        offset += len(line)
    if open_fence is not None:
        blocks.append((block_start, len(markdown)))
    return blocks


_BACKTICKS = re.compile(r"`+")


def is_escaped(text: str, position: int) -> bool:
    """True when the character at `position` is preceded by an odd number of backslashes."""
    count = 0
    while position - count - 1 >= 0 and text[position - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _code_spans(text: str, base: int) -> list[tuple[int, int]]:
    """CommonMark code spans: a backtick run closes at the next run of the same length. Runs are indexed by length
    so that many unmatched openers (hostile input) cost a bisect each, not a scan."""
    spans: list[tuple[int, int]] = []
    runs = [run for run in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for number, run in enumerate(runs):
        by_length.setdefault(len(run.group()), []).append(number)
    index = 0
    while index < len(runs):
        opener = runs[index]
        if is_escaped(text, opener.start()):
            index += 1
            continue
        same = by_length[len(opener.group())]
        slot = bisect.bisect_right(same, index)
        if slot == len(same):
            index += 1
            continue
        closer = same[slot]
        spans.append((base + opener.start(), base + runs[closer].end()))
        index = closer + 1
    return spans


def _comments(text: str, base: int) -> list[tuple[int, int]]:
    spans = []
    start = text.find("<!--")
    while start != -1:
        end = text.find("-->", start + 4)
        stop = len(text) if end == -1 else end + 3
        spans.append((base + start, base + stop))
        start = text.find("<!--", stop)
    return spans


def excluded_spans(markdown: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans where an image reference is only text."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for block_start, block_end in [*fenced_blocks(markdown), (len(markdown), len(markdown))]:
        prose = markdown[cursor:block_start]
        # Code spans bind tighter than comments: "`<!--`" is code, so comments are searched outside code spans.
        code = _code_spans(prose, cursor)
        spans.extend(code)
        pieces_start = cursor
        for code_start, code_end in [*code, (block_start, block_start)]:
            spans.extend(_comments(markdown[pieces_start:code_start], pieces_start))
            pieces_start = code_end
        if block_end > block_start:
            spans.append((block_start, block_end))
        cursor = block_end
    return sorted(spans)


def span_index(spans: list[tuple[int, int]]) -> Span:
    """A fast `position -> inside any span?` test (spans sorted and non-overlapping)."""
    starts = [start for start, _ in spans]

    def inside(position: int) -> bool:
        slot = bisect.bisect_right(starts, position) - 1
        return slot >= 0 and position < spans[slot][1]

    return inside
