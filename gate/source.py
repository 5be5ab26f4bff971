"""Reading a saved ListAddonPrecheckTasks response."""

from __future__ import annotations

import json
import sys
from typing import Any

from gate.errors import ConfigError, InvalidInput


def read_response(path: str) -> Any:
    """The parsed JSON of ``path`` (``-`` reads standard input)."""
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            return parse_json(sys.stdin.buffer.read(), name)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder, not a response file") from None
    except json.JSONDecodeError as exc:
        raise _not_json(name, exc) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not UTF-8 text (byte {exc.start}): not a JSON response"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror}") from None


def parse_json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise _not_json(name, exc) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not UTF-8 text (byte {exc.start}): not a JSON response"
        ) from None


def _not_json(name: str, exc: json.JSONDecodeError) -> InvalidInput:
    if not exc.doc.strip():
        return InvalidInput(f"{name}: empty, not a JSON response")
    return InvalidInput(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
