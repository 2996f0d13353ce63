"""Find image references in report markdown and rewrite their URLs by exact span.

Recognised: inline `![alt](url "title")` (also `<url>`), reference-style `![alt][id]` / `![alt][]` / `![id]` with
their `[id]: url` definition, HTML `<img src=…>` (double, single or no quotes), and `data:image/…;base64,…` in any
of them. References inside fenced code blocks, inline code spans and HTML comments are ignored. Only the URL span
is ever replaced, so the rest of the document stays byte-identical.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from cml_action.report.spans import Span, excluded_spans, is_escaped, span_index

Kind = Literal["local", "remote", "data"]
Syntax = Literal["inline", "reference", "html"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_DEFINITION = re.compile(
    r"^ {0,3}\[(?P<label>(?:[^\]\\\n]|\\.){1,999})\]:[ \t]*\n?[ \t]*(?:<(?P<angle>[^<>\n]*)>|(?P<bare>[^\s<][^\s]*))"
    r"(?=[ \t]|$)",
    re.MULTILINE,
)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC_ATTR = re.compile(r"""[\s/]src\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+))""", re.I)


@dataclass(frozen=True)
class ImageRef:
    """`start`/`end` delimit the URL text inside the markdown (without `<>` or quotes)."""

    start: int
    end: int
    target: str
    kind: Kind
    syntax: Syntax
    alt: str

    @property
    def path(self) -> str:
        """For a local ref: the file path it names (escapes, `%20`, `?query` and `#fragment` removed)."""
        text = html.unescape(self.target) if self.syntax == "html" else _BACKSLASH_ESCAPE.sub(r"\1", self.target)
        return unquote(re.split(r"[?#]", text, maxsplit=1)[0])


def classify(target: str) -> Kind:
    if target[:5].lower() == "data:":
        return "data"
    if target.startswith("//") or _SCHEME.match(target):
        return "remote"  # http(s) and any other scheme: left alone
    return "local"


def find_image_refs(markdown: str) -> tuple[ImageRef, ...]:
    skip = excluded_spans(markdown)
    inside = span_index(skip)
    refs = [*_inline_and_reference_refs(markdown, inside), *_html_refs(markdown, inside)]
    unique: dict[tuple[int, int], ImageRef] = {}
    for ref in refs:
        unique.setdefault((ref.start, ref.end), ref)  # a shared reference definition counts once
    return tuple(sorted(unique.values(), key=lambda ref: ref.start))


def _html_refs(markdown: str, inside: Span) -> Iterator[ImageRef]:
    for tag in _IMG_TAG.finditer(markdown):
        if inside(tag.start()):
            continue
        src = _SRC_ATTR.search(tag.group())
        if src is None:
            continue
        group = next(name for name in ("dq", "sq", "uq") if src.group(name) is not None)
        start, end = tag.start() + src.start(group), tag.start() + src.end(group)
        target = markdown[start:end]
        if target.strip():
            alt = re.search(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag.group(), re.I)
            alt_text = html.unescape((alt.group(1) or alt.group(2) or "") if alt else "")
            yield ImageRef(start, end, target, classify(target), "html", alt_text)


def _inline_and_reference_refs(markdown: str, inside: Span) -> Iterator[ImageRef]:
    definitions = _definitions(markdown, inside)
    position = markdown.find("![")
    while position != -1:
        if not inside(position) and not is_escaped(markdown, position):
            yield from _image_at(markdown, position, definitions)
        position = markdown.find("![", position + 2)


def _image_at(markdown: str, position: int, definitions: Mapping[str, tuple[int, int]]) -> Iterator[ImageRef]:
    alt_end = _closing_bracket(markdown, position + 1)
    if alt_end is None:
        return
    alt = markdown[position + 2 : alt_end]
    after = alt_end + 1
    if markdown.startswith("(", after):
        found = _inline_destination(markdown, after + 1)
        if found is not None:
            start, end = found
            target = markdown[start:end]
            yield ImageRef(start, end, target, classify(target), "inline", alt)
        return
    label = alt
    if markdown.startswith("[", after):
        label_end = _closing_bracket(markdown, after)
        if label_end is not None and markdown[after + 1 : label_end].strip():
            label = markdown[after + 1 : label_end]
    span = definitions.get(_normalize_label(label))
    if span is not None:
        target = markdown[span[0] : span[1]]
        yield ImageRef(span[0], span[1], target, classify(target), "reference", alt)


def _closing_bracket(markdown: str, open_at: int) -> int | None:
    """Index of the `]` matching the `[` at `open_at` (nesting and backslash escapes honoured, one paragraph)."""
    depth = 0
    index = open_at
    while index < len(markdown):
        char = markdown[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        elif char == "\n" and markdown.startswith("\n", index + 1):
            return None  # a blank line ends the paragraph
        index += 1
    return None


def _inline_destination(markdown: str, index: int) -> tuple[int, int] | None:
    """Span of the URL in `(url "title")` starting right after `(`; None when it is not a valid destination."""
    length = len(markdown)
    while index < length and markdown[index] in " \t\n":
        index += 1
    if index < length and markdown[index] == "<":
        close = markdown.find(">", index + 1)
        if close == -1 or "\n" in markdown[index:close] or "<" in markdown[index + 1 : close]:
            return None
        return _after_title(markdown, close + 1, (index + 1, close))
    start, depth = index, 0
    while index < length:
        char = markdown[index]
        if char == "\\":
            index += 2
            continue
        if char.isspace() or ord(char) < 0x20:
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        index += 1
    if index == start:
        return None
    return _after_title(markdown, index, (start, index))


_TITLE = re.compile(r"""[ \t\n]*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))?[ \t\n]*\)""", re.S)


def _after_title(markdown: str, index: int, span: tuple[int, int]) -> tuple[int, int] | None:
    return span if _TITLE.match(markdown, index) else None


def _normalize_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _definitions(markdown: str, inside: Span) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for match in _DEFINITION.finditer(markdown):
        if inside(match.start()):
            continue
        group = "angle" if match.group("angle") is not None else "bare"
        # CommonMark: the first definition of a label wins.
        found.setdefault(_normalize_label(match.group("label")), (match.start(group), match.end(group)))
    return found


# Characters kept as-is in a rewritten URL; everything else (spaces, quotes, parens, <>) is %-encoded so the
# new URL cannot end the markdown destination or the HTML attribute early.
_URL_SAFE = ":/?#[]@!$&*+,;=%~-._"


def rewrite_image_refs(markdown: str, mapping: Mapping[str, str]) -> str:
    """Replace each ref whose raw `target` is a key of `mapping` by its value, by span, right to left."""
    pieces: list[str] = []
    last = len(markdown)
    seen: set[tuple[int, int]] = set()
    for ref in sorted(find_image_refs(markdown), key=lambda item: item.start, reverse=True):
        if ref.target not in mapping or (ref.start, ref.end) in seen or ref.end > last:
            continue
        seen.add((ref.start, ref.end))
        pieces.append(markdown[ref.end : last])
        pieces.append(quote(mapping[ref.target], safe=_URL_SAFE))
        last = ref.start
    pieces.append(markdown[:last])
    return "".join(reversed(pieces))
