"""`gate check`: judge saved or live check results."""

from __future__ import annotations

from typing import Any

import click

from gate.cli.fleet import fleet_options, refuse_fleet_flags, run_fleet, without_fleet
from gate.cli.options import EPILOG, judging_flags, judging_options, live_flags, live_options
from gate.cli.outcome import Progress, conclude, console


@click.command(epilog=EPILOG)
@click.option(
    "-i",
    "--input",
    "input_path",
    metavar="PATH",
    help="A saved ListAddonPrecheckTasks response: UTF-8 JSON, at most 1 GiB ('-' for stdin). "
    "Without it the results are fetched from the API.",
)
@click.option(
    "--addon",
    "addons",
    multiple=True,
    metavar="NAME",
    help="Judge only this add-on template, e.g. coredns (repeatable).",
)
@click.option("--task-id", help="Live mode: ask the API for this task only.")
@click.option("--addon-instance-id", help="Live mode: ask the API for this add-on instance only.")
@click.option(
    "--wait",
    is_flag=True,
    help="Live mode: poll until every judged check has finished (or --timeout).",
)
@live_options(offline_too=True)
@judging_options
@fleet_options
def check(
    input_path: str | None,
    addons: tuple[str, ...],
    task_id: str | None,
    addon_instance_id: str | None,
    wait: bool,
    **flags: Any,
) -> None:
    """Judge add-on check results against the policies.

    With --input, a saved response; otherwise the results are fetched live from the CCE API.
    """
    from gate import run

    if flags.get("inventory") is not None:  # `gate explain` has no fleet flags
        if input_path is not None or flags["cluster_id"] or task_id or addon_instance_id:
            raise click.UsageError(
                "--inventory names the clusters: not with --input, --cluster-id, --task-id or "
                "--addon-instance-id"
            )
        fleet_options = run.CheckOptions(addons=addons, **judging_flags(without_fleet(flags)))
        run_fleet(flags, fleet_options, precheck=False)
    refuse_fleet_flags(flags)
    flags = without_fleet(flags)
    options = run.CheckOptions(
        input=input_path, addons=addons, cluster=flags["cluster_id"], **judging_flags(flags)
    )
    if input_path is not None:
        live_only = {
            "--wait": wait,
            "--task-id": task_id,
            "--addon-instance-id": addon_instance_id,
            "--save-response": flags["save_response"],
        }
        given = [name for name, value in live_only.items() if value]
        if given:
            # silently ignoring them would let a pipeline believe it waited for the checks
            raise click.UsageError(f"{', '.join(given)}: live mode only, not with --input")
        conclude(lambda: run.check(options), flags, input_path)
    from gate import live

    progress = Progress(console())
    settings = live.LiveOptions(
        task_id=task_id,
        addon_instance_id=addon_instance_id,
        wait=wait,
        progress=progress,
        **live_flags(flags),
    )
    conclude(progress.around(lambda: live.check(options, settings)), flags)
