"""``--codequality``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array of issues ``{description, check_name, fingerprint, severity, location: {path,
lines: {begin}}}``. GitLab compares issues between branches by fingerprint and merges duplicates,
so a finding's fingerprint is a hash of its identity (:mod:`gate.reporters.identity`: cluster,
policy, add-on, instance, check type, risk name), never of task IDs, times or message text.

Issues point at the file and line the problem is about: a finding at its policy's rule (built-in
policies and rules at stable pseudo paths under ``gate/policies/``, which GitLab shows without a
link); a configuration error at the policy or waiver file and line its message names; an input
error at the response file; an unfinished result at the response file (``gate`` in live mode,
where no file was read). An error's fingerprint is a hash of its verdict, location and message,
so two different errors never share one and the same error keeps its own from run to run. An
unfinished result or an error is one issue too, so a widget never shows a clean report for a run
that reached no verdict.
"""

from __future__ import annotations

import json
from typing import Any

from gate.display import cut, one_line
from gate.report import Enforcement, Finding, Outcome, Report, Verdict
from gate.reporters.identity import (
    error_at,
    fingerprint,
    fingerprints,
    policy_location,
    source_file,
)
from gate.reporters.markdown import most_severe_first

# GitLab shows a description as one line in a widget; the full text is in the JSON report.
DESCRIPTION_CHARS = 1000


def render(report: Report) -> str:
    issues = as_data(report)
    if len(issues) > 2000:  # the C encoder only runs without indent (see json_report)
        return json.dumps(issues, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def as_data(report: Report) -> list[dict[str, Any]]:
    if report.error is not None:
        return [_error_issue(report)]
    policies = {p.id: p for p in report.policies}
    prints = dict(zip(map(id, report.findings), fingerprints(report), strict=True))
    issues = []
    for finding in most_severe_first(report.findings):
        path, line = policy_location(policies.get(finding.policy), finding.policy)
        issues.append(
            _issue(
                _description(finding),
                finding.policy,
                prints[id(finding)],
                severity(finding),
                path,
                line,
            )
        )
    if report.pending:
        issues.append(_pending_issue(report))
    return issues


def severity(finding: Finding) -> str:
    """Blocking by enforcement (hard: blocker, otherwise critical); advisory minor, or major for a
    Fatal risk; waived and overridden findings info."""
    if finding.outcome is Outcome.BLOCKING:
        return "blocker" if finding.enforcement is Enforcement.HARD else "critical"
    if finding.outcome is Outcome.ADVISORY:
        return "major" if finding.risk is not None and finding.risk.level == "Fatal" else "minor"
    return "info"


def _description(finding: Finding) -> str:
    text = finding.message.strip()
    if finding.waiver is not None:
        w = finding.waiver
        text += f" (waived until {w.expires} by {w.owner}: {w.reason})"
    elif finding.override is not None:
        text += f" (overridden by {finding.override.actor}: {finding.override.reason})"
    elif finding.outcome is Outcome.ADVISORY:
        text += " (advisory)"
    return cut(one_line(text), DESCRIPTION_CHARS)


def _issue(
    description: str, check_name: str, fingerprint: str, level: str, path: str, line: int
) -> dict[str, Any]:
    return {
        "description": description,
        "check_name": check_name,
        "fingerprint": fingerprint,
        "severity": level,
        "location": {"path": path, "lines": {"begin": line}},
    }


def _pending_issue(report: Report) -> dict[str, Any]:
    count = len(report.pending)
    first = report.pending[0].reason
    description = f"{count} check(s) not finished, so no verdict covers them: {first}"
    if count > 1:
        description += f" (and {count - 1} more)"
    level = "critical" if report.verdict is Verdict.INCOMPLETE else "major"
    path = source_file(report)
    return _issue(
        cut(one_line(description), DESCRIPTION_CHARS),
        "gate/incomplete",
        fingerprint("gate/incomplete", report.cluster, path),
        level,
        path,
        1,
    )


def _error_issue(report: Report) -> dict[str, Any]:
    assert report.error is not None
    name = f"gate/{report.verdict.value}"
    path, line, _column = error_at(report, report.error)
    return _issue(
        cut(one_line(f"gate could not reach a verdict: {report.error.message}"), DESCRIPTION_CHARS),
        name,
        fingerprint(name, path, str(line), report.error.message),
        "blocker",
        path,
        line,
    )
