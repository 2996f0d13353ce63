"""Image references inside report markdown: found with exact spans, rewritten by span."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cml_action.report.mdimages import MAX_IMAGE_CANDIDATES, find_image_refs, rewrite_image_refs

DOC = """# Report
![conf](plots/confusion.png "Confusion")
![roc](<plots/my roc.png>) and ![web](https://example.com/a.png) ![proto](//cdn.example/x.png)
`![no](inline-code.png)` and ``![no](double `tick`.png)``
```md
![no](fenced.png)
```
~~~
<img src="fenced-tilde.png">
~~~
![ref img][r1] and ![Shortcut] and ![collapsed][]
<img src="a.png" alt="A &amp; B"> <IMG alt='b' src='b.png'> <img src=c.png> <img data-src="no.png">
<!-- ![no](comment.png) -->
![d](data:image/png;base64,iVBORw0KGgo=)
\\![no](escaped.png)
![paren](plots/a(1).png) ![esc](plots/a\\_b%20c.png?x=1#frag)

[r1]: plots/ref.png "t"
[shortcut]: <plots/short cut.png>
[Collapsed]: plots/collapsed.png
[unused]: plots/unused.png
"""


def _summary(markdown: str) -> list[tuple[str, str, str, str]]:
    return [(ref.syntax, ref.kind, ref.target, ref.alt) for ref in find_image_refs(markdown)]


def test_finds_every_kind_in_document_order_and_skips_code_and_comments() -> None:
    assert _summary(DOC) == [
        ("inline", "local", "plots/confusion.png", "conf"),
        ("inline", "local", "plots/my roc.png", "roc"),
        ("inline", "remote", "https://example.com/a.png", "web"),
        ("inline", "remote", "//cdn.example/x.png", "proto"),
        ("html", "local", "a.png", "A & B"),
        ("html", "local", "b.png", "b"),
        ("html", "local", "c.png", ""),
        ("inline", "data", "data:image/png;base64,iVBORw0KGgo=", "d"),
        ("inline", "local", "plots/a(1).png", "paren"),
        ("inline", "local", "plots/a\\_b%20c.png?x=1#frag", "esc"),
        ("reference", "local", "plots/ref.png", "ref img"),
        ("reference", "local", "plots/short cut.png", "Shortcut"),
        ("reference", "local", "plots/collapsed.png", "collapsed"),
    ]


def test_spans_point_exactly_at_the_url() -> None:
    for ref in find_image_refs(DOC):
        assert DOC[ref.start : ref.end] == ref.target


def test_path_removes_escapes_query_and_fragment() -> None:
    esc = next(ref for ref in find_image_refs(DOC) if ref.alt == "esc")
    assert esc.path == "plots/a_b c.png"
    html_ref = find_image_refs('<img src="a&amp;b.png">')[0]
    assert html_ref.path == "a&b.png"


def test_rewrite_replaces_only_mapped_urls_and_leaves_the_rest_byte_identical() -> None:
    mapping = {
        "plots/confusion.png": "https://github.com/o/r/blob/c0ffee/cml/ab/abc.png?raw=true",
        "plots/my roc.png": "https://h/roc.png",
        "b.png": 'https://h/b".png',
        "plots/ref.png": "/uploads/1/ref.png",
        "data:image/png;base64,iVBORw0KGgo=": "https://h/d.png",
        "fenced.png": "https://h/SHOULD-NOT-APPEAR",
    }
    out = rewrite_image_refs(DOC, mapping)
    expected = (
        DOC.replace("(plots/confusion.png", "(https://github.com/o/r/blob/c0ffee/cml/ab/abc.png?raw=true")
        .replace("<plots/my roc.png>", "<https://h/roc.png>")
        .replace("src='b.png'", "src='https://h/b%22.png'")
        .replace("[r1]: plots/ref.png", "[r1]: /uploads/1/ref.png")
        .replace("(data:image/png;base64,iVBORw0KGgo=)", "(https://h/d.png)")
    )
    assert out == expected
    assert "SHOULD-NOT-APPEAR" not in out


def test_shared_reference_definition_is_rewritten_once() -> None:
    doc = "![a][x] ![b][x]\n\n[x]: p.png\n"
    assert len(find_image_refs(doc)) == 1
    assert rewrite_image_refs(doc, {"p.png": "U"}) == "![a][x] ![b][x]\n\n[x]: U\n"


def test_links_and_unclosed_syntax_are_not_images() -> None:
    assert _summary("[not](image.png) ![broken](x.png ![alt] <img>\n![x](</a\nb>)") == []


def test_unclosed_fence_hides_the_rest() -> None:
    assert _summary("![a](a.png)\n```\n![b](b.png)\n") == [("inline", "local", "a.png", "a")]


_pieces = st.sampled_from(
    ["![a](x.png)", "![b](<y z.png>)", '<img src="q.png">', "`", "```\n", "\n", "[r]: r.png\n", "![r]", "<!--",
     "-->", "text ", "(", ")", "[", "]", "\\", "data:image/png;base64,AA=="]
)  # fmt: skip


@settings(deadline=None)
@given(st.lists(_pieces, max_size=30))
def test_spans_are_exact_and_rewriting_to_itself_is_identity(pieces: list[str]) -> None:
    doc = "".join(pieces)
    refs = find_image_refs(doc)
    for ref in refs:
        assert doc[ref.start : ref.end] == ref.target
    assert rewrite_image_refs(doc, {ref.target: ref.target for ref in refs if " " not in ref.target}) == doc


@pytest.mark.parametrize("unit", ["<img ", "![", "![a](", "![a](x(", "![a]([", "![a](<", '![a](x "', "![a](data:", "["])
def test_hostile_markup_finds_nothing_and_finishes(unit: str) -> None:
    # A fork's report file can be megabytes of half-open syntax; the scan is bounded (no timing assertion here,
    # but a quadratic scan of this input takes minutes).
    assert find_image_refs(unit * (400_000 // len(unit))) == ()


def test_only_the_first_candidates_are_examined() -> None:
    doc = "![a](p.png)\n" * (MAX_IMAGE_CANDIDATES + 5)
    assert len(find_image_refs(doc)) == MAX_IMAGE_CANDIDATES


def test_large_data_uri_is_one_ref() -> None:
    doc = "![a](data:image/png;base64," + "A" * 1_000_000 + "=)"
    (ref,) = find_image_refs(doc)
    assert ref.kind == "data" and len(ref.target) == len(doc) - len("![a]()")


def test_many_unmatched_backtick_runs_finish() -> None:
    doc = "".join("`" * length + "a" for length in range(2, 800)) + "`a" * 100_000 + "![x](y.png)"
    assert [ref.target for ref in find_image_refs(doc)] == ["y.png"]
