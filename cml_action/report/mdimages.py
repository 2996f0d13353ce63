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
_IMG_TAG = re.compile(r"<img\b[^>]{0,4096}>", re.IGNORECASE)  # bounded: "<img <img …" must stay linear
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


# Hostile reports must not make the scan quadratic: a destination longer than this is not a real link (data:
# URIs excepted, but they are scanned only over URI characters), and only this many `![` are examined.
_MAX_URL = 2048
MAX_IMAGE_CANDIDATES = 1_000
_DATA_URI_STOP = re.compile(r"[^A-Za-z0-9+/=;,:._%-]")
_BRACKET_TOKEN = re.compile(r"\\.|\[|\]|\n[ \t]*\n", re.S)


def _bracket_pairs(markdown: str) -> dict[int, int]:
    """Matching `[` → `]` positions in one pass (backslash escapes honoured; a blank line ends a paragraph)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACKET_TOKEN.finditer(markdown):
        text = token.group()
        if text == "[":
            stack.append(token.start())
        elif text == "]":
            if stack:
                pairs[stack.pop()] = token.start()
        elif text[0] == "\n":
            stack.clear()
    return pairs


def _inline_and_reference_refs(markdown: str, inside: Span) -> Iterator[ImageRef]:
    definitions = _definitions(markdown, inside)
    pairs = _bracket_pairs(markdown)
    position = markdown.find("![")
    examined = 0
    while position != -1 and examined < MAX_IMAGE_CANDIDATES:
        if not inside(position) and not is_escaped(markdown, position):
            examined += 1
            yield from _image_at(markdown, position, definitions, pairs)
        position = markdown.find("![", position + 2)


def _image_at(
    markdown: str, position: int, definitions: Mapping[str, tuple[int, int]], pairs: Mapping[int, int]
) -> Iterator[ImageRef]:
    alt_end = pairs.get(position + 1)
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
        label_end = pairs.get(after)
        if label_end is not None and markdown[after + 1 : label_end].strip():
            label = markdown[after + 1 : label_end]
    span = definitions.get(_normalize_label(label))
    if span is not None:
        target = markdown[span[0] : span[1]]
        yield ImageRef(span[0], span[1], target, classify(target), "reference", alt)


def _inline_destination(markdown: str, index: int) -> tuple[int, int] | None:
    """Span of the URL in `(url "title")` starting right after `(`; None when it is not a valid destination."""
    length = len(markdown)
    while index < length and markdown[index] in " \t\n":
        index += 1
    if index < length and markdown[index] == "<":
        close = markdown.find(">", index + 1, index + _MAX_URL)
        if close == -1 or markdown.find("\n", index, close) != -1 or markdown.find("<", index + 1, close) != -1:
            return None
        return _after_title(markdown, close + 1, (index + 1, close))
    start, depth = index, 0
    if markdown.startswith("data:", start):
        stop = _DATA_URI_STOP.search(markdown, start + 5)
        end = length if stop is None else stop.start()
        return _after_title(markdown, end, (start, end)) if end > start + 5 else None
    limit = min(length, start + _MAX_URL)
    while index < limit:
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
    if index == start or index - start >= _MAX_URL:
        return None
    return _after_title(markdown, index, (start, index))


_TITLE = re.compile(r"""[ \t\n]*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))?[ \t\n]*\)""", re.S)


def _after_title(markdown: str, index: int, span: tuple[int, int]) -> tuple[int, int] | None:
    return span if _TITLE.match(markdown, index, index + _MAX_URL) else None


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
        if mapping[ref.target] == ref.target:  # unchanged: left exactly as written (no quoting of what was there)
            continue
        seen.add((ref.start, ref.end))
        pieces.append(markdown[ref.end : last])
        pieces.append(quote(mapping[ref.target], safe=_URL_SAFE))
        last = ref.start
    pieces.append(markdown[:last])
    return "".join(reversed(pieces))
