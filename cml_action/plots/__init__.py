"""Plots diff: data files and DVC plots drawn baseline vs current, rendered to PNG.

`render_plots` is the entry point. Nothing heavy is imported here: vl_convert is imported by
`cml_action.plots.render` only when a chart is actually rendered.
"""

from cml_action.plots.collect import RenderedPlot, render_plots

__all__ = ["RenderedPlot", "render_plots"]
