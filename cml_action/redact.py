"""Secrets this process knows (tokens), replaced by *** in anything we print — including exception messages,
which may echo a URL or a header from a library."""

from __future__ import annotations

_SECRETS: set[str] = set()


def add_secret(value: str) -> None:
    # Very short values would redact ordinary words; no real token is that short.
    if len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
