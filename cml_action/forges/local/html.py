"""Markdown to a GitHub-like, sanitised HTML page for the local forge.

Report text is untrusted (a pull request controls it), so raw HTML in the markdown goes through an allow-list:
unknown tags are dropped (their text kept), script-like elements are dropped with their content, event handler
and style attributes are removed, and links may only use http(s), mailto, relative paths or fragments.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from importlib import resources


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ALLOWED_TAGS = _words(
    "a abbr b blockquote br code dd del details div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins kbd li ol p picture pre "
    "q s samp small source span strike strong sub summary sup table tbody td tfoot th thead tr tt u ul"
)
VOID_TAGS = _words("br hr img source embed frame")  # never have an end tag, so never hold content
# Dropped together with everything inside them.
DROP_WITH_CONTENT = _words(
    "script style iframe frame frameset object embed noscript noembed template svg math textarea select"
)
GLOBAL_ATTRIBUTES = frozenset({"title", "class", "id", "align", "lang", "dir"})
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "source": frozenset({"srcset", "media", "type"}),
    "details": frozenset({"open"}),
    "ol": frozenset({"start", "type"}),
    "td": frozenset({"colspan", "rowspan", "style"}),
    "th": frozenset({"colspan", "rowspan", "style"}),
}
URL_ATTRIBUTES = frozenset({"href", "src", "srcset"})
SAFE_STYLE = re.compile(r"text-align:\s*(left|right|center);?")  # what markdown-it emits for table alignment
SAFE_SCHEME = re.compile(r"(https?|mailto):", re.IGNORECASE)
SAFE_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
# The few shortcodes reports use; GitHub renders them as emoji (outside code).
EMOJI = {
    "x": "❌",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "warning": "⚠️",
    "red_circle": "🔴",
    "green_circle": "🟢",
    "arrow_up": "⬆️",
    "arrow_down": "⬇️",
    "small_red_triangle": "🔺",
    "small_red_triangle_down": "🔻",
    "rocket": "🚀",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
}
SHORTCODE = re.compile(r":([a-z_]+):")
ALERT_KINDS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")
ALERT_START = re.compile(r"<blockquote>\n<p>\[!(" + "|".join(ALERT_KINDS) + r")\](?:\n|</p>\n)")


def render_markdown(markdown: str) -> str:
    """GFM-like rendering (tables, strikethrough, alerts), then sanitised."""
    from markdown_it import MarkdownIt  # lazy: only the local forge renders HTML

    renderer = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
    return sanitise(_alerts(renderer.render(markdown)))


def _alerts(rendered: str) -> str:
    """GitHub alert blocks (`> [!WARNING]`) become a styled blockquote with a title line."""

    def replace(match: re.Match[str]) -> str:
        kind = match.group(1)
        opened = "<p>" if match.group(0).endswith("]\n") else ""
        return (
            f'<blockquote class="markdown-alert markdown-alert-{kind.lower()}">\n'
            f'<p class="markdown-alert-title">{kind.title()}</p>\n{opened}'
        )

    return ALERT_START.sub(replace, rendered)


def safe_url(value: str) -> bool:
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value)  # browsers ignore these inside a scheme ("java\tscript:")
    scheme = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", compact)
    if scheme is None:
        return True  # relative path, fragment or query
    return bool(SAFE_SCHEME.match(compact) or SAFE_DATA_IMAGE.match(compact))


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []  # stack of dropped elements we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag == self.dropping[-1] and tag not in VOID_TAGS:
                self.dropping.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID_TAGS:
                self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        self.out.append(f"<{tag}{self._attributes(tag, attrs)}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS or tag in DROP_WITH_CONTENT:
            if not self.dropping and tag in ALLOWED_TAGS:
                self.out.append(f"<{tag}{self._attributes(tag, attrs)}>")
            return
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in self.open:  # close what is open up to it; a stray end tag never closes the page's own elements
            while self.open:
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        text = html.escape(data, quote=False)
        if "code" not in self.open and "pre" not in self.open:
            text = SHORTCODE.sub(lambda match: EMOJI.get(match.group(1), match.group(0)), text)
        self.out.append(text)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        allowed = GLOBAL_ATTRIBUTES | TAG_ATTRIBUTES.get(tag, frozenset())
        kept: list[str] = []
        for name, value in attrs:
            text = value or ""
            if name not in allowed or (name in URL_ATTRIBUTES and not safe_url(text)):
                continue
            if name == "style" and not SAFE_STYLE.fullmatch(text.strip()):
                continue
            kept.append(f' {name}="{html.escape(text, quote=True)}"' if value is not None else f" {name}")
        return "".join(kept)

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitise(fragment: str) -> str:
    """Keep only allow-listed tags and attributes; comments, scripts and unsafe URLs are removed."""
    parser = _Sanitiser()
    parser.feed(fragment)
    return parser.result()


def page(title: str, body_html: str) -> str:
    css = resources.files("cml_action.forges.local").joinpath("report.css").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Nothing on the page may load or run anything: images come from the report folder only.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data: https:; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{css}</style>\n</head>\n"
        f'<body>\n<main class="markdown-body">\n{body_html}</main>\n</body>\n</html>\n'
    )
