"""Where the outcome of a run goes, written so that nothing contradicts the exit code.

A run's outputs are the report files asked for, the account on standard output, and what CI
systems read from the environment (GitHub's job summary, annotations and step outputs). Three
rules hold for them:

* A report path is claimed when the run starts (:meth:`Plan.claim`): an earlier run's report is
  replaced at once by one that says this run has not finished, so a crash, a kill or a usage
  error never leaves an old pass behind. A path that cannot be claimed is known to fail before
  anything is rendered.
* Every output of a run carries the same exit code: a write that fails makes the code 2 (unless
  a code of higher precedence applies), and the outputs already written are written again when
  that changed the code.
* Everything passes through :func:`gate.redaction.scrub` on its way out.
"""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar, cast

from gate import interrupts, redaction
from gate.console import Console
from gate.errors import ConfigError, Interrupted
from gate.files import atomic_write, is_special
from gate.report import ErrorInfo, Report, Verdict
from gate.reporters import github, markdown, option, renderer
from gate.reporters import text as text_report

__all__ = [
    "Plan",
    "Target",
    "conclude",
    "deliver",
    "interrupted_report",
    "lenient_plan",
    "plan",
    "unfinished_report",
]

STDOUT = "-"


@dataclass(frozen=True)
class Target:
    """One report asked for: its reporter, the flag that asked, and the path (``-``: stdout)."""

    name: str
    flag: str
    path: str

    def describe(self) -> str:
        where = "standard output" if self.path == STDOUT else self.path
        return f"the {self.name} report to {where}"


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    color: bool = False
    failures: tuple[str, ...] = ()  # targets known to fail before anything is rendered

    @property
    def report_on_stdout(self) -> bool:
        return any(t.path == STDOUT for t in self.targets)

    def claim(self) -> Plan:
        """Replace every report file by a report that says the run has not finished."""
        placeholder = unfinished_report()
        failures = list(self.failures)
        for target in self.targets:
            if target.path == STDOUT or is_special(Path(target.path)):
                continue  # nothing old to replace; writing early would only add noise
            failure = _write_file(target, placeholder)
            if failure:
                failures.append(failure)
        return dataclasses.replace(self, failures=tuple(failures))


def plan(
    paths: Mapping[str, str | None], inputs: Iterable[str | Path | None] = (), color: bool = False
) -> Plan:
    """The targets for ``paths`` (report name -> path); refuses what cannot be meant.

    Two reports on one path, two on standard output, or a report over a file the run reads
    (the input, policies, waivers, the saved response) is a usage error.
    """
    targets = tuple(Target(name, option(name), path) for name, path in paths.items() if path)
    seen: dict[str, Target] = {}
    for target in targets:
        key = target.path if target.path == STDOUT else os.path.realpath(target.path)
        if key in seen:
            first = seen[key]
            where = "standard output" if key == STDOUT else repr(target.path)
            raise ConfigError(
                f"{first.flag} and {target.flag} both write to {where}: give each "
                "report its own path"
            )
        seen[key] = target
    read = {os.path.realpath(p) for p in inputs if p and str(p) != STDOUT}
    for target in targets:
        if target.path != STDOUT and os.path.realpath(target.path) in read:
            raise ConfigError(
                f"{target.flag} {target.path!r}: that is a file this run reads; a report there "
                "would overwrite it"
            )
    return Plan(targets, color)


def unfinished_report() -> Report:
    """What a claimed report says until the run replaces it."""
    message = (
        "gate started a run that writes this report and has not finished it: if this is still "
        "here, the run was killed or crashed before it could write its outcome"
    )
    return Report(
        verdict=Verdict.INTERRUPTED, signal=9, error=ErrorInfo(Verdict.INTERRUPTED, message)
    )


class Delivered(Protocol):
    """What :func:`deliver` needs of a report: one cluster's :class:`Report`, or a fleet's."""

    @property
    def exit_code(self) -> int: ...

    @property
    def write_failures(self) -> tuple[str, ...]: ...


R = TypeVar("R", bound=Delivered)


@dataclass(frozen=True)
class Renderings(Generic[R]):
    """How a kind of report becomes each output; the rules of :func:`deliver` are shared."""

    report: Callable[[str, R], str]  # a report format, by its reporter name
    summary: Callable[[R], str]  # the GitHub job summary (Markdown)
    errors: Callable[[R], list[str]]  # lines for standard error
    account: Callable[[R, bool], str]  # the text account (colour or not)
    annotations: Callable[[R], list[str]]  # GitHub workflow commands
    step: Callable[[R, int], str]  # GITHUB_OUTPUT lines


def _account(report: Report, color: bool) -> str:
    account = text_report.render(report, color=color)
    if report.explain is None:
        return account
    from gate.reporters import explain  # only runs that explain pay for it

    reasons = explain.render(report)
    return reasons if report.explain.instead else account + "\n" + reasons


SINGLE: Renderings[Report] = Renderings(
    report=lambda name, report: renderer(name)(report),
    summary=markdown.render,
    errors=text_report.error_lines,
    account=_account,
    annotations=github.annotation_lines,
    step=github.outputs,
)


