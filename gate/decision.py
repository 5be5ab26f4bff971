"""The decision record: why each finding came out as it did (``--explain``, ``gate explain``).

Recorded after :func:`gate.engine.evaluate`, from the report, the configuration and the tasks it
judged, so the engine's hot path stays as it is. The outcome is the engine's (the finding's
waiver and override are the truth); this module only says why, in data the reporters render.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from gate.engine import Config, _Evaluator, _expired, _MissingParam
from gate.operators import MISSING
from gate.policy import BUILTIN_FAILED_WITHOUT_RISKS, Condition, Context
from gate.report import (
    BUILTIN_FILE,
    EXIT_CODES,
    Enforcement,
    Finding,
    Outcome,
    Override,
    PolicyInfo,
    Report,
    Verdict,
    Waiver,
)
from gate.schema import Layout


@dataclass(frozen=True, slots=True)
class Scope:
    """Which findings get a record: all, or those of these policies and add-ons only."""

    policies: tuple[str, ...] = ()
    addons: tuple[str, ...] = ()
    # gate explain: the explanation replaces the account on standard output (check: follows it)
    instead: bool = False

    def wants(self, finding: Finding) -> bool:
        if self.policies and finding.policy not in self.policies:
            return False
        addon = finding.task.addon if finding.task else ""
        return not self.addons or addon in self.addons


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """One match or assert condition and what it found. ``held`` is None when it could not be
    judged (a parameter missing for this add-on); ``present`` is False when the field is absent."""

    text: str
    line: int
    path: str
    actual: Any
    present: bool
    held: bool | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class WaiverCheck:
    """A waiver that could have let the finding pass; ``reason`` says why it did not."""

    waiver: Waiver
    applied: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    policy: str
    title: str
    file: str
    line: int
    enforcement: Enforcement
    enforcement_source: str
    evidence_path: str
    evidence: Any
    evidence_present: bool
    match: tuple[ConditionCheck, ...]
    asserts: tuple[ConditionCheck, ...]
    waivers: tuple[WaiverCheck, ...]
    override: Override | None
    outcome: Outcome
    effect: str
    # what this finding alone does to the exit code: 1 (blocks) or 0
    exit_code: int

    @property
    def builtin(self) -> bool:
        return self.file.startswith(BUILTIN_FILE)


def explained(
    report: Report, tasks: list[dict[str, Any]], layout: Layout, config: Config, scope: Scope
) -> Report:
    """``report`` with a Decision on every finding ``scope`` wants."""
    recorder = _Recorder(report, tasks, layout, config)
    findings = tuple(
        dataclasses.replace(f, decision=recorder.decision(f)) if scope.wants(f) else f
        for f in report.findings
    )
    return dataclasses.replace(report, findings=findings, explain=scope)


class _Recorder:
    def __init__(
        self, report: Report, tasks: list[dict[str, Any]], layout: Layout, config: Config
    ) -> None:
        self.tasks, self.layout, self.config = tasks, layout, config
        self.index = {layout.task_path(i): i for i in range(len(tasks))}
        judged = [(self.index[t.path], t) for t in report.judged if t.path in self.index]
        self.evaluator = _Evaluator(
            config.policies,
            [(i, tasks[i], ref) for i, ref in judged],
            layout,
            config.settings,
        )
        self.policies = {p.id: p for p in config.policies}
        self.infos = {info.id: info for info in config.infos}

    def decision(self, finding: Finding) -> Decision:
        policy = self.policies.get(finding.policy)
        info = self.infos.get(finding.policy) or _builtin_info(finding)
        match: tuple[ConditionCheck, ...] = ()
        asserts: tuple[ConditionCheck, ...] = ()
        evidence_path, evidence, present = finding.path, _builtin_evidence(finding), True
        if policy is not None:
            ctx, base = self._context(finding)
            match = tuple(self.check(c, ctx, base) for c in policy.match)
            asserts = tuple(self.check(c, ctx, base) for c in policy.assertions)
            failed = [c for c in asserts if c.held is not True]
            if failed:
                evidence_path, evidence, present = (
                    failed[0].path,
                    failed[0].actual,
                    failed[0].present,
                )
        effect, code = _effect(finding)
        return Decision(
            policy=finding.policy,
            title=info.title,
            file=info.file,
            line=info.line,
            enforcement=finding.enforcement,
            enforcement_source=info.enforcement_source,
            evidence_path=evidence_path,
            evidence=evidence,
            evidence_present=present,
            match=match,
            asserts=asserts,
            waivers=tuple(self.waivers(finding)),
            override=finding.override,
            outcome=finding.outcome,
            effect=effect,
            exit_code=code,
        )

    def _context(self, finding: Finding) -> tuple[Context, list[str | int]]:
        """The context the policy was judged in, and the normalised path of its root."""
        if finding.task is None or finding.task.path not in self.index:
            return {}, ["items"]
        i = self.index[finding.task.path]
        task = self.tasks[i]
        if finding.risk is None:
            return {"task": task}, ["items", i]
        risks = task["status"].get("riskList") or []
        for j, risk in enumerate(risks):
            if self.layout.risk_path(i, j) == finding.risk.path:
                return {"task": task, "risk": risk}, ["items", i, "status", "riskList", j]
        return {"task": task}, ["items", i]

    def check(self, condition: Condition, ctx: Context, base: list[str | int]) -> ConditionCheck:
        path = self._path(condition, base)
        try:
            held = bool(self.evaluator.compile(condition)(ctx))
            actual = self.evaluator.actual_getter(condition)(ctx) if condition.op else MISSING
        except _MissingParam as missing:
            return ConditionCheck(
                condition.text, condition.line, path, None, False, None, str(missing)
            )
        except (KeyError, TypeError):  # a count over tasks outside this context: say so, not crash
            return ConditionCheck(condition.text, condition.line, path, None, False, None)
        if condition.any:
            return ConditionCheck(condition.text, condition.line, path, None, False, held)
        present = actual is not MISSING
        return ConditionCheck(
            condition.text, condition.line, path, actual if present else None, present, held
        )

    def _path(self, condition: Condition, base: list[str | int]) -> str:
        if condition.field:
            root, rest = condition.field[0], list(condition.field[1:])
            parts = base[:2] if root == "task" else base
            if len(parts) >= 2:
                return self.layout.where([*parts, *rest])
        if len(base) >= 2:
            return self.layout.where(base)
        return "items"

    def waivers(self, finding: Finding) -> list[WaiverCheck]:
        checks = []
        for waiver in self.config.waivers:
            if waiver == finding.waiver:
                checks.append(WaiverCheck(waiver, True))
                continue
            reason = self.why_not(waiver, finding)
            if reason:
                checks.append(WaiverCheck(waiver, False, reason))
        return checks

    def why_not(self, waiver: Waiver, finding: Finding) -> str:
        """Why ``waiver`` did not apply, or '' for a waiver that does not concern the finding."""
        settings = self.config.settings
        addon = finding.task.addon if finding.task else ""
        risk = finding.risk.name if finding.risk else ""
        if waiver.policy != finding.policy:
            # a waiver for this add-on and risk that names another policy is a likely mistake
            if waiver.addon and waiver.addon == addon and waiver.risk in ("", risk):
                return f"it is for policy {waiver.policy}, and this finding is {finding.policy}"
            return ""
        if finding.enforcement is Enforcement.HARD:
            return "the policy is hard-mandatory: no waiver can let it pass"
        if _expired(waiver, settings.now):
            return f"it expired on {waiver.expires}"
        if waiver.cluster and waiver.cluster != settings.cluster:
            this = (
                f"this run is for {settings.cluster}"
                if settings.cluster
                else "this run names no cluster (--cluster-id)"
            )
            return f"it is for cluster {waiver.cluster}, and {this}"
        if waiver.addon and waiver.addon != addon:
            this = f"this finding is for {addon}" if addon else "this finding is for no add-on"
            return f"it is for add-on {waiver.addon}, and {this}"
        if waiver.risk and waiver.risk != risk:
            this = f"this finding is for risk {risk}" if risk else "this finding is for no risk"
            return f"it is for risk {waiver.risk}, and {this}"
        if finding.override is not None:
            return "not needed: the override of this run applied first"
        if finding.waiver is not None:
            return f"another waiver ({finding.waiver.where}) applied first"
        return "it matches, yet did not apply (a bug in gate: please report it)"


def _effect(finding: Finding) -> tuple[str, int]:
    blocked = EXIT_CODES[Verdict.BLOCKED]
    if finding.outcome is Outcome.BLOCKING:
        if finding.enforcement is Enforcement.ADVISORY:
            return "blocked the upgrade: advisory, and this run uses --fail-on advisory", blocked
        return "blocked the upgrade", blocked
    if finding.outcome is Outcome.WAIVED and finding.waiver is not None:
        return f"did not block: waived by {finding.waiver.where}", 0
    if finding.outcome is Outcome.OVERRIDDEN and finding.override is not None:
        who = finding.override.actor
        return (
            f"did not block: overridden by {who} (--override, reason: {finding.override.reason})",
            0,
        )
    return "did not block: advisory findings are reported only (--fail-on advisory blocks them)", 0


def _builtin_info(finding: Finding) -> PolicyInfo:
    return PolicyInfo(
        finding.policy,
        "A rule built into gate",
        "task",
        Enforcement.HARD,
        "built-in",
        f"{BUILTIN_FILE}builtin/{finding.policy}",
        0,
    )


def _builtin_evidence(finding: Finding) -> Any:
    if finding.task is None:
        return None
    if finding.policy == BUILTIN_FAILED_WITHOUT_RISKS:
        return finding.task.status
    return finding.task.target_version or None
