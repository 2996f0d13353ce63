"""Plots diff: data files and DVC plots drawn baseline vs current, rendered to PNG; DVC image plots as pairs.

`draw_plots` is the entry point. Nothing heavy is imported here: vl_convert is imported by
`cml_action.plots.render` only when a chart is actually rendered.
"""

from cml_action.plots.draw import DrawnPlots, ImagePair, RenderedPlot, draw_plots, render_plots

__all__ = ["DrawnPlots", "ImagePair", "RenderedPlot", "draw_plots", "render_plots"]
