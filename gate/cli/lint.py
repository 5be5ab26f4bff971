"""`gate lint`: every problem of policy and waiver files, offline."""

from __future__ import annotations

from pathlib import Path

import click

from gate.cli.options import config_file_options


@click.command(short_help="Report every problem of policy and waiver files; exit 0 or 2.")
@config_file_options("Policy file or folder (repeatable); waivers are checked against these.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME[=VALUE]",
    help="A parameter the runs give (repeatable): a policy may then read it without a default.",
)
@click.option(
    "--warn-days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    help="Warn about waivers that expire within this many days.",
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 2).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--now",
    metavar="RFC3339",
    envvar="GATE_NOW",
    show_envvar=True,
    help="The current time, for reproducible waiver expiry checks.",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def lint(
    policies: tuple[Path, ...],
    waiver_files: tuple[Path, ...],
    params: tuple[str, ...],
    warn_days: int,
    strict: bool,
    output_format: str,
    now: str | None,
    paths: tuple[Path, ...],
) -> None:
    """Check policy, waiver and test files without a response; report ALL problems.

    Each problem is one line, `file:line:column: message`, sorted, then a count. PATHs are files
    or folders (searched for *.yaml and *.yml); a file with a top-level 'waivers' key is a waivers
    file, one of kind PolicyTest a test file (skipped), any other a policy file. With no PATH,
    the folder gate/ when there is one. Exit 0 when clean (warnings alone pass unless --strict),
    2 otherwise.
    """
    from gate.lint import LintOptions
    from gate.lint import lint as run_lint
    from gate.reporters.lint import render_json, render_text
    from gate.timeutil import Instant, parse_instant, utc_now

    moment = parse_instant(now) if now else Instant.of(utc_now())
    if moment is None:
        click.echo(f"gate: error: --now {now!r}: not an RFC 3339 time with an offset", err=True)
        raise SystemExit(2)
    result = run_lint(
        LintOptions(
            now=moment,
            paths=paths,
            policies=policies,
            waivers=waiver_files,
            params=params,
            warn_days=warn_days,
            strict=strict,
        )
    )
    render = render_json if output_format == "json" else render_text
    click.echo(render(result), nl=False)
    raise SystemExit(result.exit_code)
