"""`gate merge`: one decision and every report for a fleet from its shards' JSON reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gate.cli.options import EPILOG
from gate.cli.outcome import console, report_plan


@click.command(epilog=EPILOG, short_help="Merge the JSON reports of a fleet's shards.")
@click.argument("reports", nargs=-1, type=click.Path(path_type=Path))
@click.option("--junit", metavar="PATH", help="Write a JUnit XML report.")
@click.option("--json", "json_path", metavar="PATH", help="Write the decision as JSON.")
@click.option("--markdown", metavar="PATH", help="Write a Markdown summary.")
@click.option("--codequality", metavar="PATH", help="Write a GitLab Code Quality report.")
@click.option("--sarif", metavar="PATH", help="Write a SARIF 2.1.0 report.")
@click.option("--color/--no-color", default=None, help="Colour the account.")
def merge(reports: tuple[Path, ...], **flags: Any) -> None:
    """Merge the JSON reports of `gate check --inventory ... --shard I/N` into one decision.

    Every shard 1..N must be given once, all of one inventory and configuration; otherwise the
    result is a configuration error or incomplete, never a pass.
    """
    from gate import fleet_outputs
    from gate import merge as merging
    from gate.fleet import FleetReport
    from gate.report import ErrorInfo, Verdict

    if not reports:
        raise click.UsageError("give the shard reports: gate merge shard-1.json shard-2.json ...")
    plan = report_plan(flags, reports)

    def work() -> FleetReport:
        try:
            return merging.merge(reports)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            message = f"merge: a report is not a complete fleet report ({type(exc).__name__})"
            return FleetReport(error=ErrorInfo(Verdict.CONFIG_ERROR, message))

    raise SystemExit(fleet_outputs.conclude(work, plan, console(), os.environ))
