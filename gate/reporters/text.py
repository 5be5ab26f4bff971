"""The account on standard output: per judged task what each policy found, then one verdict line.

Tasks with nothing to say are summed up in one line, so a 10,000-task cluster still gives a short
log, and the account is bounded: at most :data:`TASKS_SHOWN` tasks, :data:`FINDINGS_PER_TASK`
findings per task and :data:`FINDINGS_SHOWN` in all, every value cut at :data:`VALUE_CHARS`
characters; a line says what was left out and that ``--json`` holds the whole. Every value from
the input is shown through :func:`gate.display.displayable`, so none can break a line, forge a
verdict or send an escape sequence to the terminal. Colour is ANSI, and only when asked for.
Errors are not part of the account: :func:`error_lines` gives them for standard error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from gate import __version__
from gate.display import displayable
from gate.report import Enforcement, Finding, Outcome, Pending, Report, TaskRef, Verdict

_MARK = {
    Outcome.BLOCKING: ("BLOCK", "31;1"),
    Outcome.ADVISORY: ("WARN", "33"),
    Outcome.WAIVED: ("WAIVED", "36"),
    Outcome.OVERRIDDEN: ("OVERRIDE", "35"),
}
_VERDICT_COLOUR = {Verdict.PASS: "32;1", Verdict.INCOMPLETE: "33;1"}
_LIST_AT_MOST = 10
TASKS_SHOWN = 100
FINDINGS_PER_TASK = 20
FINDINGS_SHOWN = 200
VALUE_CHARS = 400
_DETAILS_SHOWN = 100  # more than the validator lists (50 and a count): its list shows whole
_LEVEL_ORDER = {Enforcement.HARD: 0, Enforcement.SOFT: 1, Enforcement.ADVISORY: 2}

Paint = Callable[[str, str], str]


def render(report: Report, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    report = displayable(report, VALUE_CHARS)
    source = report.source or "no input read"
    cluster = f" (cluster {report.cluster})" if report.cluster not in source else ""
    lines = [f"gate {__version__}: {source}{cluster}"]
    if report.error is None:
        lines += _body(report, paint)
    else:
        lines += ["", "the run stopped with an error: it is on standard error"]
    lines += [f"  could not write {failure}" for failure in report.write_failures]
    lines.append("")
    lines.append(_verdict_line(report, paint))
    return "\n".join(lines) + "\n"


def error_lines(report: Report) -> list[str]:
    """The error that stopped the run, for standard error: ``gate: error: ...`` then details."""
    if report.error is None:
        return []
    error = displayable(report.error, VALUE_CHARS)
    shown = error.details[:_DETAILS_SHOWN]
    lines = [f"gate: error: {error.message}", *(f"  {detail}" for detail in shown)]
    if len(error.details) > len(shown):
        lines.append(f"  ... and {len(error.details) - len(shown)} more (see --json)")
    return lines


def _body(report: Report, paint: Paint) -> list[str]:
    lines = []
    if report.policies:
        listed = ", ".join(f"{p.id} ({p.enforcement.value})" for p in report.policies)
        lines.append(f"  policies: {listed}")
    changed = [p for p in report.policies if p.enforcement_source == "--enforcement"]
    for policy in changed:
        lines.append(
            f"  enforcement of {policy.id} set to {policy.enforcement.value} by --enforcement"
        )
    lines += [f"  note: {note}" for note in report.notes[:_LIST_AT_MOST]]
    if len(report.notes) > _LIST_AT_MOST:
        lines.append(f"  ... and {len(report.notes) - _LIST_AT_MOST} more note(s): see --json")

    by_task: dict[str, list[Finding]] = defaultdict(list)
    cluster: list[Finding] = []
    for finding in report.findings:
        (by_task[finding.task.name] if finding.task else cluster).append(finding)
    waiting: dict[str, list[Pending]] = defaultdict(list)
    for item in report.pending:
        if item.task:
            waiting[item.task.name].append(item)

    quiet = [t for t in report.judged if t.name not in by_task and t.name not in waiting]
    loud = [t for t in report.judged if t.name in by_task or t.name in waiting]
    # A CI log stays readable: blocked tasks first, at most TASKS_SHOWN of them in full.
    loud.sort(key=lambda t: not any(f.outcome is Outcome.BLOCKING for f in by_task[t.name]))
    budget = FINDINGS_SHOWN
    for task in loud[:TASKS_SHOWN]:
        lines.append("")
        lines.append(paint(_task_heading(task), "1"))
        found = _ordered(by_task.get(task.name, []))
        shown = found[: max(0, min(FINDINGS_PER_TASK, budget))]
        budget -= len(shown)
        lines += _findings(shown, paint)
        if len(found) > len(shown):
            lines.append(f"  ... and {len(found) - len(shown)} more finding(s): see --json")
        lines += [
            f"  {paint('WAIT', '33')}  {p.reason} ({p.path})" for p in waiting.get(task.name, [])
        ][:FINDINGS_PER_TASK]
    if len(loud) > TASKS_SHOWN:
        lines.append("")
        lines.append(
            f"... and {len(loud) - TASKS_SHOWN} more task(s) with findings or unfinished checks: "
            "every one is in the --json and --junit reports"
        )
    if cluster:
        lines.append("")
        lines.append(paint("cluster", "1"))
        lines += _findings(_ordered(cluster)[:FINDINGS_PER_TASK], paint)
        if len(cluster) > FINDINGS_PER_TASK:
            lines.append(
                f"  ... and {len(cluster) - FINDINGS_PER_TASK} more finding(s): see --json"
            )
    unjudged = [p for p in report.pending if p.task is None]
    if unjudged:
        lines.append("")
        lines += [f"{paint('WAIT', '33')}  {p.reason}" for p in unjudged[:_LIST_AT_MOST]]
    if quiet:
        lines.append("")
        lines.append(f"{len(quiet)} task(s) passed every policy: {_names(quiet)}")
    if report.superseded:
        lines.append(
            f"{len(report.superseded)} older task(s) superseded, not judged "
            "(--all-tasks judges them): "
            + ", ".join(f"{t.name} of {t.created}" for t in report.superseded[:_LIST_AT_MOST])
            + (" ..." if len(report.superseded) > _LIST_AT_MOST else "")
        )
    lines += _waiver_lines(report)[: _LIST_AT_MOST * 2]
    lines += _baseline_lines(report)
    for override in report.overrides[:_LIST_AT_MOST]:
        lines.append(
            f"override: {override.policy} by {override.actor} ({override.actor_source}): "
            f"{override.reason}"
        )
    return lines


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Blocking first, then by level (hard before soft), otherwise as the policies found them."""
    return sorted(
        findings, key=lambda f: (f.outcome is not Outcome.BLOCKING, _LEVEL_ORDER[f.enforcement])
    )


