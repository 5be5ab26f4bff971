"""`gate impact`: what a policy change would have decided on the saved responses of past runs."""

from __future__ import annotations

from pathlib import Path

import click

from gate.report import EXIT_CODES, Verdict


@click.command(short_help="What a policy change would do to past runs.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--policy",
    "policies",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="The new policy file or folder (repeatable).",
)
@click.option(
    "--waivers",
    type=click.Path(path_type=Path),
    help="The new waivers file (default: none).",
)
@click.option(
    "--against",
    "against",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="The policy file or folder in force today (repeatable).",
)
@click.option(
    "--against-waivers",
    type=click.Path(path_type=Path),
    help="The waivers file in force today (default: the same as --waivers).",
)
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter, for both sides."
)
@click.option(
    "--now",
    metavar="RFC3339",
    envvar="GATE_NOW",
    show_envvar=True,
    help="The current time for both sides (waiver expiry, freshness).",
)
@click.option("--markdown", metavar="PATH", help="Write the comparison as Markdown (for the MR).")
def impact(
    paths: tuple[Path, ...],
    policies: tuple[Path, ...],
    waivers: Path | None,
    against: tuple[Path, ...],
    against_waivers: Path | None,
    params: tuple[str, ...],
    now: str | None,
    markdown: str | None,
) -> None:
    """Judge saved responses (files, or folders of *.json, such as earlier runs kept) with the
    policies in force (--against) and the new ones (--policy), and list the runs whose
    verdict or findings change.

    Exits 0 when nothing that blocked would pass, 1 when a blocked run or a blocking finding
    would pass or a response cannot be judged, 2 on a configuration error.
    """
    from gate import impact as core
    from gate.errors import ConfigError
    from gate.files import atomic_write
    from gate.redaction import scrub
    from gate.reporters import impact as report
    from gate.run import CheckOptions
    from gate.timeutil import utc_now

    moment = now or utc_now().isoformat()  # one instant for both sides
    old = CheckOptions(
        policies=against, waivers=against_waivers or waivers, params=params, now=moment
    )
    new = CheckOptions(policies=policies, waivers=waivers, params=params, now=moment)
    try:
        result = core.compare(old, new, paths)
    except ConfigError as exc:
        click.echo(f"gate: error: {scrub(exc.message)}", err=True)
        raise SystemExit(EXIT_CODES[Verdict.CONFIG_ERROR]) from None
    old_name = _names(against, against_waivers or waivers)
    new_name = _names(policies, waivers)
    click.echo(scrub(report.render_text(result, old_name, new_name)), nl=False)
    if markdown:
        text = scrub(report.render_markdown(result, old_name, new_name))
        try:
            atomic_write(Path(markdown), text.encode("utf-8", "backslashreplace"))
        except OSError as exc:
            click.echo(f"gate: error: cannot write {markdown}: {exc.strerror or exc}", err=True)
            raise SystemExit(EXIT_CODES[Verdict.CONFIG_ERROR]) from None
    raise SystemExit(result.exit_code)


def _names(policies: tuple[Path, ...], waivers: Path | None) -> str:
    named = ", ".join(str(p) for p in policies)
    return named + (f" (waivers {waivers})" if waivers else "")
