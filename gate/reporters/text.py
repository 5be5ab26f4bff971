"""The account on standard output: per judged task what each policy found, then one verdict line.

Tasks with nothing to say are summed up in one line, so a 10,000-task cluster still gives a short
log. Colour is ANSI, and only when the caller asks for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from gate import __version__
from gate.report import Finding, Outcome, Pending, Report, TaskRef, Verdict

_MARK = {
    Outcome.BLOCKING: ("BLOCK", "31;1"),
    Outcome.ADVISORY: ("WARN", "33"),
    Outcome.WAIVED: ("WAIVED", "36"),
    Outcome.OVERRIDDEN: ("OVERRIDE", "35"),
}
_VERDICT_COLOUR = {Verdict.PASS: "32;1", Verdict.INCOMPLETE: "33;1"}
_LIST_AT_MOST = 10
TASKS_SHOWN = 100

Paint = Callable[[str, str], str]


def render(report: Report, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    cluster = f" (cluster {report.cluster})" if report.cluster else ""
    lines = [f"gate {__version__}: {report.source or 'no input read'}{cluster}"]
    if report.error is None:
        lines += _body(report, paint)
    else:
        lines.append("")
        lines.append(paint(f"error: {report.error.message}", "31;1"))
        lines += [f"  {detail}" for detail in report.error.details]
    lines.append("")
    lines.append(_verdict_line(report, paint))
    return "\n".join(lines) + "\n"


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
    lines += [f"  note: {note}" for note in report.notes]

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
    for task in loud[:TASKS_SHOWN]:
        lines.append("")
        lines.append(paint(_task_heading(task), "1"))
        lines += _findings(by_task.get(task.name, []), paint)
        lines += [
            f"  {paint('WAIT', '33')}  {p.reason} ({p.path})" for p in waiting.get(task.name, [])
        ]
    if len(loud) > TASKS_SHOWN:
        lines.append("")
        lines.append(
            f"... and {len(loud) - TASKS_SHOWN} more task(s) with findings or unfinished checks: "
            "every one is in the --json and --junit reports"
        )
    if cluster:
        lines.append("")
        lines.append(paint("cluster", "1"))
        lines += _findings(cluster, paint)
    unjudged = [p for p in report.pending if p.task is None]
    if unjudged:
        lines.append("")
        lines += [f"{paint('WAIT', '33')}  {p.reason}" for p in unjudged]
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
    lines += _waiver_lines(report)
    for override in report.overrides:
        lines.append(
            f"override: {override.policy} by {override.actor} ({override.actor_source}): "
            f"{override.reason}"
        )
    return lines


def _task_heading(task: TaskRef) -> str:
    target = f" -> {task.target_version}" if task.target_version else ""
    return f"{task.name}{target}: task {task.task_id}, {task.status}, created {task.created}"


def _findings(findings: list[Finding], paint: Paint) -> list[str]:
    lines = []
    for f in findings:
        label, code = _MARK[f.outcome]
        lines.append(
            f"  {paint(f'{label:<8}', code)} {f.policy} [{f.enforcement.value}]: {f.message}"
        )
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
