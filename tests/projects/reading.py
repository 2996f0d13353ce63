"""Reading a posted report as a reviewer does: its tables, its images, the lines that are not tables (warnings,
verdicts, notes). The assertions built on these name facts a reviewer sees, not the exact wording of a sentence."""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_URL = re.compile(r"\(https?://[^)\s]*\)|https?://\S+")
_FULL_SHA = re.compile(r"\b[0-9a-f]{40}\b")


def table_rows(body: str) -> list[list[str]]:
    """Cells of every markdown table row (header and separator rows included)."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in body.splitlines()
            if line.lstrip().startswith("|")]  # fmt: skip


def metric_row(body: str, path: str, metric: str) -> list[str] | None:
    """The metrics-table row of `metric` in `path` (the cells after Path and Metric), or None."""
    for cells in table_rows(body):
        if len(cells) >= 3 and cells[0] == path and cells[1] == metric:
            return cells[2:]
    return None


def param_row(body: str, param: str) -> list[str] | None:
    """The params-table row of `param` (every cell), or None."""
    for cells in table_rows(body):
        if param in cells:
            return cells
    return None


def images(body: str) -> list[tuple[str, str]]:
    """(alt, link) of every image in the markdown (HTML <img> tags counted too, alt from their alt attribute)."""
    found = [(m.group(1), m.group(2)) for m in _IMAGE.finditer(body)]
    found += [(alt, src) for src, alt in re.findall(r'<img[^>]*src="([^"]+)"[^>]*?(?:alt="([^"]*)")?', body)]
    return found


def prose(body: str) -> list[str]:
    """Lines that are not table rows, images or blank: headings, warnings, verdicts, notes."""
    lines = (line.strip() for line in body.splitlines())
    return [line for line in lines if line and not line.startswith("|") and not line.startswith("![")]


def lines_naming(body: str, *words: str) -> list[str]:
    """Prose lines that contain every word (case-insensitive)."""
    return [line for line in prose(body) if all(word.lower() in line.lower() for word in words)]


def says_gates_passed(body: str) -> bool:
    """The report gives an all-passed gate verdict: a line saying "passed" that reports nothing tripped or not
    evaluated ("All 2 gates passed ✅", "2 passed"; not "0 passed, 2 tripped")."""
    for line in prose(body):
        lowered = line.lower()
        if re.search(r"\bpassed\b", lowered) and not re.search(r"tripped|not evaluated|failed", lowered):
            return True
    return False


def warnings(body: str) -> list[str]:
    """Warning lines: the lines of a `> [!WARNING]` / `> [!CAUTION]` block, and any line with ⚠ or "warning"."""
    found, in_block = [], False
    for line in (raw.strip() for raw in body.splitlines()):
        if re.match(r">\s*\[!(WARNING|CAUTION|IMPORTANT)\]", line):
            in_block = True
            continue
        in_block = in_block and line.startswith(">")
        if in_block or "⚠" in line or "warning" in line.lower():
            found.append(line)
    return found


def warned_about(body: str, *words: str) -> bool:
    """A warning line names every word (case-insensitive)."""
    return any(all(word.lower() in line.lower() for word in words) for line in warnings(body))


def images_of(body: str, word: str) -> int:
    """Images that belong to `word`: on a line that names it (a before/after table row) or with it in their alt."""
    near = sum(len(images(line)) for line in body.splitlines() if word.lower() in line.lower())
    by_alt = sum(word.lower() in alt.lower() for alt, _ in images(body))
    return max(near, by_alt)


def full_shas_outside_links(body: str) -> list[str]:
    """40-character commit ids a reviewer would read (links may carry them)."""
    return _FULL_SHA.findall(_URL.sub("", body))


def section_index(body: str, title: str) -> int:
    """Line number of the heading (or <summary>) that starts a section named `title`; -1 when absent."""
    for index, line in enumerate(body.splitlines()):
        stripped = line.strip()
        if (stripped.startswith("#") or "<summary>" in stripped) and title.lower() in stripped.lower():
            return index
    return -1
