"""Two small report plots drawn with Pillow: a ROC curve and a confusion-matrix heat map.

Plots are drawn palette-friendly on purpose: flat colours, lines without blending, and text anti-aliased with a
16-level mask, so each image has well under 256 colours and cml-action stores it as an exact (lossless) palette PNG.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WHITE = (255, 255, 255)
INK = (36, 41, 47)
GRID = (234, 238, 242)
AXIS = (140, 149, 159)
BLUE = (9, 105, 218)
ORANGE = (219, 109, 40)
TEXT_LEVELS = 16  # anti-aliasing steps for text; more would only add colours


def _text_mask(text: str, size: int) -> Image.Image:
    font = ImageFont.load_default(size=size)
    _, _, right, bottom = font.getbbox(text)
    mask = Image.new("L", (int(right) + 2, int(bottom) + 2), 0)
    ImageDraw.Draw(mask).text((1, 1), text, font=font, fill=255)
    step = 255 / (TEXT_LEVELS - 1)
    return mask.point(lambda value: round(round(value / step) * step))


def draw_text(
    image: Image.Image,
    xy: tuple[float, float],
    text: str,
    *,
    size: int = 14,
    fill: tuple[int, int, int] = INK,
    anchor: str = "mm",
    vertical: bool = False,
) -> None:
    """Paste text at xy; anchor is horizontal (l/m/r) then vertical (t/m/b), like Pillow's."""
    mask = _text_mask(text, size)
    if vertical:
        mask = mask.rotate(90, expand=True)
    width, height = mask.size
    x = xy[0] - {"l": 0, "m": width / 2, "r": width}[anchor[0]]
    y = xy[1] - {"t": 0, "m": height / 2, "b": height}[anchor[1]]
    image.paste(fill, (round(x), round(y)), mask)


class Chart:
    """A line chart with both axes from 0 to 1, a grid, tick labels, axis labels and a title."""

    def __init__(self, title: str, xlabel: str, ylabel: str, size: tuple[int, int] = (640, 480)) -> None:
        self.image = Image.new("RGB", size, WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.left, self.top, self.right, self.bottom = 78, 56, size[0] - 24, size[1] - 64
        draw_text(self.image, (size[0] / 2, 26), title, size=20)
        draw_text(self.image, ((self.left + self.right) / 2, size[1] - 22), xlabel, size=15)
        draw_text(self.image, (24, (self.top + self.bottom) / 2), ylabel, size=15, vertical=True)
        self._axes()

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.left + x * (self.right - self.left),
            self.bottom - y * (self.bottom - self.top),
        )

    def _axes(self) -> None:
        for step in range(6):
            value = step / 5
            x, y = self.point(value, value)
            self.draw.line([(x, self.top), (x, self.bottom)], fill=GRID)
            self.draw.line([(self.left, y), (self.right, y)], fill=GRID)
            draw_text(self.image, (x, self.bottom + 8), f"{value:.1f}", size=13, fill=AXIS, anchor="mt")
            draw_text(self.image, (self.left - 8, y), f"{value:.1f}", size=13, fill=AXIS, anchor="rm")
        self.draw.rectangle([self.left, self.top, self.right, self.bottom], outline=AXIS)

    def line(self, points: list[tuple[float, float]], colour: tuple[int, int, int], *, dashed: bool = False) -> None:
        pixels = [self.point(x, y) for x, y in points]
        if not dashed:
            self.draw.line(pixels, fill=colour, width=3, joint="curve")
            return
        (x0, y0), (x1, y1) = pixels[0], pixels[-1]
        dashes = 40
        for index in range(0, dashes, 2):
            start, end = index / dashes, (index + 1) / dashes
            segment = [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in (start, end)]
            self.draw.line(segment, fill=colour, width=2)

    def legend(self, entries: list[tuple[str, tuple[int, int, int]]]) -> None:
        x, y = self.right - 210, self.bottom - 24 * len(entries) - 12
        self.draw.rectangle([x - 10, y - 12, self.right - 12, self.bottom - 12], fill=WHITE, outline=GRID)
        for label, colour in entries:
            self.draw.line([(x, y), (x + 26, y)], fill=colour, width=3)
            draw_text(self.image, (x + 36, y), label, size=13, anchor="lm")
            y += 24


def roc_plot(points: list[tuple[float, float]], auc: float, path: Path) -> None:
    chart = Chart(f"ROC curve (test set), AUC = {auc:.3f}", "False positive rate", "True positive rate")
    chart.line([(0, 0), (1, 1)], AXIS, dashed=True)
    chart.line(points, BLUE)
    chart.legend([("logistic regression", BLUE), ("chance", AXIS)])
    path.parent.mkdir(parents=True, exist_ok=True)
    chart.image.save(path)


def _cell_colour(share: float) -> tuple[int, int, int]:
    """White to dark blue; shares are rounded to tenths so the map has a handful of colours."""
    share = round(share, 1)
    dark = (8, 69, 148)
    return tuple(round(255 + (channel - 255) * share) for channel in dark)  # type: ignore[return-value]


def confusion_plot(matrix: list[list[int]], classes: tuple[str, ...], path: Path) -> None:
    cell, left, top = 170, 150, 70
    size = (left + cell * len(classes) + 40, top + cell * len(classes) + 90)
    image = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(image)
    draw_text(image, (left + cell * len(classes) / 2, 30), "Confusion matrix (test set)", size=20)
    largest = max(max(row) for row in matrix) or 1
    for actual, row in enumerate(matrix):
        for predicted, count in enumerate(row):
            x, y = left + predicted * cell, top + actual * cell
            colour = _cell_colour(count / largest)
            draw.rectangle([x, y, x + cell - 2, y + cell - 2], fill=colour)
            ink = WHITE if sum(colour) < 400 else INK
            draw_text(image, (x + cell / 2, y + cell / 2), str(count), size=30, fill=ink)
    for index, name in enumerate(classes):
        draw_text(image, (left + index * cell + cell / 2, top + cell * len(classes) + 14), name, size=14, anchor="mt")
        draw_text(image, (left - 12, top + index * cell + cell / 2), name, size=14, anchor="rm")
    draw_text(image, (left + cell * len(classes) / 2, size[1] - 24), "Predicted", size=15)
    draw_text(image, (22, top + cell * len(classes) / 2), "Actual", size=15, vertical=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
