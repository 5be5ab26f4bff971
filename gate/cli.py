"""The command line: flags in, one call to the core, reports out, an exit code.

Nothing outside this module imports click.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from gate import __version__, interrupts, outputs, reporters
from gate.console import Console, safe_stream
from gate.errors import ConfigError, Interrupted
from gate.report import EXIT_CODE_HELP, ErrorInfo, Report, Verdict, after_write_failure

# "\b" keeps click from re-wrapping the table
EPILOG = "\b\n" + EXIT_CODE_HELP


def _color(flag: bool | None) -> bool:
    """--color/--no-color, then NO_COLOR, then FORCE_COLOR, then whether stdout is a terminal."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(sys.stdout)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):
        return False


@click.group(
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="gate")
def cli() -> None:
    """Decide whether a CCE add-on upgrade may go ahead, from its pre-upgrade check results.

    Fails closed: an unknown value, a running check, a missing result or any error never reads
    as a pass.
    """


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
            type=click.Choice(["soft-mandatory", "advisory"]),
            default="soft-mandatory",
            show_default=True,
            help="Lowest enforcement level whose findings block.",
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


_LIVE_FLAGS = (
    "endpoint",
    "region",
    "project_id",
    "cluster_id",
    "token_env",
    "ca_bundle",
    "timeout",
    "save_response",
)


@cli.command(epilog=EPILOG)
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

    options = run.CheckOptions(
        input=input_path, addons=addons, cluster=flags["cluster_id"], **_judging(flags)
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

    progress = _Progress(_console())
    settings = live.LiveOptions(
        task_id=task_id,
        addon_instance_id=addon_instance_id,
        wait=wait,
        progress=progress,
        **_live(flags),
    )
    conclude(progress.around(lambda: live.check(options, settings)), flags)


@cli.command(epilog=EPILOG, short_help="Start the upgrade checks, wait, and judge them.")
@click.option(
    "--addon",
    "targets",
    multiple=True,
    required=True,
    metavar="NAME=VERSION",
    help="Add-on template and the version about to be installed (repeatable).",
)
@live_options(offline_too=False)
@judging_options
def precheck(targets: tuple[str, ...], **flags: Any) -> None:
    """Start the add-on upgrade checks, wait for them, and judge the results."""
    from gate import live, run

    options = run.CheckOptions(cluster=flags["cluster_id"], **_judging(flags))
    progress = _Progress(_console())
    settings = live.LiveOptions(wait=True, progress=progress, **_live(flags))
    conclude(progress.around(lambda: live.precheck(options, settings, targets)), flags)


def _judging(flags: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flags.items() if k not in _OUTPUT_FLAGS + _LIVE_FLAGS}


def _live(flags: dict[str, Any]) -> dict[str, Any]:
    return {k: flags[k] for k in _LIVE_FLAGS}


class _Progress:
    """Progress lines on stderr: one line per poll in CI logs, one rewritten line on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live_line = _is_terminal(sys.stderr) and not os.environ.get("CI")
        self.open = False

    def __call__(self, line: str) -> None:
        if self.live_line:
            self.console.err(line, raw_prefix="\r\x1b[K", end="")
            self.open = True
        else:
            self.console.err(line)

    def around(self, work: Callable[[], Report]) -> Callable[[], Report]:
        """``work``, ending a rewritten line after it so the account does not start inside it."""

        def run() -> Report:
            try:
                return work()
            finally:
                if self.open:
                    self.console.err("")
                    self.open = False

        return run


_OUTPUT_FLAGS = (*reporters.FLAGS.values(), "color")  # the report flags come from the registry


def _console() -> Console:
    return Console(sys.stdout, sys.stderr)


def conclude(
    work: Callable[[], Report], flags: dict[str, Any], *read: str | Path | None
) -> NoReturn:
    """Check where the reports go, claim them, run ``work``, write everything, exit."""
    paths = {name: flags.get(flag) for name, flag in reporters.FLAGS.items()}
    inputs = [*read, flags.get("waivers"), flags.get("save_response"), *flags.get("policies", ())]
    try:
        plan = outputs.plan(paths, inputs, color=_color(flags.get("color")))
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None
    raise SystemExit(outputs.conclude(work, plan, _console(), os.environ))


@cli.command(short_help="Check policy and waiver files offline; exit 0 or 2.")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Policy file or folder (repeatable; default: the built-in set).",
)
@click.option(
    "--waivers",
    "waiver_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Waivers file (repeatable).",
)
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


@cli.group(invoke_without_command=True)
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


def main() -> None:
    """Console entry point."""
    # A short-lived process over one large document: the collector only re-scans it (PERFORMANCE.md)
    gc.disable()
    interrupts.install()
    for stream in (sys.stdout, sys.stderr):
        safe_stream(stream)
    code = _main(sys.argv[1:])
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
        _show(exc)
        return _early_outcome(argv, Verdict.CONFIG_ERROR, exc.format_message())
    except click.exceptions.Abort:
        return _early_outcome(argv, Verdict.CONFIG_ERROR, "aborted")
    except Interrupted as exc:
        report = outputs.interrupted_report(exc.signum)
        return _deliver_early(argv, report)
    except Exception as exc:  # a bug outside the guarded core still fails closed, in one line
        message = f"internal error: {type(exc).__name__}: {exc} (a bug in gate: please report it)"
        return _early_outcome(argv, Verdict.INTERNAL_ERROR, message)
    return code if isinstance(code, int) else 0


def _show(exc: click.ClickException) -> None:
    try:
        exc.show()
    except (OSError, ValueError):  # standard error is gone: the exit code still speaks
        pass


def _early_outcome(argv: list[str], verdict: Verdict, message: str) -> int:
    report = Report(verdict=verdict, error=ErrorInfo(verdict, message))
    return _deliver_early(argv, report)


def _deliver_early(argv: list[str], report: Report) -> int:
    """Deliver a report for a command line that never reached a command."""
    named = _flag_values(argv)
    paths = [
        (name, value) for name, flag in _REPORT_OPTIONS.items() for value in named.get(flag, [])
    ]
    inputs = [value for flag in _READ_OPTIONS for value in named.get(flag, [])]
    plan = outputs.lenient_plan(paths, inputs)
    console = _console()
    if report.verdict is Verdict.CONFIG_ERROR:
        console = Console(sys.stdout, None)  # click has shown the error on stderr already
    return outputs.deliver(report, plan, console, os.environ)


# report name -> its flag; and the flags whose files a run reads (never written over)
_REPORT_OPTIONS = {name: reporters.option(name) for name in reporters.FLAGS}
_READ_OPTIONS = ("--input", "-i", "--policy", "--waivers", "--save-response")


def _flag_values(argv: list[str]) -> dict[str, list[str]]:
    """``--flag VALUE`` and ``--flag=VALUE`` pairs of a command line click refused."""
    wanted = set(_REPORT_OPTIONS.values()) | set(_READ_OPTIONS)
    found: dict[str, list[str]] = {}
    for index, word in enumerate(argv):
        if word == "--":
            break
        flag, sep, value = word.partition("=")
        if flag not in wanted:
            continue
        if not sep:
            if index + 1 >= len(argv):
                continue
            value = argv[index + 1]
        found.setdefault(flag, []).append(value)
    return found
