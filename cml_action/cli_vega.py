"""`vl2png` and `vl2svg`: vega-cli's converters, as CML's README and image used them, rendered by vl-convert.

    vl2png [input.json] [output.png] [-s SCALE] [-c CONFIG]      (stdin / stdout when a file is not named)
    vl2svg [input.json] [output.svg] [--header]

Both accept a Vega-Lite spec and, like `vg2png`, a plain Vega spec. The network is never used for data
(`--base` is accepted and refused with one line when it names a URL, rather than silently fetching).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cml_action.errors import CmlError
from cml_action.vega import Format

SVG_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n'


def _parser(fmt: Format) -> argparse.ArgumentParser:
    from cml_action.cli_compat_flags import CompatParser  # one-line usage errors and --version, like every command

    prog = f"vl2{fmt}"
    parser = CompatParser(prog=prog, description=f"Render a Vega-Lite (or Vega) JSON spec to {fmt.upper()}.")
    parser.add_argument("input", nargs="?", default="-", help="spec file (default: stdin)")
    parser.add_argument("output", nargs="?", default="-", help=f"{fmt.upper()} file to write (default: stdout)")
    parser.add_argument("-s", "--scale", type=float, default=1.0, help="resolution scale factor (default 1)")
    parser.add_argument("-c", "--config", default=None, help="Vega-Lite config JSON file")
    parser.add_argument("-b", "--base", default=None, help="base for relative data URLs (only local data works)")
    parser.add_argument("-l", "--loglevel", default=None, help="accepted for vega-cli compatibility")
    if fmt == "svg":
        parser.add_argument("--header", action="store_true", help="start the SVG with an XML declaration")
    return parser


def _read_input(name: str, prog: str) -> bytes:
    if name == "-":
        if sys.stdin.isatty():
            raise CmlError(f"{prog}: no spec given: name a JSON file, or pipe one on stdin")
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise CmlError(f"{prog}: '{name}' does not exist or is not a file (give a Vega-Lite JSON spec)")
    return path.read_bytes()


def _config(name: str | None, prog: str) -> dict[str, Any] | None:
    if name is None:
        return None
    try:
        value = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CmlError(f"{prog}: --config '{name}' is not a readable JSON file ({exc})") from None
    if not isinstance(value, dict):
        raise CmlError(f"{prog}: --config '{name}' must hold a JSON object")
    return value


def convert(argv: Sequence[str], fmt: Format) -> int:
    from cml_action import vega

    parser = _parser(fmt)
    args = parser.parse_args(list(argv))
    prog = parser.prog
    if args.scale <= 0:
        raise CmlError(f"{prog}: --scale must be a positive number, got {args.scale}")
    if args.base and "://" in args.base:
        raise CmlError(f"{prog}: --base '{args.base}': data is never fetched from the network; use inline data")
    data = _read_input(args.input, prog)
    spec = vega.parse_spec(data)
    if spec is None:
        raise CmlError(f"{prog}: the input is not a Vega-Lite or Vega JSON spec")
    result = vega.render(spec, fmt, scale=args.scale, config=_config(args.config, prog))
    if fmt == "svg" and args.header:
        result = SVG_HEADER.encode("utf-8") + result
    if args.output == "-":
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    else:
        try:
            Path(args.output).write_bytes(result)
        except OSError as exc:
            raise CmlError(f"{prog}: cannot write '{args.output}': {exc.strerror or exc}") from None
    return 0
