"""The option groups several commands share, each built once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gate import reporters
from gate.report import EXIT_CODE_HELP

# "\b" keeps click from re-wrapping the table
EPILOG = "\b\n" + EXIT_CODE_HELP


def judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The policy, selection and report flags shared by `check` and `precheck`."""
    options = [
        click.option(
            "--policy",
            "policies",
            multiple=True,
            type=click.Path(path_type=Path),
            envvar="GATE_POLICY",
            show_envvar=True,
            help="Policy file or folder (repeatable); replaces the default set.",
        ),
        click.option(
            "--waivers",
            type=click.Path(path_type=Path),
            envvar="GATE_WAIVERS",
            show_envvar=True,
            help="Waivers file (YAML).",
        ),
        click.option(
            "--param",
            "params",
            multiple=True,
            metavar="KEY=VALUE",
            help="A parameter for policies (repeatable); KEY.ADDON=VALUE for one add-on.",
        ),
        click.option(
            "--override",
            "overrides",
            multiple=True,
            metavar="POLICY_ID",
            help="Let a soft-mandatory policy pass for this run (repeatable; needs --reason).",
        ),
        click.option("--reason", help="Why the overrides are needed; recorded in every report."),
        click.option(
            "--enforcement",
            multiple=True,
            metavar="POLICY_ID=LEVEL",
            help="Change a policy's level: advisory, soft-mandatory or hard-mandatory "
            "(a hard-mandatory policy cannot be lowered).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["soft-mandatory", "advisory", "new"]),
            default="soft-mandatory",
            show_default=True,
            help="Lowest enforcement level whose findings block; new: soft-mandatory findings "
            "block only when --baseline does not have them (hard-mandatory ones always block).",
        ),
        click.option(
            "--baseline",
            type=click.Path(path_type=Path),
            help="An earlier run's JSON report: label findings new or persisting, list the "
            "resolved ones.",
        ),
        click.option(
            "--baseline-max-age",
            default="30d",
            show_default=True,
            metavar="AGE",
            help="A baseline older than this (e.g. 30d, 48h) is named in a warning.",
        ),
        click.option(
            "--all-tasks",
            is_flag=True,
            help="Judge every task, not only the newest per add-on instance and type.",
        ),
        click.option(
            "--type",
            "task_type",
            type=click.Choice(["addonUpgrade", "addonStatic"]),
            help="Judge only tasks of this check type.",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Pass when the response lists no task at all (default: incomplete, exit 5); "
            "--addon/--type matching nothing stays incomplete.",
        ),
        click.option(
            "--strict-schema",
            is_flag=True,
            help="Refuse the reference page's example shape instead of normalising it.",
        ),
        click.option(
            "--now",
            metavar="RFC3339",
            envvar="GATE_NOW",
            show_envvar=True,
            help="The current time, for reproducible runs (waiver expiry, freshness); a task "
            "created more than 5 minutes after it is invalid input.",
        ),
        click.option("--junit", metavar="PATH", help="Write a JUnit XML report."),
        click.option(
            "--json",
            "json_path",
            metavar="PATH",
            help="Write the decision as JSON ('-' for stdout).",
        ),
        click.option(
            "--markdown",
            metavar="PATH",
            help="Write a Markdown summary (for MR comments, job summaries).",
        ),
        click.option(
            "--codequality", metavar="PATH", help="Write a GitLab Code Quality report (JSON)."
        ),
        click.option("--sarif", metavar="PATH", help="Write a SARIF 2.1.0 report (code scanning)."),
        click.option(
            "--explain",
            is_flag=True,
            help="After the account, say for every finding why it came out as it did: policy, "
            "evidence, conditions, waivers, effect (also in --json).",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the account (default: NO_COLOR, FORCE_COLOR, then the terminal).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def live_options(offline_too: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Where the CCE API is and how to reach it; ``offline_too``: the command also has --input."""
    cluster_help = "Cluster ID."
    waiting = "waiting for the checks"
    if offline_too:
        cluster_help += " With --input it labels the reports and selects cluster-bound waivers."
        waiting = "waiting for running checks (with --wait)"
    timeout_help = (
        f"Seconds the whole live run may take, requests and {waiting} together; the request "
        "under way may take up to 5 s more."
    )
    options = [
        click.option(
            "--endpoint",
            metavar="URL",
            envvar="GATE_ENDPOINT",
            show_envvar=True,
            help="CCE API base URL (default: from --region).",
        ),
        click.option(
            "--region",
            envvar="HW_REGION_NAME",
            show_envvar=True,
            help="Region, e.g. ap-southeast-1 (endpoint https://cce.REGION.myhuaweicloud.com).",
        ),
        click.option(
            "--project-id",
            envvar=["HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID"],
            show_envvar=True,
            help="Project ID.",
        ),
        click.option(
            "--cluster-id",
            envvar="GATE_CLUSTER_ID",
            show_envvar=True,
            help=cluster_help,
        ),
        click.option(
            "--token-env",
            metavar="NAME",
            help="Read the IAM token from this environment variable "
            "(default HW_AUTH_TOKEN; otherwise AK/SK variables are used).",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(path_type=Path),
            help="CA bundle (PEM) for a private CA; TLS verification is always on.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=1),
            default=900,
            show_default=True,
            help=timeout_help,
        ),
        click.option(
            "--save-response",
            type=click.Path(path_type=Path),
            help="Write the raw response fetched (the last one when polling).",
        ),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


LIVE_FLAGS = (
    "endpoint",
    "region",
    "project_id",
    "cluster_id",
    "token_env",
    "ca_bundle",
    "timeout",
    "save_response",
)


OUTPUT_FLAGS = (*reporters.FLAGS.values(), "color")  # the report flags come from the registry


def judging_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """The flags that are judging options, without the report and live ones."""
    judging = {k: v for k, v in flags.items() if k not in OUTPUT_FLAGS + LIVE_FLAGS}
    if judging.get("explain") is True:  # gate explain passes its own Scope
        from gate.decision import Scope

        judging["explain"] = Scope()
    judging["explain"] = judging.get("explain") or None
    return judging


def live_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """The live flags."""
    return {k: flags[k] for k in LIVE_FLAGS}


def refuse_repeats(
    command: click.Command, name: str | None, parent: click.Context, args: list[str]
) -> None:
    """A usage error when a flag that takes one value is given more than once.

    ``-i a.json ... -i b.json`` would judge b.json while a pipeline author reads a.json; and a
    report path given twice would protect one file and write another.
    """
    ctx = click.Context(command, parent=parent, info_name=name, resilient_parsing=True)
    try:
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError:
        return  # the real parse reports it
    seen: set[str] = set()
    for param in order:
        single = isinstance(param, click.Option) and not (
            param.multiple or param.count or param.is_flag
        )
        if single and param.name in seen:
            raise click.UsageError(f"{' / '.join(param.opts)} given more than once", ctx=ctx)
        if param.name is not None:
            seen.add(param.name)


def config_file_options(policy_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--policy and --waivers (both repeatable) of the commands that check files offline."""
    policy = click.option(
        "--policy",
        "policies",
        multiple=True,
        type=click.Path(path_type=Path),
        help=policy_help,
    )
    waivers = click.option(
        "--waivers",
        "waiver_files",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Waivers file (repeatable).",
    )
    return lambda command: policy(waivers(command))
