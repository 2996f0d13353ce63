"""Compare flat metrics of the baseline and the current side, like `dvc.utils.diff` (DVC 3.67)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

MetricsSide = Mapping[str, Mapping[str, object] | None]


_NUMBER_TYPES = frozenset({int, float, bool})


def is_number(value: object) -> bool:
    # DVC diffs anything that is int or float, booleans included (True - False == 1).
    return type(value) in _NUMBER_TYPES or isinstance(value, int | float)


class MetricRow(NamedTuple):
    """One metric of one file (immutable; a NamedTuple because 100 000 of them are built per diff).
    `old`/`new` are None when missing on that side; `change` is new - old when both are numbers (unrounded,
    like `dvc metrics diff --json`), else None."""

    path: str
    metric: str
    old: object
    new: object
    change: float | None

    @property
    def changed(self) -> bool:
        # Python equality, like DVC: 1 == 1.0 == True counts as unchanged.
        return bool(self.old != self.new)

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.metric)


@dataclass(frozen=True)
class MetricsDiff:
    """Every metric present on either side (changed or not), grouped by path in input order and sorted by
    metric name within a path (DVC sorts names; its path order is a set's, so any stable order matches)."""

    rows: tuple[MetricRow, ...]

    @property
    def changed_rows(self) -> tuple[MetricRow, ...]:
        return tuple(row for row in self.rows if row.changed)

    @property
    def is_empty(self) -> bool:
        """No metric changed (what `dvc metrics diff` shows as an empty table)."""
        return not any(row.changed for row in self.rows)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.path for row in self.rows))


def diff_metrics(baseline: MetricsSide, current: MetricsSide) -> MetricsDiff:
    """`baseline`/`current` map a file path to its flat metrics, or None when the file is missing there."""
    rows: list[MetricRow] = []
    numbers = _NUMBER_TYPES
    for path in dict.fromkeys([*current, *baseline]):
        old_metrics = baseline.get(path) or {}
        new_metrics = current.get(path) or {}
        for metric in sorted({*old_metrics, *new_metrics}):
            old, new = old_metrics.get(metric), new_metrics.get(metric)
            if (type(old) in numbers and type(new) in numbers) or (is_number(old) and is_number(new)):
                change = new - old  # type: ignore[operator]
            else:
                change = None
            rows.append(MetricRow(path, metric, old, new, change))
    return MetricsDiff(rows=tuple(rows))
