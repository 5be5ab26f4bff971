"""``--markdown`` and the GitHub job summary: the decision on one page a reviewer reads in a minute.

The page holds the verdict, a table of the judged add-on checks, the findings (most severe first),
the waivers and overrides used, and what to do next. It is deterministic (no times, no version)
so it can be golden-tested, and bounded: at most :data:`TASK_ROWS` add-on rows, :data:`FINDING_ROWS`
findings and :data:`LIST_ROWS` items per list, every cell cut at :data:`CELL_CHARS` characters. A
10,000-task response therefore stays far below GitHub's 1 MiB step-summary limit; what is left
out is counted and the reader is sent to the JUnit and JSON reports, which hold everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gate.display import visible
from gate.report import Enforcement, Finding, Outcome, Report, Verdict, Waiver

TASK_ROWS = 50
FINDING_ROWS = 50
LIST_ROWS = 20
CELL_CHARS = 500

_OUTCOME_RANK = {
    Outcome.BLOCKING: 0,
    Outcome.ADVISORY: 1,
    Outcome.OVERRIDDEN: 2,
    Outcome.WAIVED: 3,
}
_ENFORCEMENT_RANK = {Enforcement.HARD: 0, Enforcement.SOFT: 1, Enforcement.ADVISORY: 2}
_RISK_RANK = {"Fatal": 0, "Warning": 1}
_ICON = {Verdict.PASS: "✅", Verdict.BLOCKED: "⛔", Verdict.INCOMPLETE: "⏳"}
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that could start
# emphasis, links, HTML, strike-through or a new table cell inside a cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_SPACE = re.compile(r"\s+")


def most_severe_first(findings: Iterable[Finding]) -> list[Finding]:
    """Blocking before advisory before overridden and waived; within each, hard before soft, a
    Fatal risk before a Warning; otherwise the report's own order (the sort is stable)."""
    return sorted(findings, key=_severity)


def _severity(finding: Finding) -> tuple[int, int, int]:
    level = finding.risk.level if finding.risk else ""
    return (
        _OUTCOME_RANK[finding.outcome],
        _ENFORCEMENT_RANK[finding.enforcement],
        _RISK_RANK.get(level, 2),
    )


def render(report: Report) -> str:
    sections = [_heading(report)]
    if report.error is not None:
        sections.append(_error(report))
    else:
        sections += [
            _overview(report),
            _tasks(report),
            _findings(report),
            _resolved(report),
            _pending(report),
            _waivers(report),
            _overrides(report),
            _notes(report),
        ]
    sections.append(_next_steps(report))
    return "\n\n".join(section for section in sections if section) + "\n"


# --- text helpers -----------------------------------------------------------------------------


def text(value: str, limit: int = CELL_CHARS) -> str:
    """Plain text for a Markdown line or table cell: one line, cut, and inert."""
    flat = visible(_SPACE.sub(" ", value).strip())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _SPECIAL.sub(r"\\\1", flat)


