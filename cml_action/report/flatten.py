"""Flatten parsed metrics the way DVC 3.x does (`dvc.repo.metrics.show._extract_metrics` + `flatten_dict`).

Observed with DVC 3.67 (see docs/report.md): nested mappings are joined with dots (`a.b.c`); numbers, strings and
booleans are metrics; lists, nulls, dates and empty mappings are dropped (DVC 3 no longer indexes lists as
`a.0.b`); a file whose whole content is one scalar is a single metric named `""`.
"""

from __future__ import annotations

from collections.abc import Mapping

from cml_action.errors import CmlError
from cml_action.report.escape import for_log

MetricValue = int | float | str | bool


_PLAIN_METRIC_TYPES = frozenset({int, float, str, bool})


def is_metric_value(value: object) -> bool:
    # bool is an int subclass: DVC keeps booleans and even diffs them (True - False == 1).
    return type(value) in _PLAIN_METRIC_TYPES or isinstance(value, int | float | str)


# YAML aliases let a 1 kB file reference one mapping from many places ("billion laughs"); the walk below
# would visit every expanded path. Far above any real metrics file (the benchmark has 100 000 metrics).
MAX_ENTRIES = 1_000_000


def flatten_metrics(data: object, path_label: str = "") -> dict[str, MetricValue]:
    """Flat `name -> value` for one parsed metrics file, in the file's own order."""
    if isinstance(data, Mapping):
        flat: dict[str, MetricValue] = {}
        _flatten_into(flat, data, "", path_label, [MAX_ENTRIES])
        return flat
    # DVC: `val or {}` -- a falsy top-level scalar (0, "", false) counts as an empty file.
    if is_metric_value(data) and data:
        return {"": data}  # type: ignore[dict-item]
    return {}


def _flatten_into(
    flat: dict[str, MetricValue], data: Mapping[object, object], prefix: str, label: str, budget: list[int]
) -> None:
    budget[0] -= len(data)
    if budget[0] < 0:
        raise CmlError(
            f"metrics file '{for_log(label)}': more than {MAX_ENTRIES} entries once YAML aliases are expanded",
            file=label or None,
        )
    plain = _PLAIN_METRIC_TYPES
    for key, value in data.items():
        name = f"{prefix}{key}"
        kind = type(value)
        if kind is dict or (kind not in plain and isinstance(value, Mapping)):
            _flatten_into(flat, value, name + ".", label, budget)  # type: ignore[arg-type]
        elif kind in plain or is_metric_value(value):
            if name in flat:
                # flatten_dict raises "duplicated key" here, so DVC fails to load such a file too.
                raise CmlError(
                    f"metrics file '{for_log(label)}': metric '{for_log(name)}' appears twice after "
                    "joining nested keys with dots (rename one of them)",
                    file=label or None,
                )
            flat[name] = value  # type: ignore[assignment]
