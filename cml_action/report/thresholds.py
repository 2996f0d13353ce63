"""Regression gates (DESIGN §6): one rule a line, `<metric glob> <kind> <number>[%]`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from cml_action.errors import InputError
from cml_action.report.diff import MetricRow, MetricsDiff, is_number
from cml_action.report.escape import code_span, escape_markdown, for_log
from cml_action.report.table import format_value

Kind = Literal["min", "max", "max-drop", "max-rise"]
KINDS: tuple[Kind, ...] = ("min", "max", "max-drop", "max-rise")
RULE_FIX = "write '<metric glob> min|max|max-drop|max-rise <number>[%]'"
# Float noise must not trip a gate: 0.9 - 0.89 is 0.010000000000000009, which is "a drop of 0.01".
_REL_TOLERANCE = 1e-9
_ABS_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Rule:
    glob: str
    kind: Kind
    value: float
    percent: bool
    line: int
    amount: str  # the number as written, e.g. "5%", shown back to the user unchanged

    @property
    def text(self) -> str:
        return f"{self.glob} {self.kind} {self.amount}"

    def matches(self, row: MetricRow) -> bool:
        return fnmatchcase(f"{row.path}:{row.metric}", self.glob) or fnmatchcase(row.metric, self.glob)


@dataclass(frozen=True)
class Trip:
    """A rule that failed on one metric; `reason` is plain text (escape before rendering)."""

    rule: Rule
    path: str
    metric: str
    reason: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.metric)


def parse_thresholds(text: str) -> tuple[Rule, ...]:
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            rules.append(_parse_rule(line, number))
    return tuple(rules)


def _fail(line: int, problem: str) -> InputError:
    return InputError("thresholds", f"line {line}: {problem}", RULE_FIX, line=line)


def _quoted(text: str) -> str:
    short = text if len(text) <= 60 else text[:57] + "..."
    return "'" + for_log(short) + "'"


def _parse_rule(line: str, number: int) -> Rule:
    fields = line.rsplit(None, 2)  # the glob may contain spaces; kind and number never do
    if len(fields) != 3:
        raise _fail(number, f"expected '<glob> <kind> <number>', got {_quoted(line)}")
    glob, kind, amount = fields
    if kind not in KINDS:
        raise _fail(number, f"unknown kind {_quoted(kind)} (kinds: {', '.join(KINDS)})")
    percent = amount.endswith("%")
    digits = amount[:-1] if percent else amount
    try:
        value = float(digits)
    except ValueError:
        raise _fail(number, f"{_quoted(amount)} is not a number") from None
    if not math.isfinite(value):
        raise _fail(number, f"{_quoted(amount)} is not a finite number")
    if percent and kind in ("min", "max"):
        raise _fail(number, f"{kind} takes an absolute value, not a percentage ({_quoted(amount)})")
    if value < 0 and kind in ("max-drop", "max-rise"):
        raise _fail(number, f"{kind} takes a number >= 0, got {_quoted(amount)}")
    return Rule(glob=glob, kind=kind, value=value, percent=percent, line=number, amount=amount)  # type: ignore[arg-type]


def _exceeds(amount: float, limit: float) -> bool:
    return amount > limit and not math.isclose(amount, limit, rel_tol=_REL_TOLERANCE, abs_tol=_ABS_TOLERANCE)


def _check(rule: Rule, row: MetricRow) -> str | None:
    """None when the rule passes or does not apply; else the reason it tripped."""
    new, old = row.new, row.old
    if rule.kind in ("min", "max"):
        if new is None and is_number(old):
            return "missing in the current metrics"
        if not is_number(new):
            return None
        value = float(new)  # type: ignore[arg-type]
        if math.isnan(value):
            return "is NaN"
        if rule.kind == "min" and _exceeds(rule.value, value):
            return f"{_show(new)} < {rule.amount}"
        if rule.kind == "max" and _exceeds(value, rule.value):
            return f"{_show(new)} > {rule.amount}"
        return None
    if not (is_number(old) and is_number(new)):
        return None
    return _check_change(rule, old, new)  # type: ignore[arg-type]  # ints stay ints in the message


def _check_change(rule: Rule, old: float, new: float) -> str | None:
    if math.isnan(new) or math.isnan(old):
        return "change is NaN"
    amount = old - new if rule.kind == "max-drop" else new - old
    verb = "dropped" if rule.kind == "max-drop" else "rose"
    if rule.percent:
        if old == 0:
            return f"{verb} by {_show(amount)} from 0" if _exceeds(amount, 0) else None
        relative = amount / abs(old) * 100
        if _exceeds(relative, rule.value):
            return f"{verb} {relative:.2f}% ({_show(old)} → {_show(new)}), limit {rule.amount}"
        return None
    if _exceeds(amount, rule.value):
        return f"{verb} by {_show(amount)} ({_show(old)} → {_show(new)}), limit {rule.amount}"
    return None


def _show(value: object) -> str:
    return format_value(value, 5)


def applies(rule: Rule, row: MetricRow) -> bool:
    """A row the rule can judge: min/max need a current (or vanished) number, changes need numbers on both sides."""
    if rule.kind in ("min", "max"):
        return is_number(row.new) or (row.new is None and is_number(row.old))
    return is_number(row.old) and is_number(row.new)


@dataclass(frozen=True)
class GateResult:
    trips: tuple[Trip, ...]
    warnings: tuple[str, ...]


def evaluate_gates(rules: tuple[Rule, ...], diff: MetricsDiff) -> GateResult:
    trips = []
    for rule in rules:
        for row in diff.rows:
            if rule.matches(row) and (reason := _check(rule, row)) is not None:
                trips.append(Trip(rule=rule, path=row.path, metric=row.metric, reason=reason))
    return GateResult(trips=tuple(trips), warnings=unmatched_warnings(rules, diff))


def unmatched_warnings(rules: tuple[Rule, ...], diff: MetricsDiff) -> tuple[str, ...]:
    """A rule that judges no metric is a warning (typo in the glob, metric renamed), never an error."""
    warnings = []
    for rule in rules:
        if not any(rule.matches(row) and applies(rule, row) for row in diff.rows):
            warnings.append(f"thresholds line {rule.line}: rule '{rule.text}' matches no numeric metric")
    return tuple(warnings)


def tripped_keys(trips: tuple[Trip, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(trip.key for trip in trips)


def render_verdict(rules: tuple[Rule, ...], trips: tuple[Trip, ...], *, heading: str = "### Gates") -> str:
    """Markdown section: every tripped gate, or "All N gates passed ✅"; "" when there are no rules."""
    if not rules:
        return ""
    if not trips:
        passed = "1 gate passed" if len(rules) == 1 else f"All {len(rules)} gates passed"
        return f"{heading}\n\n{passed} ✅\n"
    failed_rules = len({trip.rule for trip in trips})
    lines = [heading, "", f"❌ {failed_rules} of {len(rules)} gates tripped:", ""]
    for trip in trips:
        where = escape_markdown(f"{trip.path}:{trip.metric}")
        lines.append(f"- {code_span(trip.rule.text)} on {where}: {escape_markdown(trip.reason)}")
    return "\n".join(lines) + "\n"
