"""Evaluation: (tasks, policies, waivers, settings) -> Report. Pure: no I/O, no clock, no click.

The engine decides which tasks are judged (by default the newest per add-on instance and check
type), finds what is still running, runs every policy and turns each raw finding into an outcome
through enforcement levels, overrides, waivers and ``--fail-on``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gate.errors import ConfigError
from gate.operators import MISSING, coerce
from gate.policy import Condition, Context, Policy, getter
from gate.report import (
    Enforcement,
    Finding,
    Outcome,
    Override,
    Pending,
    PolicyInfo,
    Report,
    RiskRef,
    TaskRef,
    Waiver,
    decide,
)
from gate.schema import Layout
from gate.timeutil import parse_expiry, parse_timestamp

FINISHED = ("Failed", "Success")
BUILTIN_FAILED_WITHOUT_RISKS = "check-failed-without-risks"

Check = Callable[[Context], bool]


@dataclass(frozen=True)
class Settings:
    now: datetime
    params: dict[str, str] = field(default_factory=dict)
    all_tasks: bool = False
    addons: frozenset[str] = frozenset()
    task_type: str | None = None
    allow_empty: bool = False
    fail_on_advisory: bool = False
    overrides: tuple[Override, ...] = ()
    # policy id -> (level, where it came from) for levels the pipeline changed
    enforcement: dict[str, tuple[Enforcement, str]] = field(default_factory=dict)
    cluster: str = ""  # --cluster-id: labels the report and selects cluster-bound waivers


def evaluate(
    tasks: list[dict[str, Any]],
    layout: Layout,
    policies: Sequence[Policy],
    waivers: Sequence[Waiver],
    settings: Settings,
    source: str = "",
    notes: Sequence[str] = (),
) -> Report:
    infos = _policy_infos(policies, settings)
    levels = {info.id: info.enforcement for info in infos}
    check_waivers(waivers, levels)
    judged_idx, superseded_idx = select(tasks, settings)
    refs = _task_refs(tasks, layout, judged_idx, superseded_idx)
    judged = [(i, tasks[i], refs[i]) for i in judged_idx]

    raw: list[_Raw] = list(_builtin_findings(judged, layout))
    raw.extend(_Evaluator(policies, judged, layout, settings).run())
    findings, used = _outcomes(raw, levels, waivers, settings)

    pending = _pending(judged, layout)
    if not judged and not settings.allow_empty:
        pending.append(Pending(_nothing_to_judge(tasks, settings), "items"))
    expired = tuple(w for w in waivers if _expired(w, settings.now))
    report_findings = tuple(findings)
    return Report(
        verdict=decide(report_findings, tuple(pending)),
        source=source,
        policies=infos,
        judged=tuple(ref for _, _, ref in judged),
        superseded=tuple(refs[i] for i in superseded_idx),
        findings=report_findings,
        pending=tuple(pending),
        waivers_applied=tuple(w for w in waivers if id(w) in used),
        waivers_expired=expired,
        waivers_unused=tuple(w for w in waivers if id(w) not in used and w not in expired),
        overrides=settings.overrides,
        notes=tuple(notes),
        params=tuple(sorted(settings.params.items())),
        cluster=settings.cluster,
    )


# --- which tasks are judged -------------------------------------------------------------------


def select(tasks: list[dict[str, Any]], settings: Settings) -> tuple[list[int], list[int]]:
    """(judged, superseded) task indices, each in document order."""
    candidates = [
        i
        for i, task in enumerate(tasks)
        if (not settings.addons or task["metadata"]["addonTemplateName"] in settings.addons)
        and (settings.task_type is None or task["metadata"]["type"] == settings.task_type)
    ]
    if settings.all_tasks:
        return candidates, []
    newest: dict[tuple[str, str], tuple[datetime, int]] = {}
    for i in candidates:
        metadata = tasks[i]["metadata"]
        key = (
            metadata.get("addonInstanceID") or "template:" + metadata["addonTemplateName"],
            metadata["type"],
        )
        created = parse_timestamp(metadata["createTimeStamp"])
        assert created is not None, "prepare() refuses a time that does not parse"
        best = newest.get(key)
        if best is None or created >= best[0]:
            newest[key] = (created, i)
    keep = {i for _, i in newest.values()}
    return [i for i in candidates if i in keep], [i for i in candidates if i not in keep]


def _nothing_to_judge(tasks: list[dict[str, Any]], settings: Settings) -> str:
    if not tasks:
        return "nothing to judge: the response lists no check task"
    wanted = []
    if settings.addons:
        wanted.append("add-on " + "/".join(sorted(settings.addons)))
    if settings.task_type:
        wanted.append(f"type {settings.task_type}")
    return f"nothing to judge: no task matches {' and '.join(wanted)}"


def _task_refs(
    tasks: list[dict[str, Any]], layout: Layout, judged: list[int], superseded: list[int]
) -> dict[int, TaskRef]:
    """TaskRefs named ``<addon> (<type>)``: the same from run to run (no task IDs, no times).

    Judged names are unique (instance, then a counter, tell equal names apart); superseded tasks
    keep the plain name, since they are only listed.
    """
    plain = {
        i: f"{_meta(tasks, i)['addonTemplateName']} ({_meta(tasks, i)['type']})" for i in judged
    }
    instances: dict[str, set[str]] = {}
    for i in judged:
        instances.setdefault(plain[i], set()).add(_meta(tasks, i).get("addonInstanceID", ""))
    seen: dict[str, int] = {}
    refs = {}
    for i in judged:
        metadata = _meta(tasks, i)
        name = plain[i]
        if len(instances[name]) > 1:
            instance = metadata.get("addonInstanceName") or metadata.get("addonInstanceID", "")
            name = f"{metadata['addonTemplateName']}@{instance} ({metadata['type']})"
        seen[name] = seen.get(name, 0) + 1
        refs[i] = _task_ref(
            tasks[i], layout.task_path(i), name if seen[name] == 1 else f"{name} #{seen[name]}"
        )
    for i in superseded:
        metadata = _meta(tasks, i)
        refs[i] = _task_ref(
            tasks[i], layout.task_path(i), f"{metadata['addonTemplateName']} ({metadata['type']})"
        )
    return refs


def _meta(tasks: list[dict[str, Any]], index: int) -> dict[str, Any]:
    metadata: dict[str, Any] = tasks[index]["metadata"]
    return metadata


def _task_ref(task: dict[str, Any], path: str, name: str) -> TaskRef:
    metadata = task["metadata"]
    return TaskRef(
        path=path,
        name=name,
        addon=metadata["addonTemplateName"],
        instance=metadata.get("addonInstanceName") or metadata.get("addonInstanceID", ""),
        type=metadata["type"],
        task_id=metadata["taskID"],
        status=task["status"]["status"],
        created=metadata["createTimeStamp"],
        target_version=(task.get("spec") or {}).get("addonTargetVersion", ""),
    )


def _pending(judged: list[tuple[int, dict[str, Any], TaskRef]], layout: Layout) -> list[Pending]:
    pending = []
    for i, task, ref in judged:
        status = task["status"]["status"]
        if status not in FINISHED:
            pending.append(Pending(f"{ref.name}: the check is still {status}", ref.path, ref))
        for j, risk in enumerate(_risks(task)):
            if risk["status"] not in FINISHED:
                pending.append(
                    Pending(
                        f"{ref.name}: risk {risk['riskName']} is still {risk['status']}",
                        layout.risk_path(i, j),
                        ref,
                    )
                )
    return pending


def finished(task: dict[str, Any]) -> bool:
    """The task and every risk it lists have reached Failed or Success."""
    return task["status"]["status"] in FINISHED and all(
        risk["status"] in FINISHED for risk in _risks(task)
    )


def _risks(task: dict[str, Any]) -> list[dict[str, Any]]:
    return task["status"].get("riskList") or []


# --- policies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Raw:
    """A condition that did not hold, before enforcement, overrides and waivers."""

    policy: Policy | None
    message: str
    path: str
    task: TaskRef | None
    risk: RiskRef | None


def _builtin_findings(
    judged: list[tuple[int, dict[str, Any], TaskRef]], layout: Layout
) -> Iterator[_Raw]:
    """A Failed task must say why: a failed risk. Without one, nothing can vouch for the add-on."""
    for _, task, ref in judged:
        if task["status"]["status"] != "Failed":
            continue
        risks = _risks(task)
        if not risks:
            reason = "no risk is listed"
        elif not any(risk["status"] == "Failed" for risk in risks):
            reason = "no listed risk failed"
        else:
            continue
        yield _Raw(
            None,
            f"{ref.name}: the check failed and gave no reason ({reason})",
            ref.path + ".status",
            ref,
            None,
        )


class _Evaluator:
    """Runs compiled conditions over the judged tasks; one pass over the risks for all policies."""

    def __init__(
        self,
        policies: Sequence[Policy],
        judged: list[tuple[int, dict[str, Any], TaskRef]],
        layout: Layout,
        settings: Settings,
    ) -> None:
        self.judged = judged
        self.layout = layout
        self.settings = settings
        self._coerced: dict[tuple[str, str], Any] = {}
        self._checks: dict[int, Check] = {}
        self.compiled = [
            (p, self.compile_all(p.match), [(c, self.compile(c)) for c in p.assertions])
            for p in policies
        ]
        self._require_params(policies)

    def run(self) -> Iterator[_Raw]:
        by_scope: dict[str, list[Any]] = {"risk": [], "task": [], "cluster": []}
        for entry in self.compiled:
            by_scope[entry[0].scope].append(entry)
        risk_rules, task_rules = by_scope["risk"], by_scope["task"]
        layout = self.layout
        for i, task, ref in self.judged:
            ctx: Context = {"task": task}
            for policy, match, asserts in task_rules:
                if match(ctx):
                    for condition, check in asserts:
                        if not check(ctx):
                            yield self.raw(policy, condition, ctx, ref, None, ref.path, i)
            if not risk_rules:
                continue
            for j, risk in enumerate(_risks(task)):
                ctx = {"task": task, "risk": risk}
                for policy, match, asserts in risk_rules:
                    if match(ctx):
                        for condition, check in asserts:
                            if not check(ctx):
                                path = layout.risk_path(i, j)
                                risk_ref = RiskRef(
                                    risk["riskName"],
                                    risk["level"],
                                    risk["status"],
                                    risk.get("message", ""),
                                    path,
                                )
                                yield self.raw(policy, condition, ctx, ref, risk_ref, path)
        for policy, match, asserts in by_scope["cluster"]:
            ctx = {}
            if match(ctx):
                for condition, check in asserts:
                    if not check(ctx):
                        yield self.raw(policy, condition, ctx, None, None, "items")

    # compiling a condition into one closure keeps the per-risk cost to a call or two
    def compile(self, condition: Condition) -> Check:
        if condition.any:
            members = [self.compile(c) for c in condition.any]
            return lambda ctx: any(check(ctx) for check in members)
        op = condition.op
        assert op is not None
        now, test = self.settings.now, op.test
        actual = self.actual_getter(condition)
        if condition.value.param:
            return lambda ctx: test(actual(ctx), self.expected(condition, ctx), now)
        expected = condition.value.literal
        if len(condition.field) == 2 and op.name in _DIRECT:
            # task and risk are always objects (the schema says so): read the key in place
            root, key = condition.field
            return _DIRECT[op.name](root, key, expected)
        return lambda ctx: test(actual(ctx), expected, now)

    def compile_all(self, conditions: Sequence[Condition]) -> Check:
        checks = [self.compile(c) for c in conditions]
        if not checks:
            return lambda ctx: True
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda ctx: first(ctx) and second(ctx)
        return lambda ctx: all(check(ctx) for check in checks)

    def actual_getter(self, condition: Condition) -> Callable[[Context], Any]:
        if not condition.count:
            assert condition.get is not None
            return condition.get
        where = self.compile_all(condition.where)
        judged = self.judged
        if condition.count == "tasks":
            return lambda ctx: sum(1 for _, task, _ in judged if where({"task": task}))

        def count_risks(ctx: Context) -> int:
            tasks = [ctx["task"]] if "task" in ctx else [task for _, task, _ in judged]
            return sum(
                1 for task in tasks for risk in _risks(task) if where({"task": task, "risk": risk})
            )

        return count_risks

    def expected(self, condition: Condition, ctx: Context) -> Any:
        value = condition.value
        if not value.param:
            return value.literal
        addon = ctx["task"]["metadata"]["addonTemplateName"] if "task" in ctx else ""
        params = self.settings.params
        raw = params.get(f"{value.param}.{addon}", params.get(value.param, MISSING))
        if raw is MISSING:
            if value.default is not MISSING:
                return value.default
            raise ConfigError(
                f"line {condition.line}: --param {value.param} (or {value.param}.{addon}) "
                "is needed and was not given"
            )
        op = condition.op
        assert op is not None
        key = (op.name, raw)
        if key not in self._coerced:
            try:
                self._coerced[key] = coerce(op, raw)
            except ValueError as exc:
                raise ConfigError(f"--param {value.param}: {exc}") from None
        return self._coerced[key]

    def _require_params(self, policies: Sequence[Policy]) -> None:
        """Fail before judging when a parameter without default was never given at all."""
        given = {key.split(".")[0] for key in self.settings.params}
        for policy in policies:
            for name, has_default in policy.params():
                if not has_default and name not in given:
                    raise ConfigError(
                        f"{policy.file}:{policy.line}: policy {policy.id} needs --param {name}=..."
                    )

    def raw(
        self,
        policy: Policy,
        condition: Condition,
        ctx: Context,
        task: TaskRef | None,
        risk: RiskRef | None,
        path: str,
        index: int = 0,
    ) -> _Raw:
        template = condition.message or policy.message
        actual = self.actual_getter(condition)(ctx) if condition.op else MISSING
        expected = self.expected(condition, ctx) if condition.op else MISSING
        if condition.field and task is not None and risk is None:
            path = self.layout.where(["items", index, *condition.field[1:]])
        elif condition.count == "risks" and task is not None and risk is None:
            path = task.path + ".status.riskList"

        def variable(name: str) -> Any:
            return _variable(name, ctx, policy, actual, expected, self.settings.params)

        if template is not None:
            message = template.render(variable)
        else:
            shown = "absent" if actual is MISSING else repr(actual)
            message = f"{condition.text} does not hold ({shown})"
        if task is not None and template is None:
            message = f"{task.name}: {message}"
        return _Raw(policy, message, path, task, risk)


_DIRECT: dict[str, Callable[[str, str, Any], Check]] = {
    "equals": lambda root, key, value: lambda ctx: ctx[root].get(key, MISSING) == value,
    "notEquals": lambda root, key, value: lambda ctx: ctx[root].get(key, MISSING) != value,
    "in": lambda root, key, value: lambda ctx: ctx[root].get(key, MISSING) in value,
    "notIn": lambda root, key, value: lambda ctx: ctx[root].get(key, MISSING) not in value,
}

_SHORT_NAMES = {
    "addon": ("task", "metadata", "addonTemplateName"),
    "instance": ("task", "metadata", "addonInstanceName"),
    "type": ("task", "metadata", "type"),
    "target": ("task", "spec", "addonTargetVersion"),
}


def _variable(
    name: str, ctx: Context, policy: Policy, actual: Any, expected: Any, params: dict[str, str]
) -> Any:
    if name in _SHORT_NAMES:
        return getter(_SHORT_NAMES[name])(ctx)
    if name in ("actual", "count"):
        return _plain(actual)
    if name == "expected":
        return _plain(getattr(expected, "pattern", expected))
    if name == "policy":
        return policy.id
    if name.startswith("param."):
        return params.get(name.removeprefix("param."), MISSING)
    return getter(tuple(name.split(".")))(ctx)


def _plain(value: Any) -> Any:
    """12.0 reads as 12 in a message."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- outcomes ---------------------------------------------------------------------------------


