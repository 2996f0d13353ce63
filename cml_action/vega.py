"""Vega and Vega-Lite specs given as files or on stdin: recognised, then rendered to PNG/SVG by vl-convert.

CML's README piped charts into `cml-publish` two ways, and both must keep working:
`dvc plots diff --targets loss.csv --show-vega main | cml-publish --md` (a Vega-Lite spec on stdin) and
`vl2png vega.json -s 1.5 | cml-publish --md` (vega-cli's converters). vl-convert is imported only when a spec is
actually rendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from cml_action.errors import CmlError

Flavour = Literal["vega", "vega-lite"]
Format = Literal["png", "svg"]
# Top-level keys that only a chart spec has: a Vega-Lite view (mark, layer, facet, concatenations, repeat) or a
# Vega spec (marks). `data` alone is not enough: metrics files may well have a "data" key.
_LITE_KEYS = frozenset({"mark", "layer", "facet", "concat", "hconcat", "vconcat", "repeat", "spec"})
_VEGA_KEYS = frozenset({"marks", "signals", "scales", "axes"})
_LARGEST_SPEC = 64 * 1024 * 1024  # a spec carries its data inline; larger input is not a chart we should render
INSTALL_HINT = "pip install 'cml-action[plots]' or use the cml-action image"


class RendererMissing(CmlError):
    """vl-convert is not installed: no chart can be drawn (one error for the plots section, not one per plot)."""


@dataclass(frozen=True)
class VegaSpec:
    flavour: Flavour
    spec: dict[str, Any]


def parse_spec(data: bytes) -> VegaSpec | None:
    """The spec when `data` is a Vega or Vega-Lite JSON document, else None (an image, or other JSON)."""
    head = data[:64].lstrip()
    if not head.startswith(b"{") or len(data) > _LARGEST_SPEC:
        return None
    try:
        document = json.loads(data.decode("utf-8-sig"))  # DVC writes bare NaN/Infinity: Python's json reads them
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    flavour = _flavour(document)
    if flavour is None:
        return None
    from cml_action.plots.spec import finite_json

    return VegaSpec(flavour, finite_json(document))


def _flavour(document: dict[str, Any]) -> Flavour | None:
    schema = document.get("$schema")
    if isinstance(schema, str) and "vega.github.io/schema/" in schema:
        return "vega-lite" if "/vega-lite/" in schema else "vega"
    if _LITE_KEYS & document.keys():
        return "vega-lite"
    if _VEGA_KEYS & document.keys():
        return "vega"
    return None


def render(spec: VegaSpec, fmt: Format = "png", *, scale: float = 1.0, config: dict[str, Any] | None = None) -> bytes:
    """PNG bytes or SVG text (UTF-8) of the chart; Vega's own message on failure, in one line."""
    converter = _converter()
    name = f"{'vegalite' if spec.flavour == 'vega-lite' else 'vega'}_to_{fmt}"
    # No external data: a spec from a pull request must not make the job fetch URLs or read files (vl-convert
    # allows any base URL by default). DVC's specs carry their data inline.
    options: dict[str, Any] = {"allowed_base_urls": []}
    if fmt == "png":
        options["scale"] = scale
    if config and spec.flavour == "vega-lite":
        options["config"] = config
    try:
        result = getattr(converter, name)(spec.spec, **options)
    except Exception as exc:  # vl-convert raises ValueError/RuntimeError carrying Vega's message
        raise CmlError(f"the chart could not be rendered: {_vega_message(exc)}") from None
    return result.encode("utf-8") if isinstance(result, str) else bytes(result)


def _converter() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise RendererMissing(f"'plots' needs vl-convert-python, which is not installed ({INSTALL_HINT})") from None
    return vl_convert


def _vega_message(exc: Exception) -> str:
    """vl-convert's message without its JavaScript stack: "Vega-Lite to PNG conversion failed: Error: …"."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith("at ")]
    return " ".join(kept)[:300] or type(exc).__name__
