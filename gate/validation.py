"""JSON Schema validation: fast when the document is valid, explicit when it is not.

jsonschema-rs answers "valid?" about 80 times faster than python-jsonschema (see
PERFORMANCE.md); python-jsonschema runs only on an invalid document, for its precise messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from gate.interrupts import shielded


def json_path(parts: Iterable[str | int]) -> str:
    """``items[3].status.riskList[1].level``; ``$`` for the document itself."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "$"


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

    def errors(self, instance: Any) -> list[Any]:
        """python-jsonschema ValidationErrors, in document order; empty when valid."""
        if self._fast is not None:
            with shielded():  # native code: a signal waits until it returns
                valid = self._fast.is_valid(instance)
            if valid:
                return []
        import jsonschema

        validator = jsonschema.Draft202012Validator(self.schema)
        return sorted(validator.iter_errors(instance), key=_error_order)

    def problems(self, instance: Any, limit: int = 50) -> list[str]:
        """One ``path: message`` line per violation."""
        lines = [f"{json_path(e.absolute_path)}: {_message(e)}" for e in self.errors(instance)]
        if len(lines) > limit:
            lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
        return lines


def _error_order(error: Any) -> tuple[Any, ...]:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path)


def _message(error: Any) -> str:
    # "x is not valid under any of the given schemas" hides the useful part; name the closest one.
    if error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        return str(best.message)
    return str(error.message)


@cache
def load_schema(path: Path) -> SchemaValidator:
    with path.open(encoding="utf-8") as handle:
        return SchemaValidator(json.load(handle))
