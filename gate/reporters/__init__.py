"""Reporters: pure functions of a Report. Only this package knows output formats.

Each module has ``render(report) -> str``; :data:`REPORTERS` maps a report flag's name to it, and
:func:`write` puts the text in place atomically, so a CI job never reads half a report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path

from gate.files import atomic_write
from gate.report import Report, after_write_failure
from gate.reporters import github, markdown

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
    atomic_write(Path(path), text.encode("utf-8"))


def ci_integrations(
    report: Report, environ: Mapping[str, str], echo: Callable[[str], None]
) -> int | None:
    """What CI systems read from the environment (job summaries, annotations, step outputs).

    With ``GITHUB_STEP_SUMMARY`` the Markdown summary is appended to that file; with
    ``GITHUB_ACTIONS`` the annotations go through ``echo``; with ``GITHUB_OUTPUT`` the verdict, the
    exit code and the counts are appended as step outputs. Returns an exit code to use instead of
    the report's when writing failed (2, unless the report's own code takes precedence), else None.
    """
    failed = False
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        failed |= not _append(summary, markdown.render(report), "job summary")
    if environ.get("GITHUB_ACTIONS", "").lower() in ("true", "1"):
        for line in github.annotation_lines(report):
            echo(line)
    code = after_write_failure(report.exit_code) if failed else report.exit_code
    outputs = environ.get("GITHUB_OUTPUT")
    if outputs:
        failed |= not _append(outputs, github.outputs(report, code), "step outputs")
    return after_write_failure(report.exit_code) if failed else None


def _append(path: str, text: str, what: str) -> bool:
    """Append to a file the CI runner owns (other steps' content stays); False when it failed."""
    try:
        with open(path, "ab+") as stream:
            # Text someone else left without a final newline would swallow our first line.
            end = stream.seek(0, os.SEEK_END)
            if end > 0:
                stream.seek(end - 1)
                if stream.read(1) != b"\n":
                    stream.write(b"\n")
            stream.write(text.encode("utf-8"))
    except OSError as exc:
        sys.stderr.write(f"gate: cannot write the {what} to {path}: {exc.strerror}\n")
        return False
    return True
