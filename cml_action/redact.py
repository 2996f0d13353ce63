"""Secrets this process knows (tokens), replaced by *** in anything we print — including exception messages,
which may echo a URL or a header from a library, often escaped: `Invalid header value b'Bearer …\\n…'` shows a
token's newline as `\\n`, a JSON error body as `\\u00e9`, a URL as `%0A`. Each secret is registered in those forms
too, and line by line (a library may print one line of a multi-line value)."""

from __future__ import annotations

import json
from urllib.parse import quote

_SECRETS: set[str] = set()
# Very short values would redact ordinary words; no real token (or token line) is that short.
_MIN_LENGTH = 6


def _forms(value: str) -> set[str]:
    forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {quote(value, safe=""), quote(value), value.encode("unicode_escape").decode("ascii")}
    for encoding in ("utf-8", "latin-1"):
        try:
            forms.add(repr(value.encode(encoding))[2:-1])
        except UnicodeEncodeError:
            continue
    return forms


def add_secret(value: str) -> None:
    for part in {value, *value.splitlines()}:
        for form in _forms(part):
            if len(form) >= _MIN_LENGTH:
                _SECRETS.add(form)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
