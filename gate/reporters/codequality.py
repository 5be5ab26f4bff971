"""``--codequality``: a GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array of issues ``{description, check_name, fingerprint, severity, location: {path,
lines: {begin}}}``. GitLab compares issues between branches by fingerprint and merges duplicates,
so a fingerprint is a hash of what identifies a finding from run to run (the cluster when
``--cluster-id`` names it, policy, add-on, instance, check type, risk name), never of task IDs,
times or message text; a second finding with the same identity in one report gets an ordinal, so
none is merged away.

Issues point at the policy's file and line. Built-in policies are not files of the repository
being checked; they get the stable pseudo path ``gate/policies/default/<file>``, which GitLab shows
without a link. An unfinished result or an error is one issue too, so a widget never shows a
clean report for a run that reached no verdict.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gate.report import BUILTIN_FILE, Enforcement, Finding, Outcome, PolicyInfo, Report, Verdict
from gate.reporters.markdown import error_location, most_severe_first

BUILTIN_PATH = "gate/policies/"
UNKNOWN_POLICY_PATH = "gate/policies/builtin/{id}"
# GitLab shows a description as one line in a widget; the full text is in the JSON report.
DESCRIPTION_CHARS = 1000
_FIELD_SEPARATOR = "\x1f"  # cannot occur in a name, so ("a b", "c") and ("a", "b c") differ


def render(report: Report) -> str:
    issues = as_data(report)
    if len(issues) > 2000:  # the C encoder only runs without indent (see json_report)
        return json.dumps(issues, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def as_data(report: Report) -> list[dict[str, Any]]:
    if report.error is not None:
        return [_error_issue(report)]
    policies = {p.id: p for p in report.policies}
    seen: dict[str, int] = {}
    issues = []
    for finding in most_severe_first(report.findings):
        identity = _identity(finding, report.cluster)
        seen[identity] = seen.get(identity, 0) + 1
        if seen[identity] > 1:
            identity += f"{_FIELD_SEPARATOR}#{seen[identity]}"
        path, line = policy_location(policies.get(finding.policy), finding.policy)
        issues.append(
            _issue(
                _description(finding),
                finding.policy,
                _hash(identity),
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


def policy_location(policy: PolicyInfo | None, policy_id: str) -> tuple[str, int]:
    if policy is None:  # a check built into the engine, not a policy file
        return UNKNOWN_POLICY_PATH.format(id=policy_id), 1
    if policy.builtin:
        return BUILTIN_PATH + policy.file.removeprefix(BUILTIN_FILE), max(policy.line, 1)
    return policy.file.removeprefix("./"), max(policy.line, 1)


def _identity(finding: Finding, cluster: str) -> str:
    task = finding.task
    parts = [
        cluster,
        finding.policy,
        task.addon if task else "",
        task.instance if task else "",
        task.type if task else "",
        finding.risk.name if finding.risk else "",
    ]
    return _FIELD_SEPARATOR.join(parts)


def _hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _description(finding: Finding) -> str:
    text = finding.message.strip()
    if finding.waiver is not None:
        w = finding.waiver
        text += f" (waived until {w.expires} by {w.owner}: {w.reason})"
    elif finding.override is not None:
        text += f" (overridden by {finding.override.actor}: {finding.override.reason})"
    elif finding.outcome is Outcome.ADVISORY:
        text += " (advisory)"
    return _cut(text)


def _cut(text: str) -> str:
    return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"


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
    return _issue(
        _cut(description), "gate/incomplete", _hash("gate/incomplete"), level, _source(report), 1
    )


def _error_issue(report: Report) -> dict[str, Any]:
    assert report.error is not None
    name = f"gate/{report.verdict.value}"
    path, line = error_location(report.error.message) or (_source(report), 1)
    return _issue(
        _cut(f"gate could not reach a verdict: {report.error.message}"),
        name,
        _hash(name),
        "blocker",
        path.removeprefix("./"),
        line,
    )


def _source(report: Report) -> str:
    # An error before anything was read has no file to point at; the tool's name is the honest
    # location then.
    return report.source if report.source and report.source != "<stdin>" else "gate"
