"""Vega/Vega-Lite specs as cml-publish input and vl2png/vl2svg: recognised by their shape, rendered offline."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cml_action import vega
from cml_action.errors import CmlError

LITE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"step": 0, "loss": 0.9}, {"step": 1, "loss": float("nan")}, {"step": 2, "loss": 0.3}]},
    "mark": "line",
    "encoding": {"x": {"field": "step", "type": "quantitative"}, "y": {"field": "loss", "type": "quantitative"}},
}
VEGA = {
    "$schema": "https://vega.github.io/schema/vega/v5.json",
    "width": 40,
    "height": 30,
    "marks": [{"type": "rect", "encode": {"enter": {"width": {"value": 10}, "height": {"value": 10}}}}],
}


def dump(document: object) -> bytes:
    return json.dumps(document).encode()  # NaN as bare `NaN`, as DVC writes it


@pytest.mark.parametrize(
    ("document", "flavour"),
    [
        (LITE, "vega-lite"),
        (VEGA, "vega"),
        ({"mark": "bar", "data": {"values": []}}, "vega-lite"),  # no $schema: the shape says it
        ({"layer": [], "data": {"values": []}}, "vega-lite"),
        ({"marks": []}, "vega"),
    ],
)
def test_specs_are_recognised(document: dict[str, object], flavour: str) -> None:
    spec = vega.parse_spec(dump(document))
    assert spec is not None and spec.flavour == flavour


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n0000",
        b'{"accuracy": 0.9, "data": {"values": [1]}}',  # a metrics file with a "data" key is not a chart
        b"[1, 2]",
        b"{not json",
        b"\xff\xfe{",
    ],
)
def test_other_input_is_not_a_spec(data: bytes) -> None:
    assert vega.parse_spec(data) is None


def test_non_finite_numbers_become_null() -> None:
    spec = vega.parse_spec(dump(LITE))
    assert spec is not None and spec.spec["data"]["values"][1]["loss"] is None


@pytest.mark.parametrize("document", [LITE, VEGA])
def test_png_and_svg_are_rendered(document: dict[str, object]) -> None:
    spec = vega.parse_spec(dump(document))
    assert spec is not None
    assert vega.render(spec, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in vega.render(spec, "svg")[:200]


@pytest.fixture
def data_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"a\n1\n")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_a_spec_cannot_make_the_job_fetch_data(data_server: tuple[str, list[str]]) -> None:
    base, hits = data_server
    document = {"data": {"url": f"{base}/secret.csv"}, "mark": "point", "encoding": {"x": {"field": "a"}}}
    spec = vega.parse_spec(dump(document))
    assert spec is not None
    with pytest.raises(CmlError, match=r"could not be rendered: .*External data url not allowed"):
        vega.render(spec, "png")
    assert hits == []


def test_a_plot_spec_cannot_make_the_job_fetch_data_either(data_server: tuple[str, list[str]]) -> None:
    """The report's plots (a DVC template is the pull request's file) go through the same rendering path."""
    from cml_action.plots.render import vegalite_png

    base, hits = data_server
    with pytest.raises(CmlError, match=r"could not be rendered: .*External data url not allowed"):
        vegalite_png({"data": {"url": f"{base}/secret.csv"}, "mark": "point", "encoding": {"x": {"field": "a"}}})
    assert hits == []
