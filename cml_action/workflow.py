"""GitHub Actions workflow I/O: step outputs, job summary, annotations, log groups, masking, untrusted echo.

Formats follow GitHub's "Workflow commands for GitHub Actions" page and @actions/core:
- `GITHUB_OUTPUT` takes `name<<DELIMITER\\nvalue\\nDELIMITER` blocks; a random delimiter keeps any value safe.
- The job summary (`GITHUB_STEP_SUMMARY`) is limited to 1 MiB per step.
- Command data escapes `%`, CR, LF; command properties also escape `:` and `,`.
- `::stop-commands::TOKEN` ... `::TOKEN::` stops the runner from acting on anything printed in between.

Off GitHub (`GITHUB_ACTIONS` != "true") everything is a no-op or plain text.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from cml_action.report.assemble import ReportParts

SUMMARY_LIMIT_BYTES = 1024 * 1024  # GitHub: "job summaries are limited to 1 MiB per step"
SUMMARY_TRUNCATED_NOTE = (
    "\n\n> **Note:** the report was cut to fit GitHub's 1 MiB job-summary limit; "
    "the full report is in the `report-file` output.\n"
)


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _out(stream: TextIO | None) -> TextIO:
    return sys.stdout if stream is None else stream


def on_github(env: Mapping[str, str] | None = None) -> bool:
    return _env(env).get("GITHUB_ACTIONS") == "true"


def visible(text: str, *, keep_newlines: bool) -> str:
    """Control characters (ESC and friends) as `\\xNN`, so untrusted text cannot colour, hide or fold log lines;
    without `keep_newlines`, CR/LF too, so a message stays one line where the log has no escaping (GitLab, CLI)."""
    out = []
    for char in text:
        code = ord(char)
        if char == "\t" or (keep_newlines and char in "\r\n"):
            out.append(char)
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append({"\n": "\\n", "\r": "\\r"}.get(char, f"\\x{code:02x}"))
        else:
            out.append(char)
    return "".join(out)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _delimiter(value: str) -> str:
    while True:
        candidate = f"ghadelimiter_{secrets.token_hex(16)}"
        if candidate not in value:
            return candidate


def set_output(name: str, value: str, env: Mapping[str, str] | None = None) -> bool:
    """Append a step output (multi-line safe). Returns False when there is no GITHUB_OUTPUT to write."""
    variables = _env(env)
    target = variables.get("GITHUB_OUTPUT", "")
    if not on_github(variables) or not target:
        return False
    delimiter = _delimiter(value)
    return _append("GITHUB_OUTPUT", target, f"{name}<<{delimiter}\n{value}\n{delimiter}\n", "the step outputs")


_BROKEN_FILES: set[str] = set()  # runner files already reported as unwritable (one warning each)


def _append(variable: str, target: str, text: str, what: str) -> bool:
    """Append to a runner file. A path that cannot be written (a broken runner, a step that deleted its folder)
    costs those outputs, not the report: one warning per file, then the run goes on to post the comment."""
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        if variable not in _BROKEN_FILES:
            _BROKEN_FILES.add(variable)
            reason = exc.strerror or type(exc).__name__
            warning(f"cannot write {what} to {variable} ({target}: {reason}); the report is still posted and saved")
        return False
    return True


def fit_summary(markdown: str, budget: int) -> str:
    """`markdown` if it fits in `budget` UTF-8 bytes, else cut at a line boundary and followed by a note."""
    if len(markdown.encode("utf-8")) <= budget:
        return markdown
    room = budget - len(SUMMARY_TRUNCATED_NOTE.encode("utf-8"))
    if room <= 0:
        return ""
    head = markdown.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    cut = head.rfind("\n")
    return (head[:cut] if cut > 0 else "") + SUMMARY_TRUNCATED_NOTE


def write_summary(markdown: str, env: Mapping[str, str] | None = None) -> bool:
    """Append the report to the job summary within GitHub's 1 MiB; False when there is no summary file."""
    variables = _env(env)
    target = variables.get("GITHUB_STEP_SUMMARY", "")
    if not on_github(variables) or not target:
        return False
    text = fit_summary(markdown if markdown.endswith("\n") else markdown + "\n", _summary_room(target))
    return _append("GITHUB_STEP_SUMMARY", target, text, "the job summary")


