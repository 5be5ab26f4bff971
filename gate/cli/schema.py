"""`gate schema`: print or generate the response JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(invoke_without_command=True)
@click.pass_context
def schema(ctx: click.Context) -> None:
    """Print the JSON Schema that responses are validated against."""
    if ctx.invoked_subcommand is None:
        from gate.resources import schema_path
        from gate.schema import RESPONSE_SCHEMA_FILE

        click.echo(schema_path(RESPONSE_SCHEMA_FILE).read_text(encoding="utf-8"), nl=False)


@schema.command("generate")
@click.option(
    "--spec",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The OpenAPI document (default: the shipped schemas/cce-addon-check.openapi.yaml).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the schema (default: beside the spec).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if the schema on disk differs from the generated one.",
)
def schema_generate(spec: Path | None, output: Path | None, check_only: bool) -> None:
    """Generate the response JSON Schema from the API spec."""
    from gate.files import atomic_write
    from gate.resources import schema_path
    from gate.schema import RESPONSE_SCHEMA_FILE, SPEC_FILE, generate_from_file

    spec = spec or schema_path(SPEC_FILE)
    output = output or spec.parent / RESPONSE_SCHEMA_FILE
    text = generate_from_file(spec)
    if check_only:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            click.echo(f"{output} is out of date: run `gate schema generate`", err=True)
            raise SystemExit(1)
        click.echo(f"{output} is up to date")
        return
    atomic_write(output, text.encode("utf-8"))
    click.echo(f"wrote {output}")
