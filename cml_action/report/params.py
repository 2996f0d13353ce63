"""Params like `dvc params diff` (DVC 3.67): parse a params file, keep the keys a stage tracks, flatten, render.

Pure: callers pass each file's text (working tree or `git show <ref>:<path>`). DVC's rules, from its source
(`dvc.dependency.param.read_param_file`, `dvc.utils.diff.format_dict`, `flatten_dict` with the dot reducer):
- YAML (1.2, like metrics), JSON, TOML and Python files (module-level and class-level assignments of literals);
- a tracked key path `a.b` keeps that subtree; no key paths keeps the whole file;
- lists (and tuples, sets) are values shown as Python prints them (`[1, 2]`), nested mappings are joined with
  dots, empty mappings disappear;
- the table is `| Path | Param | <baseline> | <current> |`, values as `str()` (no rounding), `-` when missing.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from cml_action.errors import CmlError
from cml_action.report.diff import MetricsDiff
from cml_action.report.escape import escape_cell, for_log
from cml_action.report.flatten import MAX_ENTRIES
from cml_action.report.table import MISSING, github_table

ParamsSide = Mapping[str, Mapping[str, object] | None]


def parse_params(path_label: str, text: str) -> object:
    """The parsed content of one params file, by extension (unknown extensions are YAML, as in DVC)."""
    if PurePosixPath(path_label).suffix.lower() == ".py":
        return _parse_python(path_label, text)
    from cml_action.report.readers import parse_document

    return parse_document(path_label, text)


def _parse_python(path_label: str, text: str) -> dict[str, object]:
    """DVC's `parse_py`: literal assignments at module level, in classes, and `self.x = …` in `__init__`."""
    try:
        tree = ast.parse(text, filename=path_label)
    except SyntaxError as exc:
        where = f" line {exc.lineno}" if exc.lineno else ""
        raise CmlError(f"params file '{for_log(path_label)}'{where}: not valid Python ({exc.msg})") from None
    return _python_body(tree.body, only_self=False)


def _python_body(body: Sequence[ast.stmt], *, only_self: bool) -> dict[str, object]:
    found: dict[str, object] = {}
    for node in body:
        try:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                found.update(_python_assign(node, only_self))
            elif isinstance(node, ast.ClassDef):
                found[node.name] = _python_body(node.body, only_self=False)
            elif isinstance(node, ast.FunctionDef) and node.name == "__init__":
                found.update(_python_body(node.body, only_self=True))
        except (ValueError, TypeError, SyntaxError, AttributeError):
            continue  # not a literal (a call, a name): DVC skips it too
    return found


def _python_assign(node: ast.Assign | ast.AnnAssign, only_self: bool) -> dict[str, object]:
    if isinstance(node, ast.Assign) and len(node.targets) != 1:
        raise AttributeError("several targets")
    target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
    if isinstance(target, ast.Name) and not only_self:
        name = target.id
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        name = target.attr
    else:
        raise AttributeError("not a plain name")
    if node.value is None:
        raise ValueError("annotation without a value")
    return {name: ast.literal_eval(node.value)}


def select_keys(data: object, key_paths: Sequence[str]) -> object:
    """The subtrees a stage tracks (`params: [lr, train.epochs]`); all of the file when no key paths are given."""
    if not key_paths or not isinstance(data, Mapping):
        return data
    selected: dict[str, object] = {}
    for key_path in dict.fromkeys(key_paths):
        node: object = data
        parts = key_path.split(".")
        for part in parts:
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            _put(selected, parts, node)
    return selected


def _put(tree: dict[str, object], parts: Sequence[str], value: object) -> None:
    for part in parts[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[parts[-1]] = value


def flatten_params(data: object, path_label: str = "") -> dict[str, object]:
    """`name -> value` like DVC: nested mappings joined with dots, lists/tuples/sets as their `str()`."""
    if not isinstance(data, Mapping):
        return {}
    flat: dict[str, object] = {}
    budget = [MAX_ENTRIES]
    try:
        _flatten_into(flat, data, "", budget)
    except RecursionError:
        raise CmlError(f"params file '{for_log(path_label)}': nested too deeply", file=path_label or None) from None
    if budget[0] < 0:
        raise CmlError(f"params file '{for_log(path_label)}': more than {MAX_ENTRIES} entries once YAML aliases "
                       "are expanded", file=path_label or None)  # fmt: skip
    return flat


def _flatten_into(flat: dict[str, object], data: Mapping[object, object], prefix: str, budget: list[int]) -> None:
    # YAML aliases can make a tiny file expand to billions of entries: stop walking once the budget is spent.
    budget[0] -= len(data)
    for key, value in data.items():
        if budget[0] < 0:
            return
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten_into(flat, value, name + ".", budget)
        else:
            flat[name] = str(value) if isinstance(value, list) else value


def _value_cell(value: object) -> str:
    return MISSING if value is None else escape_cell(str(value))


def render_params_table(diff: MetricsDiff, *, show_all: bool, baseline_label: str, current_label: str,
                        with_path: bool = True) -> str:  # fmt: skip
    """`dvc params diff --md`: changed params (every one with `show_all`), values unrounded; `with_path=False`
    leaves out the Path column (`--no-path`)."""
    headers = ["Path", "Param", escape_cell(baseline_label), escape_cell(current_label)]
    rows = diff.rows if show_all else diff.changed_rows
    body = [[escape_cell(row.path), escape_cell(row.metric), _value_cell(row.old), _value_cell(row.new)]
            for row in rows]  # fmt: skip
    if not with_path:
        headers, body = headers[1:], [cells[1:] for cells in body]
    return github_table(headers, body)


def render_params_section(diff: MetricsDiff, *, show_all: bool, baseline_label: str, current_label: str) -> str:
    """The report's params section; a one-line note when no param changed; "" without params."""
    if not diff.rows:
        return ""
    if not show_all and diff.is_empty:
        count = len(diff.rows)
        return f"### Params\n\nNo param changed ({count} param{'s' if count != 1 else ''} compared).\n"
    table = render_params_table(diff, show_all=show_all, baseline_label=baseline_label, current_label=current_label)
    return f"### Params\n\n{table}"
