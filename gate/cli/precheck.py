"""`gate precheck`: start the upgrade checks, wait for them, judge them."""

from __future__ import annotations

from typing import Any

import click

from gate.cli.options import EPILOG, judging_flags, judging_options, live_flags, live_options
from gate.cli.outcome import Progress, conclude, console


@click.command(epilog=EPILOG, short_help="Start the upgrade checks, wait, and judge them.")
@click.option(
    "--addon",
    "targets",
    multiple=True,
    required=True,
    metavar="NAME=VERSION",
    help="Add-on template and the version about to be installed (repeatable).",
)
@live_options(offline_too=False)
@judging_options
def precheck(targets: tuple[str, ...], **flags: Any) -> None:
    """Start the add-on upgrade checks, wait for them, and judge the results."""
    from gate import live, run

    options = run.CheckOptions(cluster=flags["cluster_id"], **judging_flags(flags))
    progress = Progress(console())
    settings = live.LiveOptions(wait=True, progress=progress, **live_flags(flags))
    conclude(progress.around(lambda: live.precheck(options, settings, targets)), flags)