def _policy_infos(policies: Sequence[Policy], settings: Settings) -> tuple[PolicyInfo, ...]:
    ids = {p.id for p in policies}
    for policy_id in settings.enforcement:
        if policy_id not in ids:
            raise ConfigError(f"--enforcement {policy_id}: no such policy ({_known(ids)})")
    infos = []
    for p in policies:
        level, source = settings.enforcement.get(p.id, (p.enforcement, f"{p.file}:{p.line}"))
        infos.append(PolicyInfo(p.id, p.title, p.scope, level, source, p.file, p.line))
    levels = {info.id: info.enforcement for info in infos}
    for override in settings.overrides:
        if override.policy not in levels:
            raise ConfigError(f"--override {override.policy}: no such policy ({_known(ids)})")
        if levels[override.policy] is Enforcement.HARD:
            raise ConfigError(
                f"--override {override.policy}: a hard-mandatory policy cannot be overridden"
            )
    return tuple(infos)


def _known(ids: set[str]) -> str:
    return "known: " + ", ".join(sorted(ids))


def check_waivers(waivers: Sequence[Waiver], levels: dict[str, Enforcement]) -> None:
    """A hard-mandatory policy, the built-in check included, cannot be waived."""
    levels = {**levels, BUILTIN_FAILED_WITHOUT_RISKS: Enforcement.HARD}
    for waiver in waivers:
        if levels.get(waiver.policy) is Enforcement.HARD:
            raise ConfigError(
                f"{waiver.where}: policy {waiver.policy} is hard-mandatory and cannot be waived"
            )


