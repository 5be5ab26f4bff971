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
            text = sys.stdin.buffer.read().decode("utf-8")
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        return json.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder, not a response file") from None
    except json.JSONDecodeError as exc:
        if not exc.doc.strip():
            raise InvalidInput(f"{name}: empty, not a JSON response") from None
        raise InvalidInput(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text (byte {exc.start}): not JSON") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror}") from None
