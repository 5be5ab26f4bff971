"""Evaluation: (prepared tasks, Config) -> Report. Pure: no I/O, no clock, no click.

:func:`make_config` checks everything that does not depend on the response (levels, overrides,
waivers, parameters) once, before any input is read, so a configuration error is reported as
such whatever is wrong with the input. :func:`evaluate` then decides which tasks are judged (by
default the newest per add-on and check type), finds what is still running, runs every policy
and the built-in rules, and turns each raw finding into an outcome through enforcement levels,
overrides, waivers and ``--fail-on``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.errors import ConfigError, InvalidInput
from gate.location import Location
from gate.operators import MISSING, coerce
from gate.policy import (
    BUILTIN_FAILED_WITHOUT_RISKS,
    BUILTIN_IDS,
    BUILTIN_PRECHECK_TARGET_VERSION,
    Condition,
    Context,
    Policy,
    getter,
)
from gate.report import (
    BUILTIN_FILE,
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
from gate.timeutil import CLOCK_SKEW_SECONDS, Instant, parse_expiry, parse_instant

if TYPE_CHECKING:
    from gate.baseline import Previous

__all__ = [
    "BUILTIN_FAILED_WITHOUT_RISKS",
    "BUILTIN_PRECHECK_TARGET_VERSION",
    "FINISHED",
    "Config",
    "Settings",
    "Trace",
    "check_waivers",
    "evaluate",
    "finished",
    "make_config",
    "select",
]

FINISHED = ("Failed", "Success")

Check = Callable[[Context], bool]


@dataclass(frozen=True)
class Settings:
    now: Instant
    params: dict[str, str] = field(default_factory=dict)
    all_tasks: bool = False
    addons: frozenset[str] = frozenset()
    task_type: str | None = None
    allow_empty: bool = False
    fail_on_advisory: bool = False
    fail_on_new: bool = False  # --fail-on new: persisting soft-mandatory findings do not block
    overrides: tuple[Override, ...] = ()
    # policy id -> (level, where it came from) for levels the pipeline changed
    enforcement: dict[str, tuple[Enforcement, str]] = field(default_factory=dict)
    cluster: str = ""  # --cluster-id: labels the report and selects cluster-bound waivers
    # gate precheck: add-on template -> the target version its check was started for
    expected_targets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Everything a run judges with, checked by :func:`make_config`; judge with it many times."""

    policies: tuple[Policy, ...]
    waivers: tuple[Waiver, ...]
    settings: Settings
    infos: tuple[PolicyInfo, ...]
    baseline: Previous | None = None  # --baseline, read and checked
    baseline_note: str = ""  # a warning about the baseline (its age), shown in every report
    in_fleet: bool = False  # judging one cluster of an inventory (gate.fleet)

    @property
    def levels(self) -> dict[str, Enforcement]:
        return {info.id: info.enforcement for info in self.infos}


def make_config(
    policies: Sequence[Policy], waivers: Sequence[Waiver], settings: Settings
) -> Config:
    """Check levels, overrides, waivers and parameters; raise ConfigError on the first problem."""
    infos = _policy_infos(policies, settings)
    check_waivers(waivers, {info.id: info.enforcement for info in infos})
    _check_params(policies, settings.params)
    return Config(tuple(policies), tuple(waivers), settings, infos)


