"""JSON Schema validation: fast when the document is valid, explicit when it is not.

jsonschema-rs answers "valid?" about 80 times faster than python-jsonschema (see
PERFORMANCE.md); python-jsonschema runs only on an invalid document, for its precise messages,
and only until it has found the few errors a message shows (jsonschema-rs' own error iterator
builds every error first: 4.5 GB for a million of them).
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from gate.interrupts import shielded

# How many violations a message lists in full; after them one line says that more were found.
MAX_PROBLEMS = 50
# Characters of one value shown in a message; longer strings end in an ellipsis.
MAX_SHOWN = 80

_SHOW = reprlib.Repr()
_SHOW.maxlevel, _SHOW.maxdict, _SHOW.maxlist = 2, 4, 4
_SHOW.maxstring = _SHOW.maxother = MAX_SHOWN

Where = Callable[[Sequence[str | int]], str]


def json_path(parts: Iterable[str | int], base: str = "") -> str:
    """``items[3].status.riskList[1].level`` (``parts`` below ``base``); ``$`` for the document
    itself."""
    text = base
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "$"


def clip(value: Any) -> str:
    """``repr(value)``, bounded: long strings cut with an ellipsis, containers shortened."""
    if isinstance(value, str):
        if len(value) <= MAX_SHOWN:
            return repr(value)
        shown = repr(value[:MAX_SHOWN])
        return shown[:-1] + "…" + shown[-1]
    return _SHOW.repr(value)


class SchemaValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._fast: Any = None
        try:
            with shielded():
                import jsonschema_rs

                self._fast = jsonschema_rs.validator_for(schema)
        except ImportError:  # a platform without the compiled wheel still gets a correct answer
            self._fast = None

    def is_valid(self, instance: Any) -> bool:
        if self._fast is not None:
            with shielded():  # native code: a signal waits until it returns
                return bool(self._fast.is_valid(instance))
        return not self.errors(instance, limit=1)

    def errors(self, instance: Any, limit: int | None = None) -> list[Any]:
        """python-jsonschema ValidationErrors, in document order; empty when valid.

        With ``limit``, only the first ``limit`` the validator finds are built and sorted.
        """
        if self._fast is not None and self.is_valid(instance):
            return []
        import jsonschema

        validator = jsonschema.Draft202012Validator(self.schema)
        return sorted(islice(validator.iter_errors(instance), limit), key=_error_order)

    def lines(self, instance: Any, limit: int, where: Where = json_path) -> list[str]:
        """One ``path: message`` line for each of the first ``limit`` violations."""
        return [
            f"{where(list(e.absolute_path))}: {message(e)}" for e in self.errors(instance, limit)
        ]

    def problems(
        self, instance: Any, limit: int = MAX_PROBLEMS, where: Where = json_path
    ) -> list[str]:
        """The first ``limit`` violation lines, then ``... and more`` if there are others."""
        return capped(self.lines(instance, limit + 1, where), limit)


def capped(lines: list[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """``lines`` cut to ``limit``, and a line that says so."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... and more (only the first {limit} are listed)"]


def _error_order(error: Any) -> tuple[Any, ...]:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path)


def message(error: Any) -> str:
    """The error's message with the offending value clipped (python-jsonschema shows it whole)."""
    # "x is not valid under any of the given schemas" hides the useful part; name the closest one.
    if error.context:
        error = min(error.context, key=lambda e: len(list(e.absolute_path)))
    shown = clip(error.instance)
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        types = ", ".join(repr(t) for t in ([expected] if isinstance(expected, str) else expected))
        return f"{shown} is not of type {types}"
    if kind == "enum":
        return f"{shown} is not one of {expected!r}"
    if kind == "const":
        return f"{shown} is not {expected!r}"
    text = str(error.message)
    # the other messages start with the value (minLength, pattern, format, minimum)
    if isinstance(error.instance, str) and len(error.instance) > MAX_SHOWN:
        whole = repr(error.instance)
        text = shown + text[len(whole) :] if text.startswith(whole) else text
    return text if len(text) <= 4 * MAX_SHOWN else text[: 4 * MAX_SHOWN] + "…"


@cache
def load_schema(path: Path) -> SchemaValidator:
    with path.open(encoding="utf-8") as handle:
        return SchemaValidator(json.load(handle))
