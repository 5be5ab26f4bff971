"""`gate validate`: check policy and waiver files offline."""

from __future__ import annotations

from pathlib import Path

import click

from gate.cli.options import config_file_options


@click.command(short_help="Check policy and waiver files offline; exit 0 or 2.")
@config_file_options("Policy file or folder (repeatable; default: the built-in set).")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def validate(
    policies: tuple[Path, ...], waiver_files: tuple[Path, ...], files: tuple[Path, ...]
) -> None:
    """Check policy and waiver files offline (for pre-commit and CI); exit 0 or 2.

    FILES are sorted by content: a file with a top-level 'waivers' key is a waivers file, any
    other is a policy file. Waivers are checked against the policies given (or the built-in set):
    a waiver for a hard-mandatory policy is an error.
    """
    from gate.errors import ConfigError
    from gate.run import validate_config

    try:
        summary = validate_config(policies, waiver_files, files)
    except ConfigError as exc:
        click.echo(exc.message, err=True)
        for detail in exc.details:
            click.echo(f"  {detail}", err=True)
        raise SystemExit(2) from None
    click.echo(f"ok: {summary}")
