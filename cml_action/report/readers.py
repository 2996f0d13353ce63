"""Read one metrics file (JSON, YAML, TOML, CSV, TSV) into a flat `name -> value` dict like DVC.

Pure: the caller passes the file's text (working tree or `git show <ref>:<path>`). Malformed content raises a
one-line `CmlError` naming the file and the line.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import PurePosixPath

import yaml

from cml_action.errors import CmlError
from cml_action.report.escape import for_log
from cml_action.report.flatten import MetricValue, flatten_metrics

Parser = Callable[[str, str], object]


def read_metrics(path_label: str, text: str) -> dict[str, MetricValue]:
    """Parse by extension and flatten. Unknown extensions are read as YAML, as DVC does."""
    try:
        return flatten_metrics(parse_document(path_label, text), path_label)
    except RecursionError:
        raise _error(path_label, None, "nested too deeply") from None
    except ValueError as exc:
        # json, tomllib, int() and the YAML int constructor raise ValueError for an integer longer than
        # Python's int-string limit; any other ValueError escaping a parser is also about the content.
        raise _error(path_label, None, _value_problem(exc)) from None


def _value_problem(exc: ValueError) -> str:
    if "integer string conversion" in str(exc):
        limit = sys.get_int_max_str_digits()
        return f"a whole number has more than {limit} digits (write it as a float or a string)"
    return f"a value cannot be read ({exc})"


def parse_document(path_label: str, text: str) -> object:
    """The parsed file, by extension (unknown ones as YAML), not flattened: params keep their lists."""
    parser = _PARSERS.get(PurePosixPath(path_label).suffix.lower(), _parse_yaml)
    return parser(path_label, text.removeprefix("\ufeff"))


def read_metrics_bytes(path_label: str, data: bytes) -> dict[str, MetricValue]:
    """Same as `read_metrics` for raw file content; non-UTF-8 content is a clear error, not a traceback."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _error(path_label, line, "not UTF-8 text") from None
    return read_metrics(path_label, text)


def _error(path_label: str, line: int | None, problem: str) -> CmlError:
    where = f" line {line}" if line is not None else ""
    one_line = " ".join(problem.split())
    return CmlError(f"metrics file '{for_log(path_label)}'{where}: {for_log(one_line)}", file=path_label, line=line)


def _parse_json(path_label: str, text: str) -> object:
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise _error(path_label, exc.lineno, f"{exc.msg} (column {exc.colno})") from None


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML speaks YAML 1.1 (`yes` is true, `1e-3` a string, `017` octal); DVC reads metrics with ruamel's
    YAML 1.2 safe loader. These resolvers copy ruamel 1.2's bool/int/float patterns so values match DVC."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":bool", ":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YAML12_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$",
        "-+0123456789",
    ),
)
for _tag, _pattern, _first in _YAML12_RESOLVERS:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern, re.X), list(_first))


def _construct_yaml12_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    value = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-").lower()
    # YAML 1.2: only `0o` means octal; `017` is decimal 17.
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _construct_yaml12_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"  # type: ignore[arg-type]


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_yaml12_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _construct_yaml12_bool)


def _parse_yaml(path_label: str, text: str) -> object:
    try:
        return yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = ", ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise _error(path_label, line, problem) from None
    except yaml.YAMLError as exc:
        raise _error(path_label, None, f"invalid YAML ({exc})") from None


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


def _parse_toml(path_label: str, text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_WHERE.search(message)
        line = int(found.group(1)) if found and found.group(1) else text.count("\n") + 1
        problem = message[: found.start()] if found else message
        if found and found.group(2):
            problem += f" (column {found.group(2)})"
        raise _error(path_label, line, problem) from None


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(cell: str) -> int | float | str:
    """A CSV/TSV cell: decimal ints and floats become numbers; anything else (incl. `nan`) stays text."""
    stripped = cell.strip()
    if _INT.fullmatch(stripped):
        return int(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    return cell


def _parse_table(path_label: str, text: str, delimiter: str) -> object:
    """Header row; each column of the LAST row is a metric (training logs append one row per epoch)."""
    reader = csv.reader(text.splitlines(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    last: list[str] | None = None
    last_line = 0
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header = row
                _check_header(path_label, header, reader.line_num)
            else:
                last, last_line = row, reader.line_num
    except csv.Error as exc:
        raise _error(path_label, reader.line_num, str(exc)) from None
    if header is None or last is None:
        return {}
    if len(last) != len(header):
        raise _error(path_label, last_line, f"{len(last)} values for {len(header)} header columns")
    return {name: parse_number(cell) for name, cell in zip(header, last, strict=True)}


def _check_header(path_label: str, header: list[str], line: int) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise _error(path_label, line, f"header column {position} has no name")
        if name in seen:
            raise _error(path_label, line, f"header column '{name}' appears twice")
        seen.add(name)


_PARSERS: dict[str, Parser] = {
    ".json": _parse_json,
    ".yaml": _parse_yaml,
    ".yml": _parse_yaml,
    ".toml": _parse_toml,
    ".csv": lambda label, text: _parse_table(label, text, ","),
    ".tsv": lambda label, text: _parse_table(label, text, "\t"),
}
