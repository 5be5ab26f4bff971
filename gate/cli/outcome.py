"""From a command's work to the reports and the exit code: shared by every judging command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from gate import outputs, reporters
from gate.console import Console
from gate.errors import ConfigError
from gate.report import Report


def _color(flag: bool | None) -> bool:
    """--color/--no-color, then NO_COLOR, then FORCE_COLOR, then whether stdout is a terminal."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(sys.stdout)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):
        return False


_Outcome = TypeVar("_Outcome")  # a Report, or a fleet's


class Progress:
    """Progress lines on stderr: one line per poll in CI logs, one rewritten line on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live_line = _is_terminal(sys.stderr) and not os.environ.get("CI")
        self.open = False

    def __call__(self, line: str) -> None:
        if self.live_line:
            self.console.err(line, raw_prefix="\r\x1b[K", end="")
            self.open = True
        else:
            self.console.err(line)

    def around(self, work: Callable[[], _Outcome]) -> Callable[[], _Outcome]:
        """``work``, ending a rewritten line after it so the account does not start inside it."""

        def run() -> _Outcome:
            try:
                return work()
            finally:
                if self.open:
                    self.console.err("")
                    self.open = False

        return run


def console() -> Console:
    return Console(sys.stdout, sys.stderr)


def conclude(
    work: Callable[[], Report], flags: dict[str, Any], *read: str | Path | None
) -> NoReturn:
    """Check where the reports go, claim them, run ``work``, write everything, exit."""
    raise SystemExit(outputs.conclude(work, report_plan(flags, read), console(), os.environ))


def report_plan(flags: dict[str, Any], read: Iterable[str | Path | None]) -> outputs.Plan:
    """Where the report flags send the reports, checked against every file the run reads
    (``read``, and the policy, waiver, baseline and saved-response flags)."""
    paths = {name: flags.get(flag) for name, flag in reporters.FLAGS.items()}
    inputs = [*read, flags.get("waivers"), flags.get("save_response"), flags.get("baseline")]
    inputs += flags.get("policies", ())
    try:
        return outputs.plan(paths, inputs, color=_color(flags.get("color")))
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None
