"""The operators of the policy language.

Each operator compares the value found at a condition's ``field`` (or a ``count``) with the value
the policy gives. The docstring of each operator is its user documentation: ``gate operators``
prints it and a test keeps every operator documented with a passing and a failing example.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gate.timeutil import CLOCK_SKEW_SECONDS, Instant, parse_instant


class _Missing:
    """The value of a field the object does not have (distinct from null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    test: Callable[[Any, Any, Instant], bool]
    value: str  # what the policy must give: "any", "list", "number", "regex", "bool"
    doc: str


def _number(value: Any) -> int | float | None:
    """The value if it is a number. Ints stay ints: comparing one with a float is exact in
    Python, while converting a 400-digit int to float overflows."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    return None


def equals(actual: Any, expected: Any, now: Instant) -> bool:
    """The field equals the value.

    Passes: ``{field: risk.level, equals: Fatal}`` on a risk whose level is ``Fatal``.
    Fails: the same condition on a risk whose level is ``Warning``, or that has no level.
    """
    return actual is not MISSING and actual == expected


def not_equals(actual: Any, expected: Any, now: Instant) -> bool:
    """The field is absent or differs from the value.

    Passes: ``{field: risk.status, notEquals: Failed}`` on a risk whose status is ``Success``.
    Fails: the same condition on a risk whose status is ``Failed``.
    """
    return actual is MISSING or actual != expected


def in_(actual: Any, expected: Any, now: Instant) -> bool:
    """The field equals one of the listed values.

    Passes: ``{field: task.status.status, in: [Success, Failed]}`` on a finished task.
    Fails: the same condition on a task whose status is ``Running``.
    """
    return actual is not MISSING and actual in expected


def not_in(actual: Any, expected: Any, now: Instant) -> bool:
    """The field is absent or equals none of the listed values.

    Passes: ``{field: risk.riskName, notIn: [AddonStatus]}`` on the ``AddonValidate`` risk.
    Fails: the same condition on the ``AddonStatus`` risk.
    """
    return actual is MISSING or actual not in expected


def matches(actual: Any, expected: Any, now: Instant) -> bool:
    """The field is a string in which the regular expression (Python syntax) finds a match.

    Passes: ``{field: risk.message, matches: parameterSyncStrategy}`` on a message naming it.
    Fails: the same condition on a message that does not, or on a risk without a message.
    """
    return isinstance(actual, str) and expected.search(actual) is not None


def exists(actual: Any, expected: Any, now: Instant) -> bool:
    """The field is present (``exists: true``) or absent (``exists: false``).

    Passes: ``{field: task.spec.addonTargetVersion, exists: true}`` on an upgrade check.
    Fails: the same condition on a task without a ``spec``.
    """
    return (actual is not MISSING) is bool(expected)


def at_least(actual: Any, expected: Any, now: Instant) -> bool:
    """The field (or the ``count``) is a number no smaller than the value.

    Passes: ``{count: risks, where: [{field: risk.riskName, equals: AddonStatus}], atLeast: 1}``
    on a task that has an ``AddonStatus`` risk.
    Fails: the same condition on a task without one.
    """
    number = _number(actual)
    return number is not None and number >= expected


def at_most(actual: Any, expected: Any, now: Instant) -> bool:
    """The field (or the ``count``) is a number no larger than the value.

    Passes: ``{count: risks, where: [...], atMost: 3}`` when three or fewer risks match.
    Fails: the same condition when four risks match.
    """
    number = _number(actual)
    return number is not None and number <= expected


def within_hours(actual: Any, expected: Any, now: Instant) -> bool:
    """The field is an RFC 3339 time at most this many hours before now (``--now`` fixes now).

    Passes: ``{field: task.metadata.createTimeStamp, withinHours: 24}`` on a check made an hour ago.
    Fails: the same condition on a check made two days ago, on a time more than five minutes
    after now (a clock is wrong), or on a field that is not a time.
    """
    if not isinstance(actual, str):
        return False
    moment = parse_instant(actual)
    if moment is None:
        return False
    age = now.hours_after(moment)
    return bool(-_SKEW_HOURS <= age <= expected)


_SKEW_HOURS = Fraction(CLOCK_SKEW_SECONDS, 3600)  # exact: a float would shave the edge


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", equals, "any", equals.__doc__ or ""),
        Operator("notEquals", not_equals, "any", not_equals.__doc__ or ""),
        Operator("in", in_, "list", in_.__doc__ or ""),
        Operator("notIn", not_in, "list", not_in.__doc__ or ""),
        Operator("matches", matches, "regex", matches.__doc__ or ""),
        Operator("exists", exists, "bool", exists.__doc__ or ""),
        Operator("atLeast", at_least, "number", at_least.__doc__ or ""),
        Operator("atMost", at_most, "number", at_most.__doc__ or ""),
        Operator("withinHours", within_hours, "number", within_hours.__doc__ or ""),
    )
}


def coerce(op: Operator, value: Any) -> Any:
    """Turn a policy value (or a --param string) into what the operator compares with.

    Raises ValueError with a plain sentence when the value does not fit the operator.
    """
    if op.value == "number":
        number = _number(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
        # nan compares false with everything and inf with nothing useful: both would make a
        # condition silently always or never hold
        try:
            finite = number is not None and math.isfinite(number)
        except OverflowError:  # an int too large for a float
            finite = False
        if number is None:
            raise ValueError(f"{op.name} needs a number, got {_clip(value)}")
        if not finite:
            raise ValueError(f"{op.name} needs a finite number, got {_clip(value)}")
        return float(number)
    if op.value == "regex":
        if not isinstance(value, str):
            raise ValueError(f"{op.name} needs a regular expression string, got {value!r}")
        try:
            return re.compile(value)
        except re.error as exc:
            raise ValueError(f"{op.name}: invalid regular expression {value!r}: {exc}") from None
    if op.value == "list":
        if isinstance(value, str):
            return [item.strip() for item in value.split(",")]
        if not isinstance(value, list):
            raise ValueError(f"{op.name} needs a list, got {value!r}")
        return value
    if op.value == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError(f"{op.name} needs true or false, got {value!r}")
        return value
    return value


def _clip(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number with too many digits"
    return text if len(text) <= 40 else text[:37] + "..."


def reference() -> str:
    """The operator section of docs/policies.md, written from the docstrings above."""
    parts = ["| operator | value | meaning |", "|---|---|---|"]
    for op in OPERATORS.values():
        summary = op.doc.strip().splitlines()[0]
        parts.append(f"| `{op.name}` | {op.value} | {summary} |")
    for op in OPERATORS.values():
        items: list[str] = []
        for line in op.doc.strip().splitlines()[1:]:
            line = line.strip()
            if line.startswith(("Passes:", "Fails:")):
                items.append(line)
            elif line and items:  # a wrapped example line continues the item above it
                items[-1] += " " + line
        body = "\n".join(f"- {item}" for item in items)
        parts += ["", f"### `{op.name}`", "", op.doc.strip().splitlines()[0], "", body]
    return "\n".join(parts) + "\n"
