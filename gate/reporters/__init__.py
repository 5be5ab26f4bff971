"""Reporters: pure functions of a Report. Only this package knows output formats.

Each module has ``render(report) -> str``; :data:`REPORTERS` maps a report flag's name to it, and
:func:`write` puts the text in place atomically, so a CI job never reads half a report.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path

from gate.report import Report

Renderer = Callable[[Report], str]

# name -> module; modules are imported only when their report is asked for (start-up time)
REPORTERS: dict[str, str] = {
    "json": "gate.reporters.json_report",
    "junit": "gate.reporters.junit",
}
# report name -> the CLI flag (keyword) that gives its path
FLAGS: dict[str, str] = {"junit": "junit", "json": "json_path"}


def renderer(name: str) -> Renderer:
    module = import_module(REPORTERS[name])
    render: Renderer = module.render
    return render


def write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-`` is standard output) atomically, as UTF-8."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ci_integrations(
    report: Report, environ: Mapping[str, str], echo: Callable[[str], None]
) -> int | None:
    """What CI systems read from the environment (job summaries, annotations).

    Returns an exit code to use instead of the report's when writing failed, else None.
    """
    return None
