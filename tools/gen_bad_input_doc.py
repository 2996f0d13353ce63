"""Render docs/bad-input.md from the bad-input table (tests/e2e/bad_input_cases.py); `tools/generate.py` writes it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.bad_input_cases import CASES  # noqa: E402


def render() -> str:
    lines = [
        "# Bad input: what happens",
        "",
        "Generated from `tests/e2e/bad_input_cases.py` by `tools/generate.py`; every row is a test that runs",
        "the entrypoint and checks the exit code, that one line contains the text shown, that no traceback is",
        "printed, and that nothing was written to the forge.",
        "",
        f"{len(CASES)} cases.",
        "",
        "| mistake | where | outcome | the line contains |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        outcome = "error, exit 1" if case.exit_code else "warning, report still made"
        text = case.expect.replace("|", "\\|")
        lines.append(f"| {case.what} | {case.forge} | {outcome} | `{text}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # every generated file is written (or checked) by one command
    sys.path.insert(0, str(ROOT / "tools"))
    from generate import main

    raise SystemExit(main(sys.argv[1:]))
