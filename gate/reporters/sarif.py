"""``--sarif``: SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run per report, categorised by cluster (``automationDetails.id`` ``gate/<cluster>/``, so
uploads for different clusters do not replace each other's alerts). The run's tool lists one
rule per policy (id, a name, the title as description, the remediation as help, the
enforcement as the default level: hard- and soft-mandatory ``error``, advisory ``warning``).

One result per blocking or advisory finding (``error`` and ``warning``), located at the policy
file and the line of its rule: code scanning needs a file in the repository, so findings of the
built-in policies point at pseudo paths under ``gate/policies/`` that GitHub cannot show (use
your own policy files to get alerts on lines). Waived and overridden findings are results with a
``suppressions`` entry whose justification names who, until when and why. ``partialFingerprints``
hold the finding's identity hash (:mod:`gate.reporters.identity`), never task IDs or times, so an
alert stays the same alert from run to run.

A run that reached no verdict, or left checks unfinished, says so in
``invocations[0]`` (``executionSuccessful: false`` and one notification per problem), never as an
empty, clean run. Within GitHub's upload limits: at most :data:`MAX_RESULTS` results per run
(the most severe first; a notification counts the rest) and messages cut at
:data:`MESSAGE_CHARS`.
"""

from __future__ import annotations

import json
from typing import Any

from gate import __version__
from gate.display import cut, shown
from gate.report import Enforcement, Finding, Outcome, PolicyInfo, Report, Verdict
from gate.reporters.identity import error_at, fingerprints, policy_location
from gate.reporters.markdown import most_severe_first

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/cce-addon-gate/gate"
FINGERPRINT_KEY = "gateFindingIdentity/v1"
# GitHub refuses a run with more than 25,000 results and a file over 10 MB gzip-compressed.
MAX_RESULTS = 25_000
MESSAGE_CHARS = 1000
_LEVEL = {Enforcement.HARD: "error", Enforcement.SOFT: "error", Enforcement.ADVISORY: "warning"}


def render(report: Report) -> str:
    data = as_data(report)
    if len(report.findings) > 2000:  # the C encoder only runs without indent (see json_report)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def as_data(report: Report) -> dict[str, Any]:
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [_run(report)]}


