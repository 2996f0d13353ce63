"""Secrets are redacted in every form a library may print them: as given, line by line, and escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from cml_action import redact
from cml_action.context import token_problem

SECRET = "ghs_CANARYfirst0123\nCANARY\u00e9second4567\t\"'\\end"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    saved = set(redact._SECRETS)
    yield
    redact._SECRETS.clear()
    redact._SECRETS.update(saved)


@pytest.mark.parametrize(
    "shown",
    [
        SECRET,
        repr(SECRET),  # str repr: \n and \t escaped
        repr(SECRET.encode("utf-8")),  # bytes repr, as in "Invalid header value b'Bearer …'"
        repr(SECRET.encode("latin-1")),
        repr(("Bearer " + SECRET).encode("utf-8")),
        json.dumps(SECRET),  # a JSON error body
        json.dumps(SECRET, ensure_ascii=False),
        quote(SECRET, safe=""),  # a URL
        SECRET.encode("unicode_escape").decode("ascii"),
    ],
    ids=["plain", "repr", "bytes-repr", "latin1-repr", "header-repr", "json", "json-utf8", "url", "unicode-escape"],
)
def test_every_form_of_a_secret_is_redacted(shown: str) -> None:
    redact.add_secret(SECRET)
    assert "CANARY" not in redact.redact(f"error: {shown} (details)")


def test_each_line_of_a_multi_line_secret_is_redacted_on_its_own() -> None:
    redact.add_secret(SECRET)
    for line in SECRET.splitlines():
        assert "CANARY" not in redact.redact(f"line: {line}")


def test_short_values_are_not_secrets() -> None:
    redact.add_secret("abc")
    assert redact.redact("abc def") == "abc def"


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("ghs_" + "a" * 36, None),
        ("ghs_abc\ndef", "contains a line break (character 8)"),
        ("ghs_abc def", "contains a character that is not visible ASCII (character 8)"),
        ("ghs_\u00e9t\u00e9", "contains a character that is not visible ASCII (character 5)"),
        ("ghs_\u20ac", "contains a character that is not visible ASCII (character 5)"),
    ],
)
def test_token_problems_never_quote_the_token(token: str, problem: str | None) -> None:
    assert token_problem(token) == problem
