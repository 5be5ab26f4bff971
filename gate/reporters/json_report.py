"""``--json``: the whole decision as data (documented in docs/json-report.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gate import __version__
from gate.report import Baseline, Finding, Outcome, Pending, Report, RiskRef, TaskRef, Waiver

if TYPE_CHECKING:
    from gate.decision import ConditionCheck, Decision

FORMAT_VERSION = 1


def render(report: Report) -> str:
    data = as_data(report)
    # The C encoder only runs without indent; large reports stay fast and are still one line of
    # valid JSON, small ones stay readable.
    if len(report.judged) > 2000:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def as_data(report: Report) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "gate_version": __version__,
        "verdict": report.verdict.value,
        "exit_code": report.exit_code,
        "source": report.source,
        "cluster": report.cluster or None,
        "generated_at": report.generated_at or None,
        "summary": {
            "judged_tasks": len(report.judged),
            "superseded_tasks": len(report.superseded),
            "pending": len(report.pending),
            **{outcome.value: report.count(outcome) for outcome in Outcome},
        },
        "error": (
            None
            if report.error is None
            else {"message": report.error.message, "details": list(report.error.details)}
        ),
        "policies": [
            {
                "id": p.id,
                "title": p.title,
                "scope": p.scope,
                "enforcement": p.enforcement.value,
                "enforcement_source": p.enforcement_source,
                "file": p.file,
                "line": p.line,
            }
            for p in report.policies
        ],
        "findings": [_finding(f) for f in report.findings],
        "pending": [_pending(p) for p in report.pending],
        "tasks": {
            "judged": [_task(t) for t in report.judged],
            "superseded": [_task(t) for t in report.superseded],
        },
        "waivers": {
            "applied": [_waiver(w) for w in report.waivers_applied],
            "expired": [_waiver(w) for w in report.waivers_expired],
            "unused": [_waiver(w) for w in report.waivers_unused],
        },
        "overrides": [
            {
                "policy": o.policy,
                "reason": o.reason,
                "actor": o.actor,
                "actor_source": o.actor_source,
            }
            for o in report.overrides
        ],
        "params": dict(report.params),
        "notes": list(report.notes),
        "write_failures": list(report.write_failures),
        # only with --baseline, so reports without it stay as they were
        **({"baseline": _baseline(report.baseline)} if report.baseline else {}),
    }


def _baseline(b: Baseline) -> dict[str, Any]:
    return {
        "source": b.source,
        "resolved": [
            {
                "policy": r.policy,
                "addon": r.addon or None,
                "instance": r.instance or None,
                "type": r.type or None,
                "risk": r.risk or None,
                "message": r.message,
            }
            for r in b.resolved
        ],
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "policy": f.policy,
        "enforcement": f.enforcement.value,
        "outcome": f.outcome.value,
        "message": f.message,
        "path": f.path,
        "task": _task(f.task) if f.task else None,
        "risk": _risk(f.risk) if f.risk else None,
        "remediation": f.remediation or None,
        "waiver": _waiver(f.waiver) if f.waiver else None,
        "override": (
            {"reason": f.override.reason, "actor": f.override.actor} if f.override else None
        ),
        # only with --explain, so reports without it stay as they were
        **({"decision": _decision(f.decision)} if f.decision else {}),
        **({"baseline": f.baseline} if f.baseline else {}),
    }


def _decision(d: Decision) -> dict[str, Any]:
    return {
        "policy": {"id": d.policy, "title": d.title, "file": d.file, "line": d.line},
        "enforcement": d.enforcement.value,
        "enforcement_source": d.enforcement_source,
        "evidence": {"path": d.evidence_path, "present": d.evidence_present, "value": d.evidence},
        "match": [_condition(c) for c in d.match],
        "assert": [_condition(c) for c in d.asserts],
        "waivers": [
            {"waiver": _waiver(w.waiver), "applied": w.applied, "reason": w.reason or None}
            for w in d.waivers
        ],
        "override": (
            {"reason": d.override.reason, "actor": d.override.actor} if d.override else None
        ),
        "outcome": d.outcome.value,
        "effect": d.effect,
        "exit_code": d.exit_code,
    }


def _condition(c: ConditionCheck) -> dict[str, Any]:
    return {
        "condition": c.text,
        "line": c.line,
        "path": c.path,
        "present": c.present,
        "actual": c.actual,
        "held": c.held,
        "note": c.note or None,
    }


def _task(t: TaskRef) -> dict[str, Any]:
    return {
        "name": t.name,
        "addon": t.addon,
        "instance": t.instance,
        "type": t.type,
        "task_id": t.task_id,
        "status": t.status,
        "created": t.created,
        "target_version": t.target_version,
        "path": t.path,
    }


def _risk(r: RiskRef) -> dict[str, Any]:
    return {
        "name": r.name,
        "level": r.level,
        "status": r.status,
        "message": r.message,
        "path": r.path,
    }


def _pending(p: Pending) -> dict[str, Any]:
    return {"reason": p.reason, "path": p.path, "task": p.task.name if p.task else None}


def _waiver(w: Waiver) -> dict[str, Any]:
    return {
        "policy": w.policy,
        "addon": w.addon or None,
        "risk": w.risk or None,
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires,
        "ticket": w.ticket or None,
        "cluster": w.cluster or None,
        "file": w.file,
        "line": w.line,
    }
