"""Where a fleet's outcome goes: :mod:`gate.outputs`'s rules, with the fleet's renderings."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gate import outputs, redaction
from gate.console import Console
from gate.fleet import FleetReport
from gate.outputs import Plan, Renderings
from gate.report import ErrorInfo, Verdict
from gate.reporters import fleet as render

__all__ = ["conclude", "deliver"]


def _errors(report: FleetReport) -> list[str]:
    return [] if report.error is None else [f"gate: error: {report.error.message}"]


FLEET: Renderings[FleetReport] = Renderings(
    report=render.render,
    summary=lambda report: render.render("markdown", report),
    errors=_errors,
    account=lambda report, color: render.text(report),
    annotations=lambda report: [redaction.scrub(line) for line in render.annotation_lines(report)],
    step=render.outputs,
)


def conclude(
    work: Callable[[], FleetReport], plan: Plan, console: Console, environ: Mapping[str, str]
) -> int:
    return outputs.conclude(work, plan, console, environ, FLEET, _interrupted)


def deliver(report: FleetReport, plan: Plan, console: Console, environ: Mapping[str, str]) -> int:
    return outputs.deliver(report, plan, console, environ, FLEET)


def _interrupted(signum: int) -> FleetReport:
    message = "interrupted before the fleet run could finish: no verdict was reached"
    return FleetReport(signal=signum, error=ErrorInfo(Verdict.INTERRUPTED, message))
