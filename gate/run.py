"""The one entry point the CLI calls: options in, Report out.

Loading order follows the exit-code precedence: :func:`configure` loads and checks every piece of
configuration (policies, waivers, parameters and their values, overrides, levels) into one
:class:`~gate.engine.Config` before the API is asked or the input is read; then the input is read
and judged with it. Every GateError or unexpected exception becomes a Report carrying the error,
so the reports the pipeline asked for are written even when no verdict could be reached.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import baseline as baseline_module
from gate.decision import Scope, explained
from gate.engine import Config, Settings, Trace, check_waivers, evaluate, make_config
from gate.errors import ConfigError, GateError
from gate.policy import load_policies
from gate.report import Enforcement, ErrorInfo, Override, Report, Verdict
from gate.schema import prepare
from gate.source import read_response
from gate.timeutil import Instant, parse_instant, utc_now
from gate.waivers import load_waivers
from gate.yamlfile import load_documents


@dataclass(frozen=True)
class CheckOptions:
    input: str | None = None
    policies: tuple[Path, ...] = ()
    waivers: Path | None = None
    params: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    reason: str | None = None
    enforcement: tuple[str, ...] = ()
    fail_on: str = "soft-mandatory"
    all_tasks: bool = False
    addons: tuple[str, ...] = ()
    task_type: str | None = None
    allow_empty: bool = False
    strict_schema: bool = False
    now: str | None = None
    cluster: str | None = None
    explain: Scope | None = None  # --explain: record why, for these findings
    baseline: Path | None = None  # --baseline: an earlier run's JSON report
    baseline_max_age: str = baseline_module.DEFAULT_MAX_AGE
    # repr=False: the environment holds credentials, and a repr ends up in tracebacks
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)


def check(options: CheckOptions) -> Report:
    """Judge a saved response; never raises."""
    source = "<stdin>" if options.input == "-" else (options.input or "")
    return guarded(lambda: _check(options), source)


def guarded(work: Callable[[], Report], source: str = "") -> Report:
    """Run ``work``; any error becomes a Report that carries it (fail closed, never raise)."""
    try:
        return work()
    except GateError as exc:
        return error_report(exc, source)
    except Exception as exc:  # a bug must still fail closed with a readable line
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return Report(
            verdict=Verdict.INTERNAL_ERROR,
            source=source,
            error=ErrorInfo(
                Verdict.INTERNAL_ERROR,
                f"internal error: {detail} (this is a bug in gate: please report it with the "
                "command line; rerun with GATE_DEBUG=1 for the traceback)",
                tuple(traceback.format_exc().splitlines()) if os.environ.get("GATE_DEBUG") else (),
            ),
        )


def error_report(exc: GateError, source: str = "") -> Report:
    verdict = Verdict(exc.verdict)
    return Report(
        verdict=verdict,
        source=source,
        error=ErrorInfo(verdict, exc.message, exc.details, exc.location),
    )


def _check(options: CheckOptions) -> Report:
    config = configure(options)
    if options.input is None:
        raise ConfigError("--input is required (the saved ListAddonPrecheckTasks response)")
    document = read_response(options.input)
    name = "<stdin>" if options.input == "-" else options.input
    return judge(document, name, options, config)


def judge(
    document: Any, name: str, options: CheckOptions, config: Config, trace: Trace | None = None
) -> Report:
    """Validate and normalise a response, then judge it with an already checked Config."""
    prepared = prepare(document, name, options.strict_schema)
    report = evaluate(
        prepared.tasks, prepared.layout, config, source=name, notes=prepared.notes, trace=trace
    )
    report = dataclasses.replace(report, generated_at=config.settings.now.isoformat())
    if config.baseline is not None:
        fail_on_new = config.settings.fail_on_new
        report = baseline_module.compare(
            report, config.baseline, fail_on_new, config.baseline_note, config.in_fleet
        )
    if options.explain is None:
        return report
    return explained(report, prepared.tasks, prepared.layout, config, options.explain)


def configure(
    options: CheckOptions,
    adjust: Callable[[Settings], Settings] | None = None,
    in_fleet: bool = False,
) -> Config:
    """Everything that does not depend on the response, loaded and checked: policies, waivers,
    settings, levels, overrides and parameter values.

    ``adjust`` changes the settings before they are checked (``gate precheck`` adds the target
    versions it was given as parameters).
    """
    policies = load_policies(options.policies)
    waivers = load_waivers(options.waivers) if options.waivers else []
    settings = Settings(
        now=_now(options.now),
        cluster=options.cluster or "",
        params=_pairs("--param", options.params),
        all_tasks=options.all_tasks,
        addons=frozenset(options.addons),
        task_type=options.task_type,
        allow_empty=options.allow_empty,
        fail_on_advisory=options.fail_on == "advisory",
        fail_on_new=options.fail_on == "new",
        overrides=_overrides(options),
        enforcement={
            key: (_level(key, value), "--enforcement")
            for key, value in _pairs("--enforcement", options.enforcement).items()
        },
    )
    config = make_config(policies, waivers, adjust(settings) if adjust else settings)
    return _with_baseline(dataclasses.replace(config, in_fleet=in_fleet), options)


def _with_baseline(config: Config, options: CheckOptions) -> Config:
    max_age = baseline_module.max_age_seconds(options.baseline_max_age)
    if options.baseline is None:
        if options.fail_on == "new":
            raise ConfigError("--fail-on new needs --baseline PREVIOUS.json to tell new from old")
        return config
    previous = baseline_module.read(options.baseline)
    if not config.in_fleet:  # another cluster: refused now, before the input is read
        baseline_module.for_cluster(previous, config.settings.cluster)
    note = baseline_module.age_note(previous, config.settings.now, max_age)
    return dataclasses.replace(config, baseline=previous, baseline_note=note)


def _now(text: str | None) -> Instant:
    if not text:
        return Instant.of(utc_now())
    moment = parse_instant(text)
    if moment is None:
        raise ConfigError(f"--now {text!r}: not an RFC 3339 time with an offset")
    return moment


def _pairs(flag: str, items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} {item!r}: expected KEY=VALUE")
        key = key.strip()
        if key in pairs:
            # the last one winning would let one flag silently undo another
            raise ConfigError(f"{flag} {key}: given twice")
        pairs[key] = value
    return pairs


def _level(policy: str, value: str) -> Enforcement:
    try:
        return Enforcement(value)
    except ValueError:
        levels = ", ".join(level.value for level in Enforcement)
        raise ConfigError(f"--enforcement {policy}={value}: the level is one of {levels}") from None


def _overrides(options: CheckOptions) -> tuple[Override, ...]:
    if not options.overrides:
        return ()
    reason = (options.reason or "").strip()
    if not reason:
        raise ConfigError("--override needs --reason TEXT saying why (it is recorded in reports)")
    actor, source = ci_identity(options.environ)
    return tuple(Override(policy, reason, actor, source) for policy in options.overrides)


def ci_identity(environ: Mapping[str, str]) -> tuple[str, str]:
    """Who is running this, and where that name came from."""
    for variable in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN"):
        if environ.get(variable):
            return environ[variable], variable
    try:
        return getpass.getuser(), "OS user"
    except (KeyError, OSError):
        return "unknown", "OS user"


def validate_config(
    policies: tuple[Path, ...], waiver_files: tuple[Path, ...], files: tuple[Path, ...]
) -> str:
    """Load policies and waivers as a run would (``gate validate``); raise ConfigError if bad.

    ``files`` are sorted by content: a top-level ``waivers`` key makes a waivers file.
    """
    policy_paths, waiver_paths = list(policies), list(waiver_files)
    # pre-commit passes the changed files on top of the hook's --policy folder: load each once
    covered = {p.resolve() for p in policy_paths + waiver_paths}
    for path in files:
        if path.resolve() in covered or path.resolve().parent in covered:
            continue
        documents = load_documents(path)
        is_waivers = any(isinstance(d.data, dict) and "waivers" in d.data for d in documents)
        (waiver_paths if is_waivers else policy_paths).append(path)
    loaded = load_policies(policy_paths)
    waivers = [w for path in waiver_paths for w in load_waivers(path)]
    check_waivers(waivers, {p.id: p.enforcement for p in loaded})
    where = "built-in policies" if not policy_paths else "policies"
    return f"{len(loaded)} {where}, {len(waivers)} waiver(s)"
