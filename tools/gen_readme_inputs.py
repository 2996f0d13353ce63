"""Write the inputs/outputs table between the markers in README.md from cml_action.inputs (the one schema).

Run `python tools/generate.py [--check]`; tests/unit/test_generate.py fails when the README is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cml_action.inputs import OUTPUTS, SCHEMA, Kind  # noqa: E402

START, END = "<!-- inputs-table:start -->", "<!-- inputs-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    rows = ["| input | default | meaning |", "|---|---|---|"]
    for spec in SCHEMA:
        if not spec.in_action:
            continue
        default = spec.github_default or spec.default
        shown = f"`{default}`" if default else "–"
        choices = f" ({', '.join(spec.choices)})" if spec.kind is Kind.CHOICE else ""
        rows.append(f"| `{spec.name}` | {_cell(shown)} | {_cell(spec.help + choices)} |")
    rows += ["", "| output | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(text)} |" for name, text in OUTPUTS]
    return "\n".join(rows)


def render(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":  # every generated file is written (or checked) by one command
    sys.path.insert(0, str(ROOT / "tools"))
    from generate import main

    raise SystemExit(main(sys.argv[1:]))