def code(value: str, limit: int = CELL_CHARS) -> str:
    """Inline code: the fence outgrows any backtick run inside, and ``|`` stays in its cell."""
    flat = visible(_SPACE.sub(" ", value).strip())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    longest = max((len(run) for run in re.findall("`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _table(header: Iterable[str], align: str, rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _more(left_out: int, what: str) -> str:
    return f"_… and {left_out} more {what}: see the JUnit and JSON reports of this run._"


# --- sections ---------------------------------------------------------------------------------


def _heading(report: Report) -> str:
    verdict = report.verdict
    icon = _ICON.get(verdict, "❌")
    head = f"## {icon} gate: {verdict.value.upper()} (exit {report.exit_code})"
    return f"{head}\n\n{_sentence(report)}"


def _sentence(report: Report) -> str:
    verdict = report.verdict
    if verdict is Verdict.PASS:
        return "The upgrade may go ahead."
    if verdict is Verdict.BLOCKED:
        blocking = report.count(Outcome.BLOCKING)
        return f"The upgrade must not go ahead: {_plural(blocking, 'blocking finding')}."
    if verdict is Verdict.INCOMPLETE:
        return (
            "No decision yet: the check results are not complete, and an unfinished check never "
            "reads as a pass."
        )
    return f"No decision: gate could not evaluate the checks ({verdict.value})."


def _overview(report: Report) -> str:
    parts = []
    if report.source:
        parts.append(f"Source: {code(report.source)}")
    parts.append(_plural(len(report.judged), "add-on check") + " judged")
    parts += [f"{report.count(outcome)} {outcome.value}" for outcome in Outcome]
    if report.pending:
        parts.append(f"{len(report.pending)} not finished")
    if report.superseded:
        parts.append(f"{len(report.superseded)} older superseded")
    lines = [" · ".join(parts)]
    if report.policies:
        shown = report.policies[:LIST_ROWS]
        listed = ", ".join(
            f"{code(p.id)} {p.enforcement.value}"
            + (" (set by --enforcement)" if p.enforcement_source == "--enforcement" else "")
            for p in shown
        )
        if len(report.policies) > len(shown):
            listed += f", and {len(report.policies) - len(shown)} more"
        lines.append(f"Policies: {listed}")
    return "\n\n".join(lines)


@dataclass
class _Row:
    name: str
    target: str
    status: str
    order: int
    pending: int = 0
    counts: dict[Outcome, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)

    def key(self) -> tuple[int, ...]:
        return (
            -self.count(Outcome.BLOCKING),
            -self.pending,
            -self.count(Outcome.ADVISORY),
            -self.count(Outcome.OVERRIDDEN),
            -self.count(Outcome.WAIVED),
            self.order,
        )


def _tasks(report: Report) -> str:
    rows = {
        task.name: _Row(task.name, task.target_version, task.status, i)
        for i, task in enumerate(report.judged)
    }
    for finding in report.findings:
        name = finding.task.name if finding.task else "(cluster)"
        row = rows.setdefault(name, _Row(name, "", "", len(rows)))
        row.counts[finding.outcome] = row.count(finding.outcome) + 1
    for item in report.pending:
        if item.task is not None and item.task.name in rows:
            rows[item.task.name].pending += 1
    if not rows:
        return ""
    ordered = sorted(rows.values(), key=_Row.key)
    shown = ordered[:TASK_ROWS]
    table = _table(
        ["Add-on check", "Target version", "Status", *(o.value.capitalize() for o in Outcome)],
        "lllrrrr",
        (
            [
                text(row.name),
                text(row.target) or "–",
                text(row.status) or "–",
                *(str(row.count(o)) for o in Outcome),
            ]
            for row in shown
        ),
    )
    lines = ["### Add-on checks judged", table]
    left_out = ordered[len(shown) :]
    if left_out:
        with_findings = sum(1 for row in left_out if row.counts or row.pending)
        lines.append(_more(len(left_out), f"add-on checks ({with_findings} with findings)"))
    return "\n\n".join(lines)


def _findings(report: Report) -> str:
    if not report.findings:
        return ""
    ordered = most_severe_first(report.findings)
    if report.baseline is not None:  # what is new since the baseline is what a reviewer needs
        ordered.sort(key=lambda f: f.baseline != "new")
    shown = ordered[:FINDING_ROWS]
    table = _table(
        ["Outcome", "Policy", "Add-on check", "Finding", "Evidence"],
        "lllll",
        (_finding_row(f) for f in shown),
    )
    lines = ["### Findings", table]
    left_out = ordered[len(shown) :]
    if left_out:
        counts = ", ".join(
            f"{n} {o.value}" for o in Outcome if (n := sum(1 for f in left_out if f.outcome is o))
        )
        lines.append(_more(len(left_out), f"findings ({counts})"))
    return "\n\n".join(lines)


def _finding_row(finding: Finding) -> list[str]:
    outcome = finding.outcome.value.upper()
    detail = finding.message
    if finding.waiver:
        w = finding.waiver
        detail += f" (waived until {w.expires} by {w.owner}: {w.reason})"
    if finding.override:
        detail += f" (overridden by {finding.override.actor}: {finding.override.reason})"
    if finding.baseline:
        outcome += f" ({finding.baseline})"
    return [
        f"**{outcome}**" if finding.outcome is Outcome.BLOCKING else outcome,
        f"{code(finding.policy)} {finding.enforcement.value}",
        text(finding.task.name) if finding.task else "(cluster)",
        text(detail),
        code(finding.path),
    ]


def _resolved(report: Report) -> str:
    if report.baseline is None or not report.baseline.resolved:
        return ""
    shown = report.baseline.resolved[:LIST_ROWS]
    lines = []
    for item in shown:
        where = " ".join(part for part in (item.addon, item.type, item.risk) if part)
        lines.append(f"- {code(item.policy)} {text(where)}: {text(item.message)}")
    if len(report.baseline.resolved) > len(shown):
        lines.append(_more(len(report.baseline.resolved) - len(shown), "resolved findings"))
    source = text(report.baseline.source)
    return f"### Resolved since the baseline ({source})\n\n" + "\n".join(lines)


def _pending(report: Report) -> str:
    if not report.pending:
        return ""
    shown = report.pending[:LIST_ROWS]
    lines = [f"- {text(item.reason)} ({code(item.path)})" for item in shown]
    if len(report.pending) > len(shown):
        lines.append(f"- {_more(len(report.pending) - len(shown), 'unfinished checks')}")
    return "### Not finished\n\n" + "\n".join(lines)


def _waivers(report: Report) -> str:
    groups: list[tuple[str, tuple[Waiver, ...]]] = [
        ("applied", report.waivers_applied),
        ("expired, not applied", report.waivers_expired),
        ("matched nothing", report.waivers_unused),
    ]
    rows = [(status, w) for status, waivers in groups for w in waivers]
    if not rows:
        return ""
    shown = rows[:LIST_ROWS]
    table = _table(
        ["Waiver", "Policy", "Only for", "Owner", "Expires", "Reason", "Where"],
        "lllllll",
        (_waiver_row(status, w) for status, w in shown),
    )
    lines = ["### Waivers", table]
    if len(rows) > len(shown):
        lines.append(_more(len(rows) - len(shown), "waivers"))
    return "\n\n".join(lines)


def _waiver_row(status: str, waiver: Waiver) -> list[str]:
    scope = ", ".join(part for part in (waiver.addon, waiver.risk) if part) or "all findings"
    reason = waiver.reason + (f" ({waiver.ticket})" if waiver.ticket else "")
    return [
        status,
        code(waiver.policy),
        text(scope),
        text(waiver.owner),
        text(waiver.expires),
        text(reason),
        code(waiver.where),
    ]


def _overrides(report: Report) -> str:
    if not report.overrides:
        return ""
    table = _table(
        ["Policy", "By", "Reason"],
        "lll",
        (
            [code(o.policy), f"{text(o.actor)} ({text(o.actor_source)})", text(o.reason)]
            for o in report.overrides[:LIST_ROWS]
        ),
    )
    return "### Overrides\n\n" + table


def _notes(report: Report) -> str:
    if not report.notes:
        return ""
    return "### Notes\n\n" + "\n".join(f"- {text(note)}" for note in report.notes[:LIST_ROWS])


def _error(report: Report) -> str:
    assert report.error is not None
    lines = [f"**Error:** {text(report.error.message, 2000)}"]
    if report.error.details:
        details = "\n".join(report.error.details[:LIST_ROWS]).replace("```", "'''")
        lines.append(f"```text\n{details}\n```")
    return "\n\n".join(lines)


# --- what to do next --------------------------------------------------------------------------


def _next_steps(report: Report) -> str:
    verdict = report.verdict
    if verdict is Verdict.PASS:
        steps = _after_pass(report)
    elif verdict is Verdict.BLOCKED:
        steps = _after_block(report)
    elif verdict is Verdict.INCOMPLETE:
        steps = _after_incomplete(report)
    else:
        steps = [_ERROR_STEPS[verdict]]
    return "### What to do next\n\n" + "\n".join(f"- {step}" for step in steps)


def _after_pass(report: Report) -> list[str]:
    steps = ["Go ahead with the upgrade."]
    advisory = report.count(Outcome.ADVISORY)
    if advisory:
        steps.append(f"Read the {_plural(advisory, 'advisory finding')} first: they do not block.")
    if report.waivers_applied:
        first = min(w.expires for w in report.waivers_applied)
        steps.append(
            f"Waivers let findings pass; fix their causes before they expire (the first on "
            f"{text(first)})."
        )
    steps += _waiver_hygiene(report)
    return steps


def _after_block(report: Report) -> list[str]:
    steps = []
    blocking = [f for f in most_severe_first(report.findings) if f.outcome is Outcome.BLOCKING]
    seen: dict[str, int] = {}
    for finding in blocking:
        seen[finding.policy] = seen.get(finding.policy, 0) + 1
    firsts = {f.policy: f for f in reversed(blocking)}
    for policy_id, count in list(seen.items())[:LIST_ROWS]:
        steps.append(_fix_step(firsts[policy_id], count))
    if len(seen) > LIST_ROWS:
        steps.append(_more(len(seen) - LIST_ROWS, "blocking policies"))
    steps.append("Then run the add-on checks again (`gate precheck`) and rerun this job.")
    steps += _waiver_hygiene(report)
    return steps


def _fix_step(finding: Finding, count: int) -> str:
    found = f"{finding.enforcement.value}, {_plural(count, 'finding')}"
    fix = text(finding.remediation) if finding.remediation else "Fix the cause the finding names."
    if finding.enforcement is Enforcement.HARD:
        return f"{code(finding.policy)} ({found}; no waiver or override applies): {fix}"
    return f"{code(finding.policy)} ({found}): " + (
        f"{fix} Or, if the risk is accepted, add a waiver for {code(finding.policy)} "
        "(with `reason`, `owner` and `expires`) to the waivers file, or rerun with "
        f'`--override {finding.policy} --reason "..."`.'
    )


def _after_incomplete(report: Report) -> list[str]:
    if report.judged:
        return [
            "Wait for the checks to finish, then rerun this job; in live mode `--wait` with a "
            "longer `--timeout` does the waiting.",
            'An incomplete result exits 5: map it to "retry" (or to a warning with '
            "`allow_failure: exit_codes: [5]` on GitLab), never to a pass.",
        ]
    return [
        "Nothing was judged: check the `--addon` and `--type` selection and that the checks were "
        "started (`gate precheck`); `--allow-empty` accepts an empty result on purpose.",
    ]


def _waiver_hygiene(report: Report) -> list[str]:
    steps = []
    if report.waivers_expired:
        steps.append(
            f"Renew or remove {_plural(len(report.waivers_expired), 'expired waiver')}: they no "
            "longer apply."
        )
    if report.waivers_unused:
        steps.append(
            f"Remove {_plural(len(report.waivers_unused), 'waiver')} that matched nothing."
        )
    return steps


_ERROR_STEPS = {
    Verdict.CONFIG_ERROR: "Fix the flag or file the error names; `gate validate` checks policy "
    "and waiver files offline.",
    Verdict.INVALID_INPUT: "The response is not what the CCE API documents: check that the file "
    "is the saved ListAddonPrecheckTasks answer, then rerun.",
    Verdict.API_ERROR: "Check the credentials, the region or endpoint and the network, then rerun: "
    "an API error may be transient.",
    Verdict.INTERNAL_ERROR: "This is a bug in gate: please report it with the command line, and "
    "rerun with `GATE_DEBUG=1` for the traceback.",
    Verdict.INTERRUPTED: "The run was stopped before it reached a verdict (cancelled, timed out "
    "or killed): rerun it; nothing here says the upgrade may go ahead.",
}