def _task_heading(task: TaskRef) -> str:
    target = f" -> {task.target_version}" if task.target_version else ""
    return f"{task.name}{target}: task {task.task_id}, {task.status}, created {task.created}"


def _findings(findings: list[Finding], paint: Paint) -> list[str]:
    lines = []
    for f in findings:
        label, code = _MARK[f.outcome]
        level = f"{f.enforcement.value}, {f.baseline}" if f.baseline else f.enforcement.value
        lines.append(f"  {paint(f'{label:<8}', code)} {f.policy} [{level}]: {f.message}")
        lines.append(f"           evidence: {f.path}")
        if f.waiver:
            lines.append(
                f"           waived until {f.waiver.expires} by {f.waiver.owner}: {f.waiver.reason}"
            )
        if f.override:
            lines.append(f"           overridden by {f.override.actor}: {f.override.reason}")
        if f.remediation and f.outcome is not Outcome.WAIVED:
            lines.append(f"           remediation: {f.remediation}")
    return lines


def _waiver_lines(report: Report) -> list[str]:
    lines = []
    for waiver in report.waivers_expired:
        lines.append(
            f"waiver expired on {waiver.expires} and was not applied: {waiver.policy} "
            f"({waiver.where})"
        )
    for waiver in report.waivers_unused:
        lines.append(f"waiver matched nothing: {waiver.policy} ({waiver.where})")
    return lines


def _baseline_lines(report: Report) -> list[str]:
    """With --baseline: how many findings are new, and the baseline's findings now gone."""
    if report.baseline is None:
        return []
    new = sum(1 for f in report.findings if f.baseline == "new")
    lines = [
        f"compared with {report.baseline.source}: {new} new, "
        f"{len(report.findings) - new} persisting, {len(report.baseline.resolved)} resolved"
    ]
    shown = report.baseline.resolved[:_LIST_AT_MOST]
    for item in shown:
        where = " ".join(part for part in (item.addon, item.type, item.risk) if part)
        lines.append(f"  resolved: {item.policy} {where}: {item.message}")
    if len(report.baseline.resolved) > len(shown):
        more = len(report.baseline.resolved) - len(shown)
        lines.append(f"  ... and {more} more resolved: see --json")
    return lines


def _names(tasks: list[TaskRef]) -> str:
    shown = ", ".join(t.name for t in tasks[:_LIST_AT_MOST])
    return shown + (
        f", ... ({len(tasks) - _LIST_AT_MOST} more)" if len(tasks) > _LIST_AT_MOST else ""
    )


def _verdict_line(report: Report, paint: Paint) -> str:
    verdict = report.verdict
    head = paint(
        f"Verdict: {verdict.value.upper()} (exit {report.exit_code})",
        _VERDICT_COLOUR.get(verdict, "31;1"),
    )
    if report.error is not None:
        return head
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
    tail = f"; {len(report.judged)} task(s) judged"
    if report.pending:
        tail += f", {len(report.pending)} pending"
    return f"{head}: {counts}{tail}"