SUMMARY_FULL_REPORT_HINT = "the `report-file` output of this step (report.md)"


def write_report_summary(parts: ReportParts, env: Mapping[str, str] | None = None) -> bool:
    """Append the report to the job summary, fitted to the room left of GitHub's 1 MiB the way the comment is
    fitted: the report texts are cut first (at a heading or line, blocks closed), so the metrics table, gates,
    warnings, footer and marker survive a huge report file. False when there is no summary file."""
    from cml_action.report.limits import fit_report

    variables = _env(env)
    target = variables.get("GITHUB_STEP_SUMMARY", "")
    if not on_github(variables) or not target:
        return False
    room = _summary_room(target) - 1  # the newline that keeps a later step's summary on its own line
    text = fit_report(parts, room, unit="bytes", full_report_hint=SUMMARY_FULL_REPORT_HINT) if room > 0 else ""
    return _append("GITHUB_STEP_SUMMARY", target, text if text.endswith("\n") else text + "\n", "the job summary")


def _summary_room(target: str) -> int:
    """Bytes left in this step's 1 MiB summary (earlier writes of the step count)."""
    try:
        return SUMMARY_LIMIT_BYTES - os.stat(target).st_size
    except OSError:
        return SUMMARY_LIMIT_BYTES


def _annotate(
    level: str,
    message: str,
    file: str | None,
    line: int | None,
    title: str | None,
    env: Mapping[str, str] | None,
    stream: TextIO | None,
) -> None:
    from cml_action.redact import redact

    out = _out(stream)
    message = redact(message)  # every annotation, whatever a caller forgot: messages quote forges' answers
    if not on_github(env):
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        print(visible(f"{level}: {where}{message}", keep_newlines=False), file=out, flush=True)
        return
    given = [(key, value) for key, value in (("file", file), ("line", line), ("title", title)) if value]
    props = ",".join(f"{key}={escape_property(visible(str(value), keep_newlines=True))}" for key, value in given)
    joined = f" {props}" if props else ""
    print(f"::{level}{joined}::{escape_data(visible(message, keep_newlines=True))}", file=out, flush=True)


class Annotator(Protocol):
    def __call__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        title: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        stream: TextIO | None = None,
    ) -> None: ...


def _annotator(level: str) -> Annotator:
    def annotate(
        message: str,
        file: str | None = None,
        line: int | None = None,
        title: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        stream: TextIO | None = None,
    ) -> None:
        _annotate(level, message, file, line, title, env, stream)

    annotate.__name__ = level
    annotate.__doc__ = f"`::{level}::` on GitHub (with file/line/title), a plain '{level}: …' line elsewhere."
    return annotate


error = _annotator("error")
warning = _annotator("warning")
notice = _annotator("notice")


@contextmanager
def group(name: str, *, env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> Iterator[None]:
    """A collapsible log group ending with the step's duration (silent off GitHub)."""
    active = on_github(env)
    out = _out(stream)
    if active:
        print(f"::group::{escape_data(name)}", file=out, flush=True)
    started = time.monotonic()
    try:
        yield
    finally:
        if active:
            print(f"{escape_data(name)}: {time.monotonic() - started:.2f} s", file=out)
            print("::endgroup::", file=out, flush=True)


def mask(value: str, *, env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> None:
    """Ask the runner to mask a derived secret in the log (each line of a multi-line value)."""
    if not on_github(env):
        return
    out = _out(stream)
    for part in value.splitlines() or [value]:
        if part.strip():
            print(f"::add-mask::{escape_data(part)}", file=out, flush=True)
