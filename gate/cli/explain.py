"""`gate explain`: why each finding came out as it did, for the person whose upgrade it blocked.

The flags of `gate check`, and the same exit code; only standard output differs: the
explanation instead of the account. --addon and --policy-id choose what is explained, not
what is judged, so the verdict is the one `gate check` would reach.
"""

from __future__ import annotations

from typing import Any

import click

from gate.cli.check import check
from gate.cli.options import EPILOG, judging_options, live_options


@click.command(epilog=EPILOG, short_help="Say why each finding blocked, or did not.")
@click.option(
    "-i",
    "--input",
    "input_path",
    metavar="PATH",
    help="A saved ListAddonPrecheckTasks response ('-' for stdin); without it, fetched live.",
)
@click.option(
    "--policy-id",
    "policy_ids",
    multiple=True,
    metavar="ID",
    help="Explain only the findings of this policy (repeatable).",
)
@click.option(
    "--addon",
    "addons",
    multiple=True,
    metavar="NAME",
    help="Explain only the findings of this add-on template (repeatable); all are judged.",
)
@click.option("--task-id", help="Live mode: ask the API for this task only.")
@click.option("--addon-instance-id", help="Live mode: ask the API for this add-on instance only.")
@click.option("--wait", is_flag=True, help="Live mode: poll until every judged check finished.")
@live_options(offline_too=True)
@judging_options
def explain(policy_ids: tuple[str, ...], addons: tuple[str, ...], **flags: Any) -> None:
    """Explain the decision: for each finding the policy, the evidence, the conditions, every
    waiver considered and why it did or did not apply, and what it did to the exit code.

    Judges exactly as `gate check` with the same flags, and exits with the same code.
    """
    from gate.decision import Scope

    flags["explain"] = Scope(policy_ids, addons, instead=True)
    check.callback(addons=(), **flags)  # type: ignore[misc]
