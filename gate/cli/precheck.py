"""`gate precheck`: start the upgrade checks, wait for them, judge them."""

from __future__ import annotations

from typing import Any

import click

from gate.cli.fleet import fleet_options, refuse_fleet_flags, run_fleet, without_fleet
from gate.cli.options import EPILOG, judging_flags, judging_options, live_flags, live_options
from gate.cli.outcome import Progress, conclude, console


@click.command(epilog=EPILOG, short_help="Start the upgrade checks, wait, and judge them.")
@click.option(
    "--addon",
    "targets",
    multiple=True,
    metavar="NAME=VERSION",
    help="Add-on template and the version about to be installed (repeatable; required "
    "unless the --inventory gives each cluster's addons).",
)
@live_options(offline_too=False)
@judging_options
@fleet_options
def precheck(targets: tuple[str, ...], **flags: Any) -> None:
    """Start the add-on upgrade checks, wait for them, and judge the results."""
    from gate import live, run

    if flags["inventory"] is not None:
        if flags["cluster_id"]:
            raise click.UsageError("--inventory names the clusters: not with --cluster-id")
        fleet_options = run.CheckOptions(**judging_flags(without_fleet(flags)))
        run_fleet(flags, fleet_options, precheck=True, targets=targets)
    refuse_fleet_flags(flags)
    flags = without_fleet(flags)
    if not targets:
        raise click.UsageError("Missing option '--addon'.")
    options = run.CheckOptions(cluster=flags["cluster_id"], **judging_flags(flags))
    progress = Progress(console())
    settings = live.LiveOptions(wait=True, progress=progress, **live_flags(flags))
    conclude(progress.around(lambda: live.precheck(options, settings, targets)), flags)
