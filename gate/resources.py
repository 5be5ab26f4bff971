"""Files gate ships: the schemas and the default policies.

In a wheel they live in ``gate/_data/``; in a source checkout they are the top-level ``schemas/``
and ``policies/`` folders (the same files, copied by the wheel build).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped folder ``name`` (``schemas`` or ``policies``)."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def schema_path(name: str) -> Path:
    return data_dir("schemas") / name


def default_policy_dir() -> Path:
    return data_dir("policies") / "default"
