"""One line of the `plots` input: a target (data file, folder, glob or dvc.yaml plot id) and optional axes.

    loss.csv                      # today's behaviour: x is step/epoch/the first column, y every numeric column
    loss.csv x=step y=loss,val_loss
    lr.csv y=lr                   # one column: drawn against the row index, `step`, as DVC does

Modelled on DVC's `x`/`y` plot properties: `x=FIELD` names one column, `y=FIELD[,FIELD…]` one or more. An entry
with options takes its own line (its commas belong to `y=`). Anything else is an error naming the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from cml_action.errors import InputError

EXAMPLE = "write e.g. 'loss.csv x=step y=loss,val_loss'"
_KEYS = ("x", "y")


@dataclass(frozen=True)
class PlotEntry:
    target: str
    x: str | None = None
    y: tuple[str, ...] = ()

    @property
    def has_axes(self) -> bool:
        return self.x is not None or bool(self.y)


def _bad(entry: str, problem: str) -> InputError:
    return InputError("plots", f"'{entry}': {problem}", EXAMPLE)


def parse_entry(text: str) -> PlotEntry:
    """The entry's target and axes; raises InputError (naming `plots`) on anything but `x=F` and `y=F[,F…]`."""
    entry = text.strip()
    if "=" not in entry:
        return PlotEntry(entry)  # a plain path, spaces and all
    target, *options = entry.split()
    if "=" in target:
        raise _bad(entry, "starts with an option; give the data file first")
    seen: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in _KEYS:
            raise _bad(entry, f"'{option}' is not x=FIELD or y=FIELD[,FIELD…]")
        if key in seen:
            raise _bad(entry, f"'{key}=' is given twice")
        fields = value.split(",")
        if not value or any(not field for field in fields):
            raise _bad(entry, f"'{option}' has an empty field name")
        if key == "x" and len(fields) > 1:
            raise _bad(entry, f"'{option}' names {len(fields)} fields; x takes one")
        seen[key] = value
    y = tuple(seen["y"].split(",")) if "y" in seen else ()
    return PlotEntry(target, seen.get("x"), y)
