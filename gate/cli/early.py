"""Reports for a command line that never reached a command (usage errors, early signals)."""

from __future__ import annotations

import os
import sys

import click

from gate import outputs, reporters
from gate.cli.outcome import console
from gate.console import Console
from gate.report import ErrorInfo, Report, Verdict


def show(exc: click.ClickException) -> None:
    try:
        exc.show()
    except (OSError, ValueError):  # standard error is gone: the exit code still speaks
        pass


def early_outcome(argv: list[str], verdict: Verdict, message: str) -> int:
    report = Report(verdict=verdict, error=ErrorInfo(verdict, message))
    return deliver_early(argv, report)


def deliver_early(argv: list[str], report: Report) -> int:
    """Deliver a report for a command line that never reached a command."""
    named = _flag_values(argv)
    paths = [
        (name, value) for name, flag in _REPORT_OPTIONS.items() for value in named.get(flag, [])
    ]
    inputs = [value for flag in _READ_OPTIONS for value in named.get(flag, [])]
    plan = outputs.lenient_plan(paths, inputs)
    shown = console()
    if report.verdict is Verdict.CONFIG_ERROR:
        shown = Console(sys.stdout, None)  # click has shown the error on stderr already
    return outputs.deliver(report, plan, shown, os.environ)


# report name -> its flag; and the flags whose files a run reads (never written over)
_REPORT_OPTIONS = {name: reporters.option(name) for name in reporters.FLAGS}
_READ_OPTIONS = ("--input", "-i", "--policy", "--waivers", "--save-response", "--baseline")


def _flag_values(argv: list[str]) -> dict[str, list[str]]:
    """``--flag VALUE`` and ``--flag=VALUE`` pairs of a command line click refused."""
    wanted = set(_REPORT_OPTIONS.values()) | set(_READ_OPTIONS)
    found: dict[str, list[str]] = {}
    for index, word in enumerate(argv):
        if word == "--":
            break
        flag, sep, value = word.partition("=")
        if flag not in wanted:
            continue
        if not sep:
            if index + 1 >= len(argv):
                continue
            value = argv[index + 1]
        found.setdefault(flag, []).append(value)
    return found