def _expired(waiver: Waiver, now: datetime) -> bool:
    moment = parse_expiry(waiver.expires)
    return moment is None or moment <= now


def _outcomes(
    raw: list[_Raw],
    levels: dict[str, Enforcement],
    waivers: Sequence[Waiver],
    settings: Settings,
) -> tuple[list[Finding], set[int]]:
    overrides = {o.policy: o for o in settings.overrides}
    live = [
        w for w in waivers if not _expired(w, settings.now) and w.cluster in ("", settings.cluster)
    ]
    used: set[int] = set()
    findings = []
    for item in raw:
        if item.policy is None:
            findings.append(
                Finding(
                    BUILTIN_FAILED_WITHOUT_RISKS,
                    Enforcement.HARD,
                    Outcome.BLOCKING,
                    item.message,
                    item.path,
                    item.task,
                )
            )
            continue
        level = levels[item.policy.id]
        outcome, waiver, override = Outcome.BLOCKING, None, None
        if level is not Enforcement.HARD:
            override = overrides.get(item.policy.id)
            waiver = None if override else _matching_waiver(live, item)
            if override:
                outcome = Outcome.OVERRIDDEN
            elif waiver:
                outcome = Outcome.WAIVED
                used.add(id(waiver))
            elif level is Enforcement.ADVISORY and not settings.fail_on_advisory:
                outcome = Outcome.ADVISORY
        findings.append(
            Finding(
                policy=item.policy.id,
                enforcement=level,
                outcome=outcome,
                message=item.message,
                path=item.path,
                task=item.task,
                risk=item.risk,
                remediation=item.policy.remediation,
                waiver=waiver,
                override=override,
            )
        )
    return findings, used


def _matching_waiver(waivers: list[Waiver], item: _Raw) -> Waiver | None:
    assert item.policy is not None
    for waiver in waivers:
        if waiver.policy != item.policy.id:
            continue
        if waiver.addon and (item.task is None or item.task.addon != waiver.addon):
            continue
        if waiver.risk and (item.risk is None or item.risk.name != waiver.risk):
            continue
        return waiver
    return None
