"""The command line: flags in, one call to the core, reports out, an exit code.

One module per command; the option groups they share are in `options`. Nothing outside this
package imports click.
"""

from __future__ import annotations

import gc
import os
import sys

import click

from gate import __version__, interrupts, outputs
from gate.cli.check import check
from gate.cli.early import deliver_early, early_outcome, show
from gate.cli.explain import explain
from gate.cli.impact import impact
from gate.cli.init import init
from gate.cli.lint import lint
from gate.cli.merge import merge
from gate.cli.options import EPILOG, refuse_repeats
from gate.cli.precheck import precheck
from gate.cli.schema import schema
from gate.cli.test import test_command
from gate.cli.validate import validate
from gate.console import safe_stream
from gate.errors import Interrupted
from gate.report import Verdict, after_write_failure


class _Group(click.Group):
    """A group whose commands refuse a value flag given twice (click keeps the last silently)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            refuse_repeats(command, name, ctx, rest)
        return name, command, rest


@click.group(
    cls=_Group,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="gate")
def cli() -> None:
    """Decide whether a CCE add-on upgrade may go ahead, from its pre-upgrade check results.

    Fails closed: an unknown value, a running check, a missing result or any error never reads
    as a pass.
    """


for _command in (
    check,
    precheck,
    explain,
    test_command,
    lint,
    init,
    impact,
    merge,
    validate,
    schema,
):
    cli.add_command(_command)


def main() -> None:
    """Console entry point."""
    # A short-lived process over one large document: the collector only re-scans it (PERFORMANCE.md)
    gc.disable()
    interrupts.install()
    for stream in (sys.stdout, sys.stderr):
        safe_stream(stream)
    # Python gives a closed stdout as None, and writes to it vanish: whatever the command said
    # (a test run's results, lint's problems) was lost, so its code cannot be a pass
    stdout_gone = sys.stdout is None
    code = _main(sys.argv[1:])
    if stdout_gone:
        code = after_write_failure(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head) is no traceback
            code = after_write_failure(code)
    # Freeing a large parsed response object by object costs seconds and gains nothing at exit.
    os._exit(code)


def _main(argv: list[str]) -> int:
    try:
        code = cli.main(argv, prog_name="gate", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.ClickException as exc:
        # nothing ran: the reports named on the command line still say why, and no old one stays
        show(exc)
        return early_outcome(argv, Verdict.CONFIG_ERROR, exc.format_message())
    except click.exceptions.Abort:
        return early_outcome(argv, Verdict.CONFIG_ERROR, "aborted")
    except Interrupted as exc:
        report = outputs.interrupted_report(exc.signum)
        return deliver_early(argv, report)
    except Exception as exc:  # a bug outside the guarded core still fails closed, in one line
        message = f"internal error: {type(exc).__name__}: {exc} (a bug in gate: please report it)"
        return early_outcome(argv, Verdict.INTERNAL_ERROR, message)
    return code if isinstance(code, int) else 0
