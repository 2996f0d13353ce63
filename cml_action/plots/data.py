"""Plot data files (CSV, TSV, JSON, YAML) read at the working tree and at the baseline commit.

A table is rows of {column: value}; numbers become floats, and non-finite numbers (`inf`, `NaN`, JSON's bare
`Infinity`) become None so a chart shows a gap instead of failing. JSON may be a list of objects or an object
holding one such list (DVC accepts both, e.g. `{"train": [{"step": 0, "loss": 1.2}, …]}`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cml_action import gitrepo
from cml_action.errors import CmlError
from cml_action.workspace import MAX_TEXT_BYTES, UnreadableFile, read_regular

Value = float | str | None
X_PREFERRED = ("step", "epoch")
DATA_SUFFIXES = (".csv", ".tsv", ".json", ".yaml", ".yml")
INDEX_COLUMN = "step"
# Never drawn as a y series unless asked for: dvclive writes a wall-clock column next to every metric.
Y_EXCLUDED = ("timestamp",)  # DVC's name for the row index when the data has no x column


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Value], ...]

    def numeric_columns(self) -> tuple[str, ...]:
        """Columns with at least one number and no text (None gaps allowed)."""
        found = []
        for column in self.columns:
            values = [row.get(column) for row in self.rows]
            if any(isinstance(v, float) for v in values) and all(v is None or isinstance(v, float) for v in values):
                found.append(column)
        return tuple(found)


def clean_number(value: Any) -> Value:
    """A finite float, None for missing/non-finite, else the text as given."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    text = str(value).strip()
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else None


def _delimited(text: str, delimiter: str) -> Table:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = tuple(name.strip() for name in reader.fieldnames or () if name and name.strip())
    rows = tuple({name.strip(): clean_number(value) for name, value in row.items() if name} for row in reader)
    return Table(columns, rows)


def _records(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, Mapping):
        lists = [value for value in document.values() if isinstance(value, list)]
        document = lists[0] if lists else [document]
    if not isinstance(document, list):
        return []
    return [item for item in document if isinstance(item, Mapping)]


def _structured(document: Any) -> Table:
    records = _records(document)
    columns: dict[str, None] = {}
    rows = []
    for record in records:
        row = {str(key): clean_number(value) for key, value in record.items() if not isinstance(value, dict | list)}
        columns.update(dict.fromkeys(row))
        rows.append(row)
    return Table(tuple(columns), tuple(rows))


def table_from_rows(rows: Sequence[Mapping[str, Any]]) -> Table:
    """A table from rows kept in the results store (the working tree's rows of an earlier run)."""
    return _structured(list(rows))


def parse_table(name: str, text: str) -> Table:
    """Parse plot data by file extension; raises CmlError naming the file when it cannot be read."""
    suffix = PurePosixPath(name).suffix.lower()
    try:
        if suffix == ".tsv":
            return _delimited(text, "\t")
        if suffix == ".csv":
            return _delimited(text, ",")
        if suffix == ".json":
            return _structured(json.loads(text))  # accepts bare NaN/Infinity, as Python's json.dumps writes
        if suffix in (".yaml", ".yml"):
            import yaml

            return _structured(yaml.safe_load(text))
    except (ValueError, csv.Error) as exc:
        raise CmlError(f"plot data '{name}' could not be read ({exc})", file=name) from None
    except Exception as exc:  # yaml.YAMLError without importing yaml at module level
        raise CmlError(f"plot data '{name}' could not be read ({type(exc).__name__})", file=name) from None
    raise CmlError(f"plot data '{name}': unsupported file type (use {', '.join(DATA_SUFFIXES)})", file=name)


def safe_path(workspace: Path, relpath: str) -> Path:
    """The file inside the workspace; refuses paths (or symlinks) that lead outside it."""
    root = workspace.resolve()
    candidate = (root / relpath).resolve()
    if not candidate.is_relative_to(root):
        raise CmlError(f"plot data '{relpath}' is outside the workspace", file=relpath)
    return candidate


def read_current(workspace: Path, relpath: str) -> Table | None:
    """The working-tree table, or None when the file does not exist."""
    path = safe_path(workspace, relpath)
    if not path.is_file():
        return None
    try:
        data = read_regular(path, MAX_TEXT_BYTES)
    except UnreadableFile as exc:
        raise CmlError(f"plot data '{relpath}' {exc.problem}", file=relpath) from None
    return parse_table(relpath, data.decode("utf-8", errors="replace"))


def read_baseline(workspace: Path, rev: str, relpath: str) -> Table | None:
    """The table as committed at `rev`, or None when git did not have the file there."""
    inside = safe_path(workspace, relpath).relative_to(workspace.resolve()).as_posix()
    blob = gitrepo.show_file(workspace, rev, inside)
    if blob is None:
        return None
    return parse_table(relpath, blob.decode("utf-8", errors="replace"))


def pick_x(table: Table, wanted: str | None = None) -> str:
    """The x column: the one asked for, else 'step'/'epoch', else the first of several columns, else the row
    index (`step`, as DVC draws a one-column file)."""
    if wanted:
        return wanted
    for name in X_PREFERRED:
        if name in table.columns:
            return name
    return table.columns[0] if len(table.columns) > 1 else INDEX_COLUMN


def pick_y(table: Table, x: str, wanted: Sequence[str] = ()) -> tuple[str, ...]:
    """The y columns: those asked for, else every numeric column but x (and dvclive's timestamp)."""
    if wanted:
        return tuple(wanted)
    return tuple(column for column in table.numeric_columns() if column != x and column not in Y_EXCLUDED)


def x_value(table: Table, row_index: int, x: str) -> Value:
    row = table.rows[row_index]
    return row.get(x) if x in table.columns else float(row_index)
