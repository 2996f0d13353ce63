"""Read a job log the way the GitHub Actions runner does and list the workflow commands it would act on.

The rules are the runner's own (actions/runner `src/Runner.Common/ActionCommand.cs` and `ActionCommandManager`):
- The log is cut into lines at `\\r\\n`, `\\n` or `\\r` (the runner reads the process output line by line).
- Current syntax: the line, after leading whitespace is trimmed, starts with `::`; the text up to the next `::` is
  `name[ key=value,key=value]`, the rest is the data (`%25`, `%0D`, `%0A` unescaped).
- Legacy syntax: `##[name key=value;key=value]data` ANYWHERE in the line (`IndexOf`, not `StartsWith`).
- Only registered command names act; `::stop-commands::TOKEN` makes the runner ignore every command until a line
  `::TOKEN::`.

`problems(log, ...)` says what in a log would act as a command that our code did not mean to emit; a test
asserts it is empty. What our code emits on purpose: `group`/`endgroup`, `add-mask` of a known secret,
`error`/`warning`/`notice` annotations with our own properties, and balanced `stop-commands` blocks around
untrusted text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# The runner's registered command names (ActionCommandManager extensions plus the built-in stop/resume).
RUNNER_COMMANDS = frozenset(
    {
        "add-mask",
        "add-matcher",
        "add-path",
        "debug",
        "echo",
        "endgroup",
        "error",
        "group",
        "notice",
        "remove-matcher",
        "save-state",
        "set-env",
        "set-output",
        "stop-commands",
        "warning",
        "internal-set-repo-path",
    }
)
ANNOTATIONS = frozenset({"error", "warning", "notice"})
# Properties the runner documents for annotations; anything else came from somewhere we did not intend.
ANNOTATION_PROPERTIES = frozenset({"file", "line", "endLine", "col", "endColumn", "title"})
OURS = frozenset({"group", "endgroup", "add-mask", "stop-commands", *ANNOTATIONS})
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_LEGACY_PREFIX = "##["
_MIN_STOP_TOKEN = 16  # shorter resume tokens are guessable by the text they are meant to protect


@dataclass(frozen=True)
class Command:
    """One workflow command the runner would parse (acted on unless `paused`)."""

    line_number: int  # 1-based
    line: str
    syntax: str  # "v2" (`::name::`) or "legacy" (`##[name]`)
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""
    paused: bool = False  # inside a stop-commands block: ignored by the runner


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def _pairs(text: str, separator: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in (part for part in text.split(separator) if part):
        key, equals, value = item.partition("=")
        if equals and key and value:
            pairs[key] = value
    return pairs


def _parse_v2(line: str, names: frozenset[str]) -> tuple[str, dict[str, str], str] | None:
    text = line.lstrip()  # .NET TrimStart: leading Unicode white space (not the zero-width space)
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info = text[2:end]
    name, _, props = info.partition(" ")
    if name not in names:
        return None
    properties = {key: _unescape_property(value) for key, value in _pairs(props.strip(), ",").items()}
    return name, properties, _unescape_data(text[end + 2 :])


def _parse_legacy(line: str, names: frozenset[str]) -> tuple[str, dict[str, str], str] | None:
    start = line.find(_LEGACY_PREFIX)
    if start < 0:
        return None
    close = line.find("]", start)
    if close < 0:
        return None
    info = line[start + len(_LEGACY_PREFIX) : close]
    name, _, props = info.partition(" ")
    if name not in names:
        return None
    return name, _pairs(props, ";"), line[close + 1 :]


def scan(log: str) -> list[Command]:
    """Every line the runner would parse as a command, in order, with stop-commands blocks honoured."""
    found: list[Command] = []
    resume: str | None = None
    for number, line in enumerate(_LINE_BREAK.split(log), start=1):
        names = RUNNER_COMMANDS | ({resume} if resume else frozenset())
        parsed = _parse_v2(line, names)
        syntax = "v2"
        if parsed is None:
            parsed, syntax = _parse_legacy(line, names), "legacy"
        if parsed is None:
            continue
        name, properties, data = parsed
        if resume is not None:
            found.append(Command(number, line, syntax, name, properties, data, paused=name != resume))
            if name == resume:
                resume = None
            continue
        found.append(Command(number, line, syntax, name, properties, data))
        if name == "stop-commands":
            resume = data
    return found


def problems(
    log: str,
    *,
    secrets: Iterable[str] = (),
    annotations: Iterable[str] = ("warning", "notice"),
    forbidden: Iterable[str] = (),
) -> list[str]:
    """What in `log` the runner would act on that our code does not emit on purpose (empty: the log is safe).

    `secrets`: values an `add-mask` may carry. `annotations`: the annotation kinds this run may produce.
    `forbidden`: texts (hostile payloads) that must not be the start of any acted-on command's data: an
    annotation whose message *is* the attacker's text means the text became its own command.
    """
    allowed_masks = {value for value in secrets if value}
    allowed_annotations = frozenset(annotations)
    payloads = [text for text in forbidden if text]
    found: list[str] = []
    open_block: Command | None = None
    for command in scan(log):
        where = f"line {command.line_number}: {command.line!r}"
        if command.paused:
            continue
        if open_block is not None:  # the resume line of the open block
            open_block = None
            continue
        if command.syntax == "legacy":
            found.append(f"{where}: legacy ##[{command.name}] command (we never emit one)")
        elif command.name not in OURS:
            found.append(f"{where}: '{command.name}' is not a command we emit")
        elif command.name == "add-mask" and command.data not in allowed_masks:
            found.append(f"{where}: add-mask of a value that is not a known secret")
        elif command.name in ANNOTATIONS and command.name not in allowed_annotations:
            found.append(f"{where}: unexpected {command.name} annotation")
        elif command.name in ANNOTATIONS and set(command.properties) - ANNOTATION_PROPERTIES:
            found.append(f"{where}: annotation with unknown properties {sorted(command.properties)}")
        elif command.name == "stop-commands":
            if len(command.data) < _MIN_STOP_TOKEN:
                found.append(f"{where}: stop-commands token too short to be unguessable")
            open_block = command
        if any(command.data.startswith(text) or text in command.properties.values() for text in payloads):
            found.append(f"{where}: acts with attacker-controlled data")
    if open_block is not None:
        found.append(f"line {open_block.line_number}: stop-commands block never resumed (later commands are lost)")
    return found


def read_output_file(text: str) -> list[tuple[str, str]]:
    """GITHUB_OUTPUT read like the runner's file-command reader: `name=value` lines and `name<<DELIMITER` blocks
    (ending at a line equal to the delimiter). Every (name, value) in order, duplicates kept, so a test sees an
    output that a value managed to add. Lines end at `\\n`, `\\r\\n` or `\\r` (the runner's line reader)."""
    lines = _LINE_BREAK.split(text)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            pairs.append((line[:equals], line[equals + 1 :]))
            continue
        if heredoc < 0:
            raise ValueError(f"invalid GITHUB_OUTPUT line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        try:
            end = lines.index(delimiter, index)
        except ValueError:
            raise ValueError(f"GITHUB_OUTPUT: no closing delimiter for {name!r}") from None
        pairs.append((name, "\n".join(lines[index:end])))
        index = end + 1
    return pairs
