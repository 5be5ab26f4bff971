"""`gate init`: scaffold gate's files in the current folder, never overwriting one."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Scaffold policies, waivers, tests and a CI snippet here.")
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab"]),
    help="Also write the CI pipeline snippet for GitHub Actions or GitLab CI.",
)
def init(ci: str | None) -> None:
    """Scaffold gate's files in the current folder: gate/policies/ (the default set),
    gate/waivers.yaml (commented, no active waiver), gate/tests/ (tests of the policies and the
    responses they judge) and, with --ci, the pipeline snippet.

    A file that exists is never overwritten: it is skipped, and the list says so. Then run
    `gate lint` and `gate test --require-coverage gate/tests`.
    """
    from gate.errors import ConfigError
    from gate.scaffold import scaffold

    try:
        written = scaffold(Path("."), ci)
    except ConfigError as exc:
        click.echo(f"gate: error: {exc.message}", err=True)
        raise SystemExit(2) from None
    for item in written:
        click.echo(f"{'created' if item.created else 'skipped (exists)'}: {item.path}")
    click.echo("next: gate lint && gate test --require-coverage gate/tests")
