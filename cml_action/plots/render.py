"""PNG rendering with vl-convert-python (offline, bundled fonts). The only module that imports vl_convert,
and only inside functions: a run without `plots` never loads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_action.errors import CmlError

INSTALL_HINT = "pip install 'cml-action[plots]' or use the cml-action image"
DEFAULT_SCALE = 2.0  # crisp on high-DPI screens; 640 px wide charts become 1280 px (under max-image-width)


class RendererMissing(CmlError):
    """vl-convert is not installed: no plot can be drawn (one error for the section, not one per plot)."""


def _converter() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise RendererMissing(f"'plots' needs vl-convert-python, which is not installed ({INSTALL_HINT})") from None
    return vl_convert


def vegalite_png(spec: Mapping[str, Any], *, scale: float = DEFAULT_SCALE) -> bytes:
    """Render a Vega-Lite spec (already free of NaN/Infinity) to PNG bytes."""
    converter = _converter()
    try:
        png = converter.vegalite_to_png(dict(spec), scale=scale)
    except Exception as exc:  # vl-convert raises ValueError/RuntimeError with Vega's message
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CmlError(f"the chart could not be rendered: {first_line[:300]}") from None
    return bytes(png)
