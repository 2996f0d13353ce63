"""Make untrusted text (metric names, values, file names) render as plain text.

A pull request from a fork controls the metrics files, so every name and value that reaches a markdown table, a
list item or a log line goes through here first.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Single characters that would change the structure or meaning of GitHub/GitLab markdown.
# - `\` first-class: a trailing backslash would otherwise escape the cell's closing pipe.
# - `|` splits table cells; `\|` is GFM's documented escape (works even inside code spans).
# - `<>&` would start HTML or entities; `` ` `` starts code spans; `[]` links. (`*` and `~` are handled below.)
# - `@` is followed by a zero-width space so `@user` / `@org/team` never notifies anyone.
_CHAR_ESCAPES: dict[int, str] = {
    ord("\\"): "\\\\",
    ord("|"): "\\|",
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("`"): "&#96;",
    ord("["): "\\[",
    ord("]"): "\\]",
    ord("@"): "@&#8203;",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
# Other control characters and invisible bidi overrides ("trojan source") are shown as visible escapes.
for _code in [*range(0x00, 0x20), 0x7F, 0x85, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
    _CHAR_ESCAPES.setdefault(_code, f"\\u{_code:04x}")
_CELL_TABLE = str.maketrans(_CHAR_ESCAPES)

# `_` only emphasises at a word edge (GFM ignores intraword underscores), so `train_loss` stays readable.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# `#123` (also `owner/repo#123`) creates a cross-reference in that issue's timeline.
_ISSUE_REF = re.compile(r"(?<!&)#(?=\d)")  # not the `&#NNNN;` entities inserted above
# Plain names (the vast majority: `test.roc_auc`, `loss/val`) skip all the work below.
_NEEDS_WORK = re.compile(r"[^A-Za-z0-9.,:;/+=%' _-]|::|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|(?i:(?<![A-Za-z0-9])gh-\d)")
# `GH-123` is autolinked like `#123`.
_GH_REF = re.compile(r"(?i)(?<![A-Za-z0-9])(gh)-(?=\d)")


def escape_markdown(text: str) -> str:
    """Escape `text` so it renders literally in a GitHub table cell, list item or paragraph, on one line."""
    if not _NEEDS_WORK.search(text):
        return text
    escaped = text.translate(_CELL_TABLE)
    for pairable in ("*", "~"):
        # Emphasis and strikethrough need a pair, so a lone `HEAD~1` or `a*b` stays as DVC prints it.
        if escaped.count(pairable) >= 2:
            escaped = escaped.replace(pairable, "\\" + pairable)
    if "_" in escaped:
        escaped = _EDGE_UNDERSCORE.sub(r"\\_", escaped)
    if "#" in escaped:
        escaped = _ISSUE_REF.sub("#&#8203;", escaped)
    escaped = _GH_REF.sub("\\1&#8203;-", escaped)
    # `::set-output` style workflow commands only act at a log line start, but a rendered report is also
    # printed to the job log by some users; `&#58;` renders as ':' and is never a command.
    return escaped.replace("::", ":&#58;")


# A table cell shows at most this many characters of a name or value (before escaping); longer ones end in "…".
# Every cell of a column is padded to the widest one, so one 1 MB string metric would otherwise make each row
# 1 MB wide and push the whole table out of the comment.
MAX_CELL_CHARS = 200


def shorten(text: str, limit: int = MAX_CELL_CHARS) -> str:
    """`text` when it has at most `limit` characters, else its first `limit - 1` and an ellipsis. Cut before
    escaping, so no escape (`\\|`, `&lt;`) is ever cut in half."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_cell(text: str) -> str:
    """A table cell: escaped and stripped like tabulate strips cells in `dvc metrics diff --md`."""
    return escape_markdown(text.strip())


def code_span(text: str) -> str:
    """Inline code for trusted-ish short strings (SHAs, rule text): backticks cannot be escaped inside a code
    span, so a text containing them is escaped as plain text instead."""
    single_line = " ".join(text.split())
    if "`" in single_line or not single_line:
        return escape_markdown(single_line)
    return f"`{single_line}`"


_WORKFLOW_COMMAND = re.compile(r"^(\s*)::", re.MULTILINE)


def neutralize_workflow_commands(text: str) -> str:
    """Text about to be printed to a CI log: a line starting with `::` (GitHub workflow command such as
    `::add-mask::` or `::stop-commands::`) gets a zero-width space so the runner ignores it."""
    return _WORKFLOW_COMMAND.sub("\\1:\u200b:", text)


def for_log(text: str) -> str:
    """A short untrusted string (a file name) inside a one-line message: no newlines, no command prefix."""
    return neutralize_workflow_commands(text.translate(_CONTROL_ONLY))


_CONTROL_ONLY = str.maketrans({code: f"\\u{code:04x}" for code in [*range(0x00, 0x20), 0x7F, 0x85, 0x2028, 0x2029]})


def display_width(text: str) -> int:
    """Terminal-style width (wide East Asian characters and emoji count 2, combining marks 0), used to pad
    columns the way tabulate (with wcwidth) pads `dvc metrics diff --md`."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


@functools.lru_cache(maxsize=4096)
def _char_width(char: str) -> int:
    # Cached: a column of sparklines (docs/store.md, "Trends") repeats the same few characters in every row.
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def escape_alt(text: str) -> str:
    """Alt text inside `![…]`: one line, brackets and HTML escaped (file stems and plot titles are untrusted)."""
    return escape_markdown(" ".join(text.split()))
