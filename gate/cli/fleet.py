"""The fleet flags of `check` and `precheck`: --inventory and how to narrow and split it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from gate.cli.options import live_flags
from gate.cli.outcome import Progress, console, report_plan

FLEET_FLAGS = ("inventory", "fleet_clusters", "select", "concurrency", "shard")


def fleet_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--inventory",
            type=click.Path(path_type=Path),
            help="Judge every cluster of this inventory file (docs/fleet.md).",
        ),
        click.option(
            "--cluster",
            "fleet_clusters",
            multiple=True,
            metavar="NAME",
            help="With --inventory: only this cluster (repeatable).",
        ),
        click.option(
            "--select",
            multiple=True,
            metavar="KEY=VALUE",
            help="With --inventory: only clusters with this label (repeatable; all must match).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1, max=256),
            default=8,
            show_default=True,
            help="With --inventory: clusters judged at the same time.",
        ),
        click.option(
            "--shard",
            metavar="I/N",
            help="With --inventory: judge only slice I of N (1-based; for CI matrices).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def without_fleet(flags: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flags.items() if k not in FLEET_FLAGS}


def refuse_fleet_flags(flags: dict[str, Any]) -> None:
    given = [
        f"--{n.replace('fleet_', '').replace('_', '-')}" for n in FLEET_FLAGS[1:3] if flags.get(n)
    ]
    if flags.get("shard"):
        given.append("--shard")
    if given:
        raise click.UsageError(f"{', '.join(given)}: only with --inventory")


def run_fleet(
    flags: dict[str, Any], options: Any, precheck: bool, targets: tuple[str, ...] = ()
) -> NoReturn:
    from gate import fleet, fleet_outputs, live

    progress = Progress(console())
    settings = live.LiveOptions(**live_flags(flags))
    fleet_options = fleet.FleetOptions(
        inventory=flags["inventory"],
        clusters=flags["fleet_clusters"],
        select=flags["select"],
        concurrency=flags["concurrency"],
        shard=flags["shard"],
        precheck=precheck,
        targets=targets,
        progress=progress,
    )
    plan = report_plan(flags, [flags["inventory"]])
    raise SystemExit(
        fleet_outputs.conclude(
            progress.around(lambda: fleet.run(options, fleet_options, settings)),
            plan,
            console(),
            os.environ,
        )
    )