def _run(report: Report) -> dict[str, Any]:
    rules = _rules(report)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    prints = dict(zip(map(id, report.findings), fingerprints(report), strict=True))
    ordered = most_severe_first(report.findings)
    policies = {p.id: p for p in report.policies}
    results = [_result(f, index, prints[id(f)], policies) for f in ordered[:MAX_RESULTS]]
    return {
        "tool": {
            "driver": {
                "name": "gate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": category(report)},
        "invocations": [_invocation(report, len(ordered) - len(results))],
        "results": results,
        "properties": {"verdict": report.verdict.value, "exitCode": report.exit_code},
    }


def category(report: Report) -> str:
    """GitHub's category: one per cluster, so two clusters' uploads do not replace each other."""
    cluster = "".join(c if c.isalnum() or c in "-_." else "_" for c in report.cluster)
    return f"gate/{cluster}/" if cluster else "gate/"


def _rules(report: Report) -> list[dict[str, Any]]:
    remediation: dict[str, str] = {}
    for finding in report.findings:
        remediation.setdefault(finding.policy, finding.remediation)
    rules = [_rule(p, remediation.get(p.id, "")) for p in report.policies]
    known = {p.id for p in report.policies}
    for rule_id in sorted({f.policy for f in report.findings} - known):
        level = next(f.enforcement for f in report.findings if f.policy == rule_id)
        engine_rule = PolicyInfo(rule_id, rule_id, "task", level, "gate", "", 0)
        rules.append(_rule(engine_rule, remediation.get(rule_id, "")))
    return rules


def _rule(policy: PolicyInfo, remediation: str) -> dict[str, Any]:
    title = shown(policy.title or policy.id)
    help_text = title + (f"\n\nRemediation: {shown(remediation)}" if remediation else "")
    return {
        "id": policy.id,
        "name": "".join(part.capitalize() for part in policy.id.replace("_", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[policy.enforcement]},
        "properties": {
            "enforcement": policy.enforcement.value,
            "enforcementSource": policy.enforcement_source,
            "scope": policy.scope,
        },
    }


def _result(
    finding: Finding, index: dict[str, int], fingerprint: str, policies: dict[str, PolicyInfo]
) -> dict[str, Any]:
    path, line = policy_location(policies.get(finding.policy), finding.policy)
    text = f"{finding.message}\nevidence: {finding.path}"
    result: dict[str, Any] = {
        "ruleId": finding.policy,
        "ruleIndex": index[finding.policy],
        "level": _result_level(finding),
        "message": {"text": cut(shown(text), MESSAGE_CHARS)},
        "locations": [_location(path, line)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": _finding_properties(finding),
    }
    suppression = _suppression(finding)
    if suppression:
        result["suppressions"] = [suppression]
    if finding.baseline:  # --baseline: SARIF's own field for it
        result["baselineState"] = "new" if finding.baseline == "new" else "unchanged"
    return result


def _result_level(finding: Finding) -> str:
    if finding.outcome is Outcome.BLOCKING:
        return "error"
    if finding.outcome is Outcome.ADVISORY:
        return "warning"
    return _LEVEL[finding.enforcement]


def _suppression(finding: Finding) -> dict[str, Any] | None:
    if finding.waiver is not None:
        w = finding.waiver
        why = f"waived by {w.owner} until {w.expires}: {w.reason}"
        why += f" ({w.ticket}; {w.where})" if w.ticket else f" ({w.where})"
        return {"kind": "external", "status": "accepted", "justification": shown(why)}
    if finding.override is not None:
        o = finding.override
        why = f"overridden by {o.actor} (from {o.actor_source}): {o.reason}"
        return {"kind": "external", "status": "accepted", "justification": shown(why)}
    return None


def _finding_properties(finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "outcome": finding.outcome.value,
        "enforcement": finding.enforcement.value,
        "evidence": finding.path,
    }
    if finding.task is not None:
        task = finding.task
        properties.update(
            addon=shown(task.addon),
            instance=shown(task.instance),
            checkType=task.type,
            targetVersion=shown(task.target_version),
        )
    if finding.risk is not None:
        properties.update(risk=shown(finding.risk.name), riskLevel=finding.risk.level)
    return properties


def _location(path: str, line: int, column: int = 0) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(line, 1)}
    if column > 0:
        region["startColumn"] = column
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
            "region": region,
        }
    }


def _invocation(report: Report, left_out: int) -> dict[str, Any]:
    notes = []
    if report.error is not None:
        path, line, column = error_at(report, report.error)
        text = "\n".join((report.error.message, *report.error.details))
        notes.append(
            _note("error", f"{report.verdict.value}: {text}", _location(path, line, column))
        )
    for item in report.pending:
        level = "error" if report.verdict is Verdict.INCOMPLETE else "warning"
        notes.append(_note(level, f"incomplete: {item.reason} ({item.path})"))
    if left_out > 0:
        notes.append(
            _note(
                "note",
                f"{left_out} less severe finding(s) left out (GitHub's limit of "
                f"{MAX_RESULTS} results per run): see the JSON report",
            )
        )
    return {
        "executionSuccessful": report.verdict in (Verdict.PASS, Verdict.BLOCKED),
        "exitCode": report.exit_code,
        "toolExecutionNotifications": notes,
    }


def _note(level: str, text: str, location: dict[str, Any] | None = None) -> dict[str, Any]:
    note: dict[str, Any] = {"level": level, "message": {"text": cut(shown(text), MESSAGE_CHARS)}}
    if location is not None:
        note["locations"] = [location]
    return note
