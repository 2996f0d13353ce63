"""A seeded, iris-like synthetic dataset: two flower species, four measurements each (pure Python)."""

from __future__ import annotations

import random

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
CLASSES = ("versicolor", "virginica")
# Per-class means; the species overlap, so no model is perfect and a worse one is visible in the metrics.
MEANS = {0: (5.8, 2.8, 4.4, 1.3), 1: (6.3, 3.0, 5.1, 1.7)}
SPREAD = (0.55, 0.35, 0.6, 0.35)

Row = tuple[list[float], int]


def generate(samples: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    for index in range(samples):
        label = index % 2
        features = [rng.gauss(mean, spread) for mean, spread in zip(MEANS[label], SPREAD, strict=True)]
        rows.append((features, label))
    rng.shuffle(rows)
    return rows


def split(rows: list[Row], test_fraction: float) -> tuple[list[Row], list[Row]]:
    cut = round(len(rows) * (1 - test_fraction))
    return rows[:cut], rows[cut:]
