"""CML's own watermark, so a report can take over the comment CML left (switching tools leaves one report).

CML ends each comment with `![](https://cml.dev/watermark.png#<sha> "CML watermark <label>")`: the label is its
`--watermark-title` ({workflow} and {run} replaced), empty by default, and the title is stored with `_ * [ <`
backslash-escaped (GitHub escapes them). The sha after `#` changes with every run.
"""

from __future__ import annotations

import re

CML_WATERMARK_URL = "https://cml.dev/watermark.png"
_ESCAPED_BY_CML = frozenset("_*[<")


def cml_watermark_pattern(label: str) -> str:
    """A regular expression for CML's watermark with this label, escaped by CML or not."""
    title = f"CML watermark {label}".strip()
    parts = [(r"\\?" + re.escape(ch)) if ch in _ESCAPED_BY_CML else re.escape(ch) for ch in title]
    return rf'!\[\]\({re.escape(CML_WATERMARK_URL)}#[0-9a-fA-F]+ "{"".join(parts)}"\)'
