"""PNG rendering of the report's charts. The one rendering path is `cml_action.vega.render` (vl-convert, offline,
no external data); this module keeps the plots' entry point and names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_action.vega import INSTALL_HINT, RendererMissing, VegaSpec, render

__all__ = ["DEFAULT_SCALE", "INSTALL_HINT", "RendererMissing", "vegalite_png"]

DEFAULT_SCALE = 2.0  # crisp on high-DPI screens; 640 px wide charts become 1280 px (under max-image-width)


def vegalite_png(spec: Mapping[str, Any], *, scale: float = DEFAULT_SCALE) -> bytes:
    """Render a Vega-Lite spec (already free of NaN/Infinity) to PNG bytes."""
    return render(VegaSpec("vega-lite", dict(spec)), "png", scale=scale)
