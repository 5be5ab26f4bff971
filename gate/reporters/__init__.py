"""Reporters: pure functions of a Report. Only this package knows output formats.

Each module has ``render(report) -> str``; :data:`REPORTERS` maps a report flag's name to it, and
:mod:`gate.outputs` decides where each goes and writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from gate.report import Report

Renderer = Callable[[Report], str]

# name -> module; modules are imported only when their report is asked for (start-up time)
REPORTERS: dict[str, str] = {
    "json": "gate.reporters.json_report",
    "junit": "gate.reporters.junit",
    "markdown": "gate.reporters.markdown",
    "codequality": "gate.reporters.codequality",
    "sarif": "gate.reporters.sarif",
}
# report name -> the CLI flag (keyword) that gives its path
FLAGS: dict[str, str] = {
    "junit": "junit",
    "json": "json_path",
    "markdown": "markdown",
    "codequality": "codequality",
    "sarif": "sarif",
}


def option(name: str) -> str:
    """The command-line flag of a report: ``--json`` for ``json``."""
    return "--" + FLAGS[name].removesuffix("_path").replace("_", "-")


def renderer(name: str) -> Renderer:
    module = import_module(REPORTERS[name])
    render: Renderer = module.render
    return render