def evaluate(
    tasks: list[dict[str, Any]],
    layout: Layout,
    config: Config,
    source: str = "",
    notes: Sequence[str] = (),
    trace: Trace | None = None,
) -> Report:
    """Judge the tasks; ``trace``, when given, records what the report does not say (gate test)."""
    settings, waivers = config.settings, config.waivers
    created = _creation_times(tasks, layout, settings.now)
    judged_idx, superseded_idx = select(tasks, settings, created)
    refs = _task_refs(tasks, layout, judged_idx, superseded_idx)
    judged = [(i, tasks[i], refs[i]) for i in judged_idx]

    raw = [item for rule in BUILTIN_RULES.values() for item in rule(judged, layout, settings)]
    raw.extend(_Evaluator(config.policies, judged, layout, settings, trace).run())
    findings, used = _outcomes(raw, config.levels, waivers, settings)

    pending = _pending(judged, layout)
    if not judged and not (settings.allow_empty and not tasks):
        pending.append(Pending(_nothing_to_judge(tasks, settings), "items"))
    expired = tuple(w for w in waivers if _expired(w, settings.now))
    report_findings = tuple(findings)
    return Report(
        verdict=decide(report_findings, tuple(pending)),
        source=source,
        policies=config.infos,
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


def select(
    tasks: list[dict[str, Any]], settings: Settings, created: Sequence[Instant] | None = None
) -> tuple[list[int], list[int]]:
    """(judged, superseded) task indices, each in document order; ``created`` are the tasks'
    creation times when the caller has them already.

    By default only the newest task of each add-on (:func:`addon_key`) is judged. Times are
    compared exactly (:class:`~gate.timeutil.Instant`); tasks created at the same instant
    cannot be ordered, so all of them are judged: choosing one could hide a worse one.
    """
    candidates = [
        i
        for i, task in enumerate(tasks)
        if (not settings.addons or task["metadata"]["addonTemplateName"] in settings.addons)
        and (settings.task_type is None or task["metadata"]["type"] == settings.task_type)
    ]
    if settings.all_tasks:
        return candidates, []
    if created is None:
        created = [_created(task) for task in tasks]
    newest: dict[tuple[str, ...], tuple[Instant, list[int]]] = {}
    for i in candidates:
        key = addon_key(tasks[i]["metadata"])
        best = newest.get(key)
        if best is None or created[i] > best[0]:
            newest[key] = (created[i], [i])
        elif created[i] == best[0]:
            best[1].append(i)
    keep = {i for _, indices in newest.values() for i in indices}
    return [i for i in candidates if i in keep], [i for i in candidates if i not in keep]


def addon_key(metadata: dict[str, Any]) -> tuple[str, ...]:
    """What makes two tasks checks of the same add-on: a newer one supersedes an older one.

    Everything that names the add-on is part of it, so an instance ID shared by two templates,
    or a task that names its instance and one that does not, never supersede each other.
    """
    return (
        metadata["addonTemplateName"],
        metadata.get("addonInstanceID") or "",
        metadata.get("addonInstanceName") or "",
        metadata["type"],
    )


def _created(task: dict[str, Any]) -> Instant:
    created = parse_instant(task["metadata"]["createTimeStamp"])
    assert created is not None, "prepare() refuses a time that does not parse"
    return created


def _creation_times(tasks: list[dict[str, Any]], layout: Layout, now: Instant) -> list[Instant]:
    """Each task's creation time. A check created after now cannot be judged as the newest:
    the clock or the data is wrong, so that is invalid input."""
    latest = now.plus(CLOCK_SKEW_SECONDS)
    times = [_created(task) for task in tasks]
    for i, created in enumerate(times):
        if created > latest:
            text = tasks[i]["metadata"]["createTimeStamp"]
            raise InvalidInput(
                f"{layout.task_path(i)}.metadata.createTimeStamp: {text!r} lies more than "
                f"{CLOCK_SKEW_SECONDS // 60} minutes after now ({now.isoformat()}); "
                "check the clock, or --now"
            )
    return times


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
            instance = metadata.get("addonInstanceName") or metadata.get("addonInstanceID")
            name = f"{metadata['addonTemplateName']}@{instance or '?'} ({metadata['type']})"
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
    """A condition that did not hold, before enforcement, overrides and waivers.

    ``policy`` is None for a built-in rule; ``builtin`` then names it.
    """

    policy: Policy | None
    message: str
    path: str
    task: TaskRef | None
    risk: RiskRef | None
    builtin: str = ""


Judged = list[tuple[int, dict[str, Any], TaskRef]]


def _failed_without_risks(judged: Judged, layout: Layout, settings: Settings) -> Iterator[_Raw]:
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
            BUILTIN_FAILED_WITHOUT_RISKS,
        )


def _target_version_findings(judged: Judged, layout: Layout, settings: Settings) -> Iterator[_Raw]:
    """A precheck task must be for the version asked for: a check of another says nothing."""
    for _, task, ref in judged:
        expected = settings.expected_targets.get(ref.addon)
        if expected is None:
            continue
        actual = (task.get("spec") or {}).get("addonTargetVersion")
        if actual == expected:
            continue
        shown = "reports no target version" if actual is None else f"is for {actual!r}"
        yield _Raw(
            None,
            f"{ref.name}: the check {shown}, not for {expected!r} as asked",
            ref.path + ".spec.addonTargetVersion",
            ref,
            None,
            BUILTIN_PRECHECK_TARGET_VERSION,
        )