def deliver(
    report: R,
    plan: Plan,
    console: Console,
    environ: Mapping[str, str],
    renderings: Renderings[R] | None = None,
) -> int:
    """Write every output of ``report``; return the exit code that all of them carry."""
    how = cast(Renderings[R], renderings or SINGLE)
    report = _with_failures(report, plan.failures)
    code_in_files = report.exit_code
    report = _with_failures(report, _write_reports(report, plan, console, how))
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        report = _with_failures(report, _append(summary, how.summary(report), "job summary"))
    for line in how.errors(report):
        console.err(line)
    account = how.account(report, plan.color)
    # with a report on stdout, the account goes to stderr, where a reader still sees it
    if plan.report_on_stdout:
        console.err_text(account)
    else:
        failure = console.out(account)
        if failure:
            report = _with_failures(report, (f"the account to standard output: {failure}",))
    if environ.get("GITHUB_ACTIONS", "").lower() in ("true", "1"):
        # the runner reads workflow commands from both streams
        annotate = console.err_text if plan.report_on_stdout else console.out
        for line in how.annotations(report):
            annotate(line + "\n")
    outputs = environ.get("GITHUB_OUTPUT")
    if outputs:
        step = how.step(report, report.exit_code)
        report = _with_failures(report, _append(outputs, step, "step outputs"))
    if report.exit_code != code_in_files:
        _write_reports(report, plan, console, how)  # a later failure changed the code they carry
    return report.exit_code


def _with_failures(report: R, failures: Iterable[str]) -> R:
    new = tuple(f for f in failures if f and f not in report.write_failures)
    if not new:
        return report
    return dataclasses.replace(report, write_failures=report.write_failures + new)  # type: ignore[type-var]


def _write_reports(report: R, plan: Plan, console: Console, how: Renderings[R]) -> tuple[str, ...]:
    failures = []
    for target in plan.targets:
        text = redaction.scrub(how.report(target.name, report))
        if target.path == STDOUT:
            failure = console.out(text)
            if failure:
                failures.append(f"{target.describe()}: {failure}")
            continue
        failure = _write_text(target, text)
        if failure:
            console.err(f"gate: cannot write {failure}")
            failures.append(failure)
    return tuple(failures)


def _write_file(target: Target, report: Report) -> str:
    """'' when written, else what failed and why."""
    return _write_text(target, redaction.scrub(renderer(target.name)(report)))


def _write_text(target: Target, text: str) -> str:
    try:
        atomic_write(Path(target.path), text.encode("utf-8", "backslashreplace"))
    except OSError as exc:
        return f"{target.describe()}: {exc.strerror or exc}"
    return ""


def _append(path: str, text: str, what: str) -> tuple[str, ...]:
    """Append to a file the CI runner owns (other steps' content stays); the failure, if any."""
    try:
        with open(path, "ab+") as stream:
            # Text someone else left without a final newline would swallow our first line.
            end = stream.seek(0, os.SEEK_END)
            if end > 0:
                stream.seek(end - 1)
                if stream.read(1) != b"\n":
                    stream.write(b"\n")
            stream.write(redaction.scrub(text).encode("utf-8", "backslashreplace"))
    except OSError as exc:
        return (f"the {what} to {path}: {exc.strerror or exc}",)
    return ()


def lenient_plan(paths: Iterable[tuple[str, str]], inputs: Iterable[str]) -> Plan:
    """For a command line that did not parse: every path named, each once, never over an input.

    A report flag given twice is one reason a command line is refused: both paths get the
    outcome, so neither keeps an older report.
    """
    read = {os.path.realpath(p) for p in inputs if p != STDOUT}
    chosen: dict[str, Target] = {}
    for name, path in paths:
        key = os.path.realpath(path)
        if path != STDOUT and key not in read and key not in chosen:
            chosen[key] = Target(name, option(name), key)
    return Plan(tuple(chosen.values()))


def conclude(
    work: Callable[[], R],
    plan: Plan,
    console: Console,
    environ: Mapping[str, str],
    renderings: Renderings[R] | None = None,
    interrupted: Callable[[int], R] | None = None,
) -> int:
    """Claim the reports, run ``work``, deliver its report: the exit code.

    A signal at any moment (claiming, judging, writing) still ends in reports that say the run
    was interrupted; the last delivery runs with the signals held back, so it completes.
    """
    stopped = cast(Callable[[int], R], interrupted or interrupted_report)
    try:
        plan = plan.claim()
        report = work()
    except Interrupted as exc:
        report = stopped(exc.signum)
    try:
        return deliver(report, plan, console, environ, renderings)
    except Interrupted as exc:
        with interrupts.held():
            return deliver(stopped(exc.signum), plan, console, environ, renderings)


def interrupted_report(signum: int) -> Report:
    name = _signal_name(signum)
    message = f"interrupted by {name} before the run could finish: no verdict was reached"
    return Report(
        verdict=Verdict.INTERRUPTED, signal=signum, error=ErrorInfo(Verdict.INTERRUPTED, message)
    )


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
