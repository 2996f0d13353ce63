"""Command-line spelling shared by the CML-compatible commands.

CML parses its flags with yargs, so existing workflows spell them the yargs way: camelCase or kebab-case
(`--triggerFile`, `--trigger-file`), booleans as `--publish=false`, `--publish false` or `--no-publish`. This module
turns those spellings into what argparse understands, and holds the CML flags that have no meaning here: they
are accepted (a workflow written for CML must keep running) and each one used gets a one-line notice.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from cml_action import workflow
from cml_action.errors import CmlError

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


class CompatParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit 1 (via guarded()), like every other user error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from cml_action import __version__

        super().__init__(*args, **kwargs)
        # CML's commands all answer --version; scripts check it before relying on a feature. (The pass-through
        # parsers of `cml comment|check|asset` take no options of their own: the real parser answers.)
        if "-" in self.prefix_chars:
            self.add_argument("--version", action="version", version=f"cml-action {__version__}")

    def error(self, message: str) -> NoReturn:
        raise CmlError(f"{self.prog}: {message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class IgnoredFlag:
    """A CML flag accepted for compatibility; `why` completes 'ignored: …' in the notice."""

    name: str
    why: str
    takes_value: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return "ignored_" + self.name.replace("-", "_")


# Flags CML accepts on every command (yargs "Global Options").
GLOBAL_IGNORED = (
    IgnoredFlag("driver", "the forge is picked from the CI environment (GitHub, GitLab, else local)", True),
    IgnoredFlag("repo", "the repository is the one of the CI run", True),
    IgnoredFlag("log", "cml-action has one log level (set CML_DEBUG=1 to see tracebacks)", True),
)
COMMENT_IGNORED = (
    IgnoredFlag("native", "images are always published natively to the forge", aliases=("publish-native",)),
    IgnoredFlag("publish-url", "images are published natively to the forge, not to an asset server", True),
    IgnoredFlag("rm-watermark", "the comment always carries cml-action's hidden marker (invisible when rendered)"),
    IgnoredFlag("watch", "not supported: the comment is posted once, when the command runs"),
    IgnoredFlag("trigger-file", "it only works with --watch, which is not supported", True),
    IgnoredFlag("lock", "comments are posted one at a time already"),
)
ASSET_IGNORED = (
    IgnoredFlag("native", "images are always published natively to the forge", aliases=("publish-native",)),
    IgnoredFlag("gitlab-uploads", "images are always published natively to the forge"),
    IgnoredFlag("url", "images are published natively to the forge, not to an asset server", True),
    IgnoredFlag("rm-watermark", "published links carry no watermark"),
    IgnoredFlag("mime-type", "the type is read from the file's content", True),
)


def kebab(name: str) -> str:
    """yargs accepts camelCase for every kebab-case flag: `triggerFile` -> `trigger-file`."""
    return _CAMEL_HUMP.sub(r"-\1", name).lower() if any(ch.isupper() for ch in name) else name


def parse_bool(flag: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CmlError(f"--{flag}: '{raw}' is not a boolean (use --{flag}=true or --{flag}=false)")


def normalize_argv(argv: Sequence[str], booleans: Iterable[str]) -> list[str]:
    """Rewrite yargs spellings: camelCase names to kebab-case, `--flag=false` / `--flag false` to `--no-flag`."""
    known = frozenset(booleans)
    out: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if token == "--":
            out.extend(argv[index - 1 :])
            break
        if not token.startswith("--") or len(token) == 2:
            out.append(token)
            continue
        name, eq, value = token[2:].partition("=")
        name = kebab(name)
        negated = name.startswith("no-") and name[3:] in known
        base = name[3:] if negated else name
        if base not in known:
            out.append(f"--{name}{eq}{value}")
            continue
        state = not negated
        if eq:
            state = parse_bool(base, value) != negated
        elif index < len(argv) and argv[index].lower() in ("true", "false"):
            # yargs lets a boolean take a following literal true/false: `--publish false`.
            state = parse_bool(base, argv[index]) != negated
            index += 1
        out.append(f"--{base}" if state else f"--no-{base}")
    return out


def add_ignored(parser: argparse.ArgumentParser, flags: Iterable[IgnoredFlag]) -> None:
    for flag in flags:
        names = [f"--{flag.name}", *(f"--{alias}" for alias in flag.aliases)]
        if flag.takes_value:
            parser.add_argument(*names, dest=flag.dest, default=None, help=argparse.SUPPRESS)
        else:
            parser.add_argument(*names, dest=flag.dest, action=argparse.BooleanOptionalAction, default=None,
                                help=argparse.SUPPRESS)  # fmt: skip


def announce_ignored(namespace: argparse.Namespace, flags: Iterable[IgnoredFlag]) -> list[str]:
    """One notice (on stderr, stdout carries the command's output) per ignored flag the user set; returns them."""
    said = []
    for flag in flags:
        value = getattr(namespace, flag.dest, None)
        if value is None or value is False:
            continue
        message = f"--{flag.name} is accepted for CML compatibility and ignored: {flag.why}"
        notice(message)
        said.append(message)
    return said


def notice(message: str) -> None:
    workflow.notice(message, stream=sys.stderr)


def warning(message: str) -> None:
    workflow.warning(message, stream=sys.stderr)
