"""GitHub-style pagination: ``per_page`` (default 30, max 100), ``page`` and the ``Link`` header."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def _int(values: list[str] | None, default: int) -> int:
    try:
        return int(values[-1]) if values else default
    except ValueError:
        return default


def paginate(items: list[Any], query: dict[str, list[str]], url: str) -> tuple[list[Any], dict[str, str]]:
    """The page of ``items`` the query asks for, plus the ``Link`` header (absent when one page holds all).

    ``url`` is the absolute request URL without its query; links keep the client's other parameters in
    their order and put ``page`` last, as api.github.com does.
    """
    per_page = min(max(_int(query.get("per_page"), DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(_int(query.get("page"), 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    if last == 1:
        return chunk, {}
    kept = [(k, v) for k, values in query.items() if k != "page" for v in values]

    def link(target: int, rel: str) -> str:
        return f'<{url}?{urlencode([*kept, ("page", str(target))])}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
    if page > 1:
        links.append(link(1, "first"))
    return chunk, {"link": ", ".join(links)}
