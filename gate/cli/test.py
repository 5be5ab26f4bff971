"""`gate test`: run policy unit tests (``*.gate-test.yaml``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("test", short_help="Run policy unit tests (*.gate-test.yaml); exit 0, 1 or 2.")
@click.option(
    "--require-coverage",
    is_flag=True,
    help="Fail (exit 1) naming each policy without a case where it makes a finding or one "
    "where it applies and passes, and each assert condition that fails in no case.",
)
@click.option("--junit", metavar="PATH", help="Write the test run as JUnit XML.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def test_command(paths: tuple[Path, ...], require_coverage: bool, junit: str | None) -> None:
    """Run the policy tests in PATHS: test files, or folders searched for *.gate-test.yaml
    (default: the current folder).

    Each case judges a response fixture and compares the verdict and every finding with what it
    expects. Expecting a policy to pass fails when its match selected nothing (say notApplicable
    instead), and a finding the case does not expect fails it. Exit 0 when every case passes,
    1 when one fails (or coverage is missing), 2 when a test file is invalid.
    """
    from gate import policytest
    from gate.cli.outcome import console
    from gate.errors import ConfigError
    from gate.files import atomic_write
    from gate.reporters import testrun

    out = console()
    try:
        files, errors = policytest.load(paths)
    except ConfigError as exc:
        files, errors = [], [exc.message]
    results = [] if errors else policytest.run_files(files)
    gaps = policytest.coverage(files, results) if require_coverage and not errors else []
    code = 2 if errors else policytest.exit_code(results, gaps)
    for error in errors:
        out.err(f"error: {error}")
    if not errors:
        out.out(testrun.text(results, gaps, require_coverage))
    if junit:
        document = testrun.junit(results, errors, gaps, require_coverage and not errors)
        try:
            atomic_write(Path(junit), document.encode("utf-8"))
        except OSError as exc:
            out.err(f"error: --junit {junit}: cannot write: {exc.strerror or exc}")
            code = 2
    raise SystemExit(code)
