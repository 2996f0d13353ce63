"""Write every generated file from its one source, or check that none is out of date.

    python tools/generate.py          # rewrite what is out of date
    python tools/generate.py --check  # write nothing; exit 1 and name each file that is out of date

Generated: action.yml and templates/report.yml (GitLab) and the README inputs table from cml_action/inputs.py;
docs/bad-input.md from tests/e2e/bad_input_cases.py. The renderers live in tools/gen_*.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def targets() -> list[tuple[Path, Callable[[str], str]]]:
    """(file, current text -> wanted text); the README keeps everything outside its table's markers."""
    import gen_action_yml
    import gen_bad_input_doc
    import gen_gitlab_template
    import gen_readme_inputs

    return [
        (gen_action_yml.ACTION_YML, lambda _current: gen_action_yml.render()),
        (gen_gitlab_template.TEMPLATE, lambda _current: gen_gitlab_template.render()),
        (ROOT / "README.md", gen_readme_inputs.render),
        (ROOT / "docs" / "bad-input.md", lambda _current: gen_bad_input_doc.render()),
    ]


def stale() -> list[tuple[Path, str]]:
    """(file, wanted text) for every generated file whose content is not what its source generates."""
    out = []
    for path, render in targets():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        wanted = render(current)
        if wanted != current:
            out.append((path, wanted))
    return out


def main(argv: list[str]) -> int:
    outdated = stale()
    if "--check" in argv:
        for path, _wanted in outdated:
            print(f"{path.relative_to(ROOT)} is out of date: run python tools/generate.py", file=sys.stderr)
        return 1 if outdated else 0
    for path, wanted in outdated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
