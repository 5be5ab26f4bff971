"""``--explain`` and ``gate explain``: each finding's decision record, for the person it blocked.

Plain sentences, one finding after another, then the verdict. Rendered from the Decision the core
recorded (gate.decision); nothing is judged here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gate.report import BUILTIN_FILE, Enforcement, Finding, Outcome, Report

if TYPE_CHECKING:
    from gate.decision import ConditionCheck, Decision, WaiverCheck

_LONGEST_VALUE = 120


def render(report: Report) -> str:
    lines: list[str] = []
    explained = [f for f in report.findings if f.decision is not None]
    for finding in explained:
        lines.extend(_finding(finding))
        lines.append("")
    if not explained:
        lines.append(_nothing(report))
        lines.append("")
    lines.extend(_verdict(report))
    return "\n".join(lines) + "\n"


def _finding(finding: Finding) -> list[str]:
    decision = finding.decision
    assert decision is not None
    lines = [f"{_subject(finding)} {decision.effect}."]
    lines.append(f"  Policy {decision.policy} ({_where(decision)}), {_level(decision)}.")
    if decision.title:
        lines.append(f"    It says: {decision.title}.")
    lines.extend(_conditions(decision))
    if not decision.match and not decision.asserts:
        shown = _value(decision.evidence, decision.evidence_present)
        lines.append(f"  Evidence: {decision.evidence_path} is {shown}.")
        lines.append(f"    {finding.message}")
    lines.extend(_waivers(finding, decision))
    if decision.override is not None:
        o = decision.override
        lines.append(f"  Override: {o.actor} ({o.actor_source}) overrode it: {o.reason}")
    if finding.remediation and finding.outcome is Outcome.BLOCKING:
        lines.append(f"  To fix: {finding.remediation.strip()}")
    if decision.exit_code:
        lines.append(f"  Exit code: this finding alone makes gate exit {decision.exit_code}.")
    else:
        lines.append("  Exit code: on its own this finding lets gate exit 0.")
    return lines


def _subject(finding: Finding) -> str:
    if finding.task is None:
        return f"The cluster as a whole ({finding.policy})"
    if finding.risk is None:
        return finding.task.name
    return f"{finding.task.name} risk {finding.risk.name} ({finding.risk.level})"


def _where(decision: Decision) -> str:
    if not decision.line:
        return "a rule built into gate"
    if decision.builtin:
        return f"gate's own policies/{decision.file.removeprefix(BUILTIN_FILE)}:{decision.line}"
    return f"{decision.file}:{decision.line}"


def _level(decision: Decision) -> str:
    source = decision.enforcement_source
    if source == "--enforcement":
        return f"{decision.enforcement} because --enforcement set it for this run"
    if source == "built-in":
        return f"{decision.enforcement}, as every rule built into gate"
    return f"{decision.enforcement} as its file says"


def _conditions(decision: Decision) -> list[str]:
    lines = []
    for check in decision.match:
        lines.append(f"  It applies: {_condition(check)}.")
    if not decision.match and decision.asserts:
        lines.append("  It applies to everything in its scope (no match conditions).")
    for check in decision.asserts:
        if check.held is True:
            lines.append(f"  It holds: {_condition(check)}.")
        else:
            lines.append(f"  It failed: {_condition(check)}.")
    return lines


def _condition(check: ConditionCheck) -> str:
    if check.held is None:
        why = f": {check.note}" if check.note else ""
        return f"{check.text} (line {check.line}) could not be judged{why}"
    verdict = "true" if check.held else "false"
    if check.text.startswith("count") and check.present:
        return f"{check.text} (line {check.line}) is {verdict}: the count is {check.actual}"
    if check.text.startswith(("any", "count")) or not check.present and check.actual is None:
        found = "" if check.present else f", {check.path} is absent"
        return f"{check.text} (line {check.line}) is {verdict}{found}"
    shown = _value(check.actual, check.present)
    return f"{check.text} (line {check.line}) is {verdict}: {check.path} is {shown}"


def _waivers(finding: Finding, decision: Decision) -> list[str]:
    lines = [_waiver(check) for check in decision.waivers]
    if lines or finding.outcome is not Outcome.BLOCKING:
        return lines
    if decision.enforcement is Enforcement.HARD:
        return ["  Waivers: none can apply; it is hard-mandatory, so fix the cause."]
    addon = f", addon: {finding.task.addon}" if finding.task else ""
    risk = f", risk: {finding.risk.name}" if finding.risk else ""
    return [
        f"  Waivers: no waiver names this policy. A waiver (policy: {decision.policy}{addon}"
        f"{risk}) with a reason, an owner and an expiry date would let it pass; "
        "so would --override with --reason."
    ]


def _waiver(check: WaiverCheck) -> str:
    w = check.waiver
    named = f"Waiver for {w.policy} ({w.where}, owner {w.owner})"
    if check.applied:
        return f"  {named} applied, until {w.expires}: {w.reason}"
    return f"  {named} did not apply: {check.reason}."


def _value(value: Any, present: bool) -> str:
    if not present:
        return "absent"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _LONGEST_VALUE:
        return text[: _LONGEST_VALUE - 3] + "..."
    return text


def _nothing(report: Report) -> str:
    asked = []
    if report.explain is not None and report.explain.policies:
        asked.append("--policy-id " + ", ".join(report.explain.policies))
    if report.explain is not None and report.explain.addons:
        asked.append("--addon " + ", ".join(report.explain.addons))
    if report.findings and asked:
        return (
            f"No finding matches {' and '.join(asked)} ({len(report.findings)} other finding(s))."
        )
    if asked:
        return f"No finding to explain for {' and '.join(asked)}: nothing was found."
    return "No finding to explain: no policy found anything."


def _verdict(report: Report) -> list[str]:
    lines = [f"Verdict: {report.verdict.value.upper()} (exit {report.exit_code})."]
    blocking = report.count(Outcome.BLOCKING)
    if blocking:
        lines.append(f"  {blocking} finding(s) blocked the upgrade.")
    for pending in report.pending:
        lines.append(f"  Not finished: {pending.reason} ({pending.path}).")
    if report.error is not None:
        lines.append(f"  {report.error.message}")
    return lines
