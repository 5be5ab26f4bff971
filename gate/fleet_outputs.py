"""Where a fleet's outcome goes: the same rules as :mod:`gate.outputs`, for a FleetReport.

Reports are claimed before the run (an old pass never survives), written atomically and
scrubbed; a write that fails makes the exit code 2 unless a code of higher precedence applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from gate import interrupts, redaction
from gate.console import Console
from gate.errors import Interrupted
from gate.files import atomic_write
from gate.fleet import FleetReport
from gate.outputs import STDOUT, Plan, Target, _append
from gate.report import ErrorInfo, Verdict
from gate.reporters import fleet as render

__all__ = ["conclude", "deliver"]


def conclude(
    work: Callable[[], FleetReport], plan: Plan, console: Console, environ: Mapping[str, str]
) -> int:
    try:
        plan = plan.claim()
        report = work()
    except Interrupted as exc:
        report = _interrupted(exc.signum)
    try:
        return deliver(report, plan, console, environ)
    except Interrupted as exc:
        with interrupts.held():
            return deliver(_interrupted(exc.signum), plan, console, environ)


def _interrupted(signum: int) -> FleetReport:
    message = "interrupted before the fleet run could finish: no verdict was reached"
    return FleetReport(signal=signum, error=ErrorInfo(Verdict.INTERRUPTED, message))


def deliver(report: FleetReport, plan: Plan, console: Console, environ: Mapping[str, str]) -> int:
    report = _with_failures(report, plan.failures)
    code_in_files = report.exit_code
    report = _with_failures(report, _write_reports(report, plan, console))
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        markdown = render.render("markdown", report)
        report = _with_failures(report, _append(summary, markdown, "job summary"))
    if report.error is not None:
        console.err(f"gate: error: {redaction.scrub(report.error.message)}")
    account = redaction.scrub(render.text(report))
    if plan.report_on_stdout:
        console.err_text(account)
    else:
        failure = console.out(account)
        if failure:
            report = _with_failures(report, (f"the account to standard output: {failure}",))
    if environ.get("GITHUB_ACTIONS", "").lower() in ("true", "1"):
        annotate = console.err_text if plan.report_on_stdout else console.out
        for line in render.annotation_lines(report):
            annotate(redaction.scrub(line) + "\n")
    step = environ.get("GITHUB_OUTPUT")
    if step:
        lines = render.outputs(report, report.exit_code)
        report = _with_failures(report, _append(step, lines, "step outputs"))
    if report.exit_code != code_in_files:
        _write_reports(report, plan, console)
    return report.exit_code


def _with_failures(report: FleetReport, failures: Iterable[str]) -> FleetReport:
    new = tuple(f for f in failures if f and f not in report.write_failures)
    if not new:
        return report
    return dataclasses.replace(report, write_failures=report.write_failures + new)


def _write_reports(report: FleetReport, plan: Plan, console: Console) -> tuple[str, ...]:
    failures = []
    for target in plan.targets:
        text = redaction.scrub(render.render(target.name, report))
        if target.path == STDOUT:
            failure = console.out(text)
            if failure:
                failures.append(f"{target.describe()}: {failure}")
            continue
        problem = _write(target, text)
        if problem:
            console.err(f"gate: cannot write {problem}")
            failures.append(problem)
    return tuple(failures)


def _write(target: Target, text: str) -> str:
    try:
        atomic_write(Path(target.path), text.encode("utf-8", "backslashreplace"))
    except OSError as exc:
        return f"{target.describe()}: {exc.strerror or exc}"
    return ""