def _target_version_info() -> PolicyInfo:
    return PolicyInfo(
        BUILTIN_PRECHECK_TARGET_VERSION,
        "The check was run for the target version asked for",
        "task",
        Enforcement.HARD,
        "built-in",
        f"{BUILTIN_FILE}builtin/{BUILTIN_PRECHECK_TARGET_VERSION}",
        0,
    )


# The built-in rules: hard-mandatory, not files, their IDs reserved (gate.policy.BUILTIN_IDS).
# A new one is a function of the judged tasks here (yielding _Raw with builtin=its ID), and its
# ID in BUILTIN_IDS; levels, waivers, overrides and reports then treat it like the others.
BuiltinRule = Callable[[Judged, Layout, Settings], Iterator[_Raw]]
BUILTIN_RULES: dict[str, BuiltinRule] = {
    BUILTIN_FAILED_WITHOUT_RISKS: _failed_without_risks,
    BUILTIN_PRECHECK_TARGET_VERSION: _target_version_findings,
}


class _Evaluator:
    """Runs compiled conditions over the judged tasks; one pass over the risks for all policies."""

    def __init__(
        self,
        policies: Sequence[Policy],
        judged: list[tuple[int, dict[str, Any], TaskRef]],
        layout: Layout,
        settings: Settings,
        trace: Trace | None = None,
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
        if trace is not None:  # wrapped only when asked: an untraced run pays nothing
            self.compiled = [trace.wrap(*entry) for entry in self.compiled]

    def run(self) -> Iterator[_Raw]:
        by_scope: dict[str, list[Any]] = {"risk": [], "task": [], "cluster": []}
        for entry in self.compiled:
            by_scope[entry[0].scope].append(entry)
        risk_rules, task_rules = by_scope["risk"], by_scope["task"]
        layout = self.layout
        for i, task, ref in self.judged:
            ctx: Context = {"task": task}
            for policy, match, asserts in task_rules:
                try:
                    if match(ctx):
                        for condition, check in asserts:
                            if not check(ctx):
                                yield self.raw(policy, condition, ctx, ref, None, ref.path, i)
                except _MissingParam as missing:
                    yield _Raw(policy, f"{ref.name}: {missing}", ref.path, ref, None)
            if not risk_rules:
                continue
            for j, risk in enumerate(_risks(task)):
                ctx = {"task": task, "risk": risk}
                for policy, match, asserts in risk_rules:
                    try:
                        if match(ctx):
                            for condition, check in asserts:
                                if not check(ctx):
                                    path = layout.risk_path(i, j)
                                    risk_ref = _risk_ref(risk, path)
                                    yield self.raw(policy, condition, ctx, ref, risk_ref, path)
                    except _MissingParam as missing:
                        path = layout.risk_path(i, j)
                        yield _Raw(
                            policy, f"{ref.name}: {missing}", path, ref, _risk_ref(risk, path)
                        )
        for policy, match, asserts in by_scope["cluster"]:
            ctx = {}
            try:
                if match(ctx):
                    for condition, check in asserts:
                        if not check(ctx):
                            yield self.raw(policy, condition, ctx, None, None, "items")
            except _MissingParam as missing:
                yield _Raw(policy, str(missing), "items", None, None)

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
            wanted = f"{value.param}.{addon} (or {value.param})" if addon else value.param
            raise _MissingParam(f"policy cannot be judged: no --param {wanted} is given")
        op = condition.op
        assert op is not None
        key = (op.name, raw)
        if key not in self._coerced:
            try:
                self._coerced[key] = coerce(op, raw)
            except ValueError as exc:
                raise ConfigError(f"--param {value.param}: {exc}") from None
        return self._coerced[key]

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


class Trace:
    """What a policy test needs beyond the report: how many subjects (risks, tasks, the cluster)
    each policy's ``match`` selected, and which ``assert`` conditions failed, by policy ID and
    index in ``spec.assert``. A pass is only a pass if the policy applied to something."""

    def __init__(self) -> None:
        self.matched: dict[str, int] = {}
        self.failed: set[tuple[str, int]] = set()

    def wrap(
        self, policy: Policy, match: Check, asserts: list[tuple[Condition, Check]]
    ) -> tuple[Policy, Check, list[tuple[Condition, Check]]]:
        self.matched.setdefault(policy.id, 0)

        def matched(ctx: Context) -> bool:
            hit = match(ctx)
            if hit:
                self.matched[policy.id] += 1
            return hit

        def recorded(index: int, check: Check) -> Check:
            def run(ctx: Context) -> bool:
                held = check(ctx)
                if not held:
                    self.failed.add((policy.id, index))
                return held

            return run

        return policy, matched, [(c, recorded(i, check)) for i, (c, check) in enumerate(asserts)]


class _MissingParam(Exception):
    """A per-add-on parameter was given for other add-ons only: a finding, not a crash.

    A parameter nobody gave at all is refused by make_config before the input is read.
    """


def _risk_ref(risk: dict[str, Any], path: str) -> RiskRef:
    return RiskRef(risk["riskName"], risk["level"], risk["status"], risk.get("message", ""), path)


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
    by_id = {p.id: p for p in policies}
    for policy_id, (level, _) in settings.enforcement.items():
        flag = f"--enforcement {policy_id}={level}"
        if policy_id in BUILTIN_IDS:
            raise ConfigError(f"{flag}: {policy_id} is a built-in hard-mandatory rule")
        if policy_id not in by_id:
            raise ConfigError(f"{flag}: no such policy ({_known(by_id)})")
        policy = by_id[policy_id]
        # a pipeline may tighten a hard rule's neighbours, never loosen the rule itself
        if policy.enforcement is Enforcement.HARD and level is not Enforcement.HARD:
            raise ConfigError(
                f"{flag}: {policy_id} is hard-mandatory ({policy.file}:{policy.line}) "
                "and cannot be lowered"
            )
    infos = []
    for p in policies:
        level, source = settings.enforcement.get(p.id, (p.enforcement, f"{p.file}:{p.line}"))
        infos.append(PolicyInfo(p.id, p.title, p.scope, level, source, p.file, p.line))
    if settings.expected_targets:
        infos.append(_target_version_info())
    levels = {**{info.id: info.enforcement for info in infos}, **_BUILTIN_LEVELS}
    for override in settings.overrides:
        if override.policy not in levels:
            raise ConfigError(f"--override {override.policy}: no such policy ({_known(by_id)})")
        if levels[override.policy] is Enforcement.HARD:
            raise ConfigError(
                f"--override {override.policy}: a hard-mandatory policy cannot be overridden"
            )
    return tuple(infos)


_BUILTIN_LEVELS = dict.fromkeys(BUILTIN_IDS, Enforcement.HARD)


def _known(ids: Iterable[str]) -> str:
    return "known: " + ", ".join(sorted(ids))


def _check_params(policies: Sequence[Policy], params: dict[str, str]) -> None:
    """Every parameter a policy reads is given (or has a default), and each value given fits.

    Checked before the input is read, so a bad value is an error even when nothing is judged.
    """
    for policy in policies:
        for condition in policy.param_conditions():
            name, op = condition.value.param, condition.op
            assert op is not None, "only operator values name a parameter"
            given = {k: v for k, v in params.items() if k == name or k.startswith(name + ".")}
            if not given and condition.value.default is MISSING:
                raise ConfigError(
                    f"{policy.file}:{policy.line}: policy {policy.id} needs --param {name}=...",
                    location=Location(policy.file, policy.line),
                )
            for key, raw in given.items():
                try:
                    coerce(op, raw)
                except ValueError as exc:
                    raise ConfigError(
                        f"--param {key}={raw}: {exc} (policy {policy.id}, "
                        f"{policy.file}:{condition.line})"
                    ) from None


def check_waivers(waivers: Sequence[Waiver], levels: dict[str, Enforcement]) -> None:
    """A hard-mandatory policy, the built-in rules included, cannot be waived."""
    levels = {**levels, **_BUILTIN_LEVELS}
    for waiver in waivers:
        if levels.get(waiver.policy) is Enforcement.HARD:
            raise ConfigError(
                f"{waiver.where}: policy {waiver.policy} is hard-mandatory and cannot be waived",
                location=Location(waiver.file, waiver.line),
            )


def _expired(waiver: Waiver, now: Instant) -> bool:
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
                    item.builtin,
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
