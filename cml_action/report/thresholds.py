"""Regression gates (docs/report.md, "Thresholds"): one rule a line, `<metric glob> <kind> <number>[%]`."""

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
        return metric_matches(self.glob, row.path, row.metric)


def metric_matches(glob: str, path: str, metric: str) -> bool:
    """`glob` names the metric as `file:metric` or as `metric` alone (every file's), case-sensitive fnmatch."""
    return fnmatchcase(f"{path}:{metric}", glob) or fnmatchcase(metric, glob)


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


Outcome = Literal["passed", "tripped", "not evaluated"]
# Why a gate was not evaluated. Only NEW_METRIC is a normal state (the metric did not exist before this change);
# every other reason means the gate could not do its job, which fail-on-regression treats as a failure.
NEW_METRIC = "new metric, no baseline"
NO_BASELINE = "no baseline to compare with"
NOT_NUMBER = "not a number"
BASELINE_NOT_NUMBER = "baseline value is not a number"
NO_MATCH = "matches no metric"


@dataclass(frozen=True)
class GateResult:
    """One gate: a rule applied to one metric, or a rule that matched no metric (`path` and `metric` empty).
    `reason` is plain text (escape before rendering): why it tripped or was not evaluated; "" when passed."""

    rule: Rule
    outcome: Outcome
    reason: str = ""
    path: str = ""
    metric: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.metric)

    @property
    def blocks(self) -> bool:
        """Fails the step under fail-on-regression: a trip, or a gate that judged nothing for a reason other
        than a metric that is new in this change."""
        return self.outcome == "tripped" or (self.outcome == "not evaluated" and self.reason != NEW_METRIC)


@dataclass(frozen=True)
class Gates:
    """Every gate of a run, in rule order then metric order."""

    results: tuple[GateResult, ...] = ()

    def _with(self, outcome: Outcome) -> tuple[GateResult, ...]:
        return tuple(gate for gate in self.results if gate.outcome == outcome)

    @property
    def passed(self) -> tuple[GateResult, ...]:
        return self._with("passed")

    @property
    def tripped(self) -> tuple[GateResult, ...]:
        return self._with("tripped")

    @property
    def not_evaluated(self) -> tuple[GateResult, ...]:
        return self._with("not evaluated")

    @property
    def blocking(self) -> tuple[GateResult, ...]:
        return tuple(gate for gate in self.results if gate.blocks)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and len(self.passed) == len(self.results)

    @property
    def summary(self) -> str:
        """ "3 gates passed", "1 gate tripped", "2 passed, 1 tripped, 1 not evaluated"; "" without gates."""
        counts = [(len(self._with(outcome)), outcome) for outcome in ("passed", "tripped", "not evaluated")]
        present = [(count, outcome) for count, outcome in counts if count]
        if len(present) == 1:
            count, outcome = present[0]
            return f"{count} gate{'' if count == 1 else 's'} {outcome}"
        return ", ".join(f"{count} {outcome}" for count, outcome in present)

    @property
    def notes(self) -> tuple[str, ...]:
        """Plain-text log lines (warnings) for the gates that judged nothing; the report lists them too."""
        return tuple(
            f"thresholds line {gate.rule.line}: rule '{gate.rule.text}' not evaluated"
            + (f" on {gate.path}:{gate.metric}" if gate.path or gate.metric else "")
            + f": {gate.reason}"
            for gate in self.not_evaluated
        )


def _judge(rule: Rule, row: MetricRow, has_baseline: bool) -> tuple[Outcome, str]:
    new, old = row.new, row.old
    if new is None:
        return "tripped", f"missing at head (baseline {_show(old)})"
    if not is_number(new):
        return "not evaluated", NOT_NUMBER
    if rule.kind in ("min", "max"):
        return _verdict(_check_bound(rule, new))  # type: ignore[arg-type]
    if old is None:
        return "not evaluated", NEW_METRIC if has_baseline else NO_BASELINE
    if not is_number(old):
        return "not evaluated", BASELINE_NOT_NUMBER
    return _verdict(_check_change(rule, old, new))  # type: ignore[arg-type]  # ints stay ints in the message


def _verdict(reason: str | None) -> tuple[Outcome, str]:
    return ("passed", "") if reason is None else ("tripped", reason)


def _check_bound(rule: Rule, new: float) -> str | None:
    if math.isnan(new):
        return "is NaN"
    if rule.kind == "min" and _exceeds(rule.value, new):
        return f"{_show(new)} < {rule.amount}"
    if rule.kind == "max" and _exceeds(new, rule.value):
        return f"{_show(new)} > {rule.amount}"
    return None


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


def _unmatched(rule: Rule, unknown_files: tuple[str, ...]) -> GateResult:
    """A rule that matched no metric judged nothing. When a metrics file is missing at head and its metrics are
    unknown (no baseline either), they are the likely ones the rule guards: that trips the gate rather than
    letting a failed training pass."""
    if unknown_files:
        files = ", ".join(f"'{path}'" for path in unknown_files)
        verb = "is" if len(unknown_files) == 1 else "are"
        return GateResult(rule, "tripped", f"{NO_MATCH}; {files} {verb} missing at head")
    return GateResult(rule, "not evaluated", NO_MATCH)


def evaluate_gates(
    rules: tuple[Rule, ...],
    diff: MetricsDiff,
    *,
    has_baseline: bool = True,
    missing_at_head: tuple[str, ...] = (),
) -> Gates:
    """Every (rule, matching metric) gate; a rule matching nothing is one gate of its own.
    `has_baseline`: whether a baseline commit was read at all (else a metric absent there is not "new").
    `missing_at_head`: metrics files expected but absent (or unreadable) in the working tree."""
    results: list[GateResult] = []
    known = diff.paths
    unknown = tuple(path for path in missing_at_head if path not in known)  # nor read at the baseline
    for rule in rules:
        matched = [row for row in diff.rows if rule.matches(row)]
        if not matched:
            results.append(_unmatched(rule, unknown))
        for row in matched:
            outcome, reason = _judge(rule, row, has_baseline)
            results.append(GateResult(rule, outcome, reason, row.path, row.metric))
    return Gates(tuple(results))


def tripped_keys(gates: Gates) -> frozenset[tuple[str, str]]:
    """(path, metric) of every metric that tripped a gate: the rows the table marks."""
    return frozenset(gate.key for gate in gates.tripped if gate.metric or gate.path)


def _gate_line(gate: GateResult) -> str:
    where = f" on {escape_markdown(f'{gate.path}:{gate.metric}')}" if gate.path or gate.metric else ""
    return f"- {code_span(gate.rule.text)}{where}: {escape_markdown(gate.reason)}"


def render_verdict(gates: Gates, *, heading: str = "### Gates") -> str:
    """Markdown section: "All N gates passed ✅" only when every gate was evaluated and passed; else the counts
    ("❌ 2 passed, 1 tripped, 1 not evaluated"; ⚠️ when nothing blocks) and every tripped and not-evaluated gate
    with its reason. "" without gates."""
    if not gates.results:
        return ""
    if gates.all_passed:
        count = len(gates.results)
        passed = "1 gate passed" if count == 1 else f"All {count} gates passed"
        return f"{heading}\n\n{passed} ✅\n"
    mark = "❌" if gates.blocking else "⚠️"
    lines = [heading, "", f"{mark} {gates.summary}"]
    for title, listed in (("Tripped:", gates.tripped), ("Not evaluated:", gates.not_evaluated)):
        if listed:
            lines += ["", title, "", *(_gate_line(gate) for gate in listed)]
    return "\n".join(lines) + "\n"
