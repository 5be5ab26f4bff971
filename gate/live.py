"""Live mode: fetch the check results from the CCE API, start checks, wait, then judge.

This module decides *what* to ask and *when*: credentials, endpoint, polling and the precheck
flow. How to ask (HTTP, retries, error bodies) is :mod:`gate.api.client`'s business. Judging is
exactly the offline path (:func:`gate.run.judge`), so a live run and a run over the saved
response (``--save-response`` then ``--input``) reach the same verdict.

Secrets are held in :class:`Credentials` fields that ``repr`` leaves out, and every message,
note and error detail that leaves this module is scrubbed of their values.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gate.api.auth import AkSkAuth, TokenAuth
from gate.api.client import Answer, CceClient, Retry, redact, tls_context
from gate.engine import Config, Settings, finished, select
from gate.errors import ConfigError, InvalidInput
from gate.files import atomic_write
from gate.report import ErrorInfo, Pending, Report, decide
from gate.run import CheckOptions, configure, guarded, judge
from gate.schema import prepare
from gate.timeutil import parse_timestamp

__all__ = [
    "AKSK_VARIABLES",
    "TOKEN_VARIABLE",
    "Credentials",
    "LiveOptions",
    "Pacing",
    "check",
    "endpoint_for_region",
    "precheck",
    "resolve_credentials",
]

TOKEN_VARIABLE = "HW_AUTH_TOKEN"
# (AK, SK, security token) in the order they are tried: the official doc samples, the official
# Python SDK, the Terraform provider. The doc samples name no security-token variable;
# CLOUD_SDK_SECURITY_TOKEN follows their pattern.
AKSK_VARIABLES = (
    ("CLOUD_SDK_AK", "CLOUD_SDK_SK", "CLOUD_SDK_SECURITY_TOKEN"),
    ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
    ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN"),
)
PROJECT_VARIABLES = ("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID")
REGION_VARIABLE = "HW_REGION_NAME"
DOMAIN_VARIABLE = "HW_CLOUD"
UPGRADE = "addonUpgrade"

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DOMAIN = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}")
# Project and cluster IDs go into the URL path: nothing that could change the path's meaning.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# A safety net behind the deadline, in case an injected clock never moves.
_MAX_POLLS = 10_000
_STATE_ORDER = ("not listed yet", "Init", "Running", "Failed", "Success")


def _silent(line: str) -> None:
    return None


@dataclass(frozen=True)
class Pacing:
    """Poll intervals, retry delays and HTTP timeouts, in seconds."""

    poll_interval: float = 2.0
    poll_factor: float = 1.5
    poll_max: float = 15.0
    # the client's own defaults, so the two never drift apart
    retry_delay: float = Retry.first_delay
    retry_max: float = Retry.max_delay
    retry_budget: float = Retry.budget
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Pacing:
        """Defaults, scaled by ``GATE_POLL_INTERVAL``, ``GATE_RETRY_DELAY``, ``GATE_HTTP_TIMEOUT``.

        Each sets the first value of its series; the ceilings keep their ratio to it (15 s for a
        2 s first poll interval, 8 s for a 0.5 s first retry delay), so one variable makes a test
        or a slow pipeline consistently faster or slower.
        """
        poll = _seconds(environ, "GATE_POLL_INTERVAL", cls.poll_interval)
        retry = _seconds(environ, "GATE_RETRY_DELAY", cls.retry_delay)
        read = _seconds(environ, "GATE_HTTP_TIMEOUT", cls.read_timeout)
        return cls(
            poll_interval=poll,
            poll_max=poll * cls.poll_max / cls.poll_interval,
            retry_delay=retry,
            retry_max=retry * cls.retry_max / cls.retry_delay,
            connect_timeout=min(cls.connect_timeout, read),
            read_timeout=read,
        )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={text!r}: expected a positive number of seconds")
    return value


@dataclass(frozen=True)
class LiveOptions:
    endpoint: str | None = None
    region: str | None = None
    project_id: str | None = None
    cluster_id: str | None = None
    token_env: str | None = None
    ca_bundle: Path | None = None
    timeout: float = 900
    save_response: Path | None = None
    task_id: str | None = None
    addon_instance_id: str | None = None
    wait: bool = False
    progress: Callable[[str], None] = _silent
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    # None: Pacing.from_environ(environ)
    pacing: Pacing | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Where the credentials came from (safe to show) and their values (never shown)."""

    description: str
    token: str | None = field(default=None, repr=False)
    ak: str | None = field(default=None, repr=False)
    sk: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        values = (self.token, self.ak, self.sk, self.security_token)
        return tuple(v for v in values if v)

    def auth(self, project_id: str) -> AkSkAuth | TokenAuth:
        """The request signer; a malformed value is a configuration error (not shown)."""
        try:
            if self.token is not None:
                return TokenAuth(self.token)
            assert self.ak is not None and self.sk is not None
            return AkSkAuth(
                self.ak, self.sk, security_token=self.security_token, project_id=project_id
            )
        except ValueError as exc:
            raise ConfigError(f"credentials ({self.description}): {exc}") from None


def resolve_credentials(environ: Mapping[str, str], token_env: str | None = None) -> Credentials:
    """``--token-env NAME``, else ``HW_AUTH_TOKEN``, else the first AK/SK pair that is set."""
    if token_env is not None:
        if not _VARIABLE_NAME.fullmatch(token_env):
            # Someone may have pasted the token itself: never echo what was given.
            raise ConfigError(
                "--token-env expects the NAME of an environment variable holding the token "
                "(the value given is not a variable name and is not shown)"
            )
        token = environ.get(token_env, "")
        if not token:
            raise ConfigError(f"--token-env {token_env}: the variable {token_env} is not set")
        return Credentials(f"IAM token from {token_env}", token=token)
    set_pairs = [
        names for names in AKSK_VARIABLES if environ.get(names[0]) or environ.get(names[1])
    ]
    if environ.get(TOKEN_VARIABLE):
        unused = [name for names in set_pairs for name in names[:2] if environ.get(name)]
        also = f" (also set, not used: {', '.join(unused)})" if unused else ""
        return Credentials(f"IAM token from {TOKEN_VARIABLE}{also}", token=environ[TOKEN_VARIABLE])
    if not set_pairs:
        pairs = ", ".join(f"{ak}/{sk}" for ak, sk, _ in AKSK_VARIABLES)
        raise ConfigError(
            f"no credentials: set {TOKEN_VARIABLE} (or name another variable with --token-env), "
            f"or an AK/SK pair: {pairs}"
        )
    ak_name, sk_name, token_name = set_pairs[0]
    ak, sk = environ.get(ak_name, ""), environ.get(sk_name, "")
    if not ak or not sk:
        given, missing = (ak_name, sk_name) if ak else (sk_name, ak_name)
        raise ConfigError(f"{given} is set but {missing} is not: an AK/SK pair needs both")
    security_token = environ.get(token_name) or None
    description = f"AK/SK from {ak_name}/{sk_name}"
    description += (
        f", security token from {token_name}" if security_token else " (no security token)"
    )
    unused = [name for names in set_pairs[1:] for name in names[:2] if environ.get(name)]
    if unused:
        description += f" (also set, not used: {', '.join(unused)})"
    return Credentials(description, ak=ak, sk=sk, security_token=security_token)


# --- where the API is --------------------------------------------------------------------------


def endpoint_for_region(region: str, domain: str | None = None) -> str:
    """``https://cce.{region}.myhuaweicloud.com``; ``eu-west-101`` is on ``myhuaweicloud.eu``."""
    if not _REGION.fullmatch(region):
        raise ConfigError(f"--region {region!r}: not a region name such as ap-southeast-1")
    if domain:
        if not _DOMAIN.fullmatch(domain):
            raise ConfigError(
                f"{DOMAIN_VARIABLE}={domain!r}: not a domain such as myhuaweicloud.com"
            )
    else:
        domain = "myhuaweicloud.eu" if region == "eu-west-101" else "myhuaweicloud.com"
    return f"https://cce.{region}.{domain}"


def _endpoint(live: LiveOptions, notes: list[str]) -> str:
    if live.endpoint:
        return _checked_endpoint(live.endpoint, notes)
    region = live.region or live.environ.get(REGION_VARIABLE)
    if not region:
        raise ConfigError(
            f"where is the API? give --region (or {REGION_VARIABLE}) or --endpoint URL"
        )
    return endpoint_for_region(region, live.environ.get(DOMAIN_VARIABLE) or None)


def _checked_endpoint(text: str, notes: list[str]) -> str:
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"--endpoint {text!r}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--endpoint {text!r}: expected http(s)://HOST[:PORT][/PATH]")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("--endpoint must not carry a user name or password (not shown)")
    if parts.query or parts.fragment:
        raise ConfigError(f"--endpoint {text!r}: no query or fragment, please")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        notes.append("warning: plain HTTP endpoint: credentials and results travel unencrypted")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _identifier(value: str | None, flag: str, variables: Sequence[str]) -> str:
    if not value:
        where = f" (or {'/'.join(variables)})" if variables else ""
        raise ConfigError(f"{flag} is required in live mode{where}")
    if not _ID.fullmatch(value):
        raise ConfigError(f"{flag} {value!r}: expected letters, digits, '.', '_' or '-'")
    return value


# --- one run -----------------------------------------------------------------------------------


@dataclass
class _Trail:
    """What a run has learnt so far, so that even an error report says where and with what."""

    source: str = ""
    notes: list[str] = field(default_factory=list)
    secrets: tuple[str, ...] = ()

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)

    def finish(self, report: Report) -> Report:
        notes = tuple(self.scrub(n) for n in (*self.notes, *report.notes))
        error = report.error
        if error is not None:
            # The text account shows only the error: put what was used where it is seen.
            details = (*error.details, *self.notes)
            error = ErrorInfo(
                error.verdict, self.scrub(error.message), tuple(self.scrub(d) for d in details)
            )
        return replace(report, source=report.source or self.source, notes=notes, error=error)


def check(options: CheckOptions, live: LiveOptions) -> Report:
    """Fetch ListAddonPrecheckTasks (polling with ``--wait``) and judge it; never raises."""
    trail = _Trail()
    return trail.finish(guarded(lambda: _check(options, live, trail)))


def precheck(options: CheckOptions, live: LiveOptions, targets: tuple[str, ...]) -> Report:
    """Start upgrade checks for ``NAME=VERSION`` targets, wait for them, judge them."""
    trail = _Trail()
    return trail.finish(guarded(lambda: _precheck(options, live, targets, trail)))


def _connect(live: LiveOptions, trail: _Trail) -> tuple[CceClient, Pacing]:
    """Everything from the flags and the environment, before any request is made."""
    pacing = live.pacing or Pacing.from_environ(live.environ)
    endpoint = _endpoint(live, trail.notes)
    project_id = _identifier(
        live.project_id or _first_set(live.environ, PROJECT_VARIABLES),
        "--project-id",
        PROJECT_VARIABLES,
    )
    cluster_id = _identifier(live.cluster_id, "--cluster-id", ("GATE_CLUSTER_ID",))
    trail.source = f"{endpoint} cluster {cluster_id}"
    credentials = resolve_credentials(live.environ, live.token_env)
    trail.secrets = credentials.secrets
    trail.notes.insert(0, f"credentials: {credentials.description}")
    client = CceClient(
        endpoint,
        project_id=project_id,
        cluster_id=cluster_id,
        auth=credentials.auth(project_id),
        verify=tls_context(live.ca_bundle),
        read_timeout=pacing.read_timeout,
        connect_timeout=pacing.connect_timeout,
        retry=Retry(
            first_delay=pacing.retry_delay,
            max_delay=pacing.retry_max,
            budget=pacing.retry_budget,
        ),
        secrets=credentials.secrets,
        sleep=live.sleep,
        clock=live.clock,
        on_retry=live.progress,
    )
    return client, pacing


def _first_set(environ: Mapping[str, str], names: Sequence[str]) -> str | None:
    return next((environ[name] for name in names if environ.get(name)), None)


# --- check ---------------------------------------------------------------------------------------


def _check(options: CheckOptions, live: LiveOptions, trail: _Trail) -> Report:
    config = configure(options)
    client, pacing = _connect(live, trail)
    with client:

        def fetch() -> Answer:
            answer = client.list_tasks(
                task_type=options.task_type,
                task_id=live.task_id,
                addon_instance_id=live.addon_instance_id,
            )
            _save(live.save_response, answer, trail)
            return answer

        def look(answer: Answer) -> _Look:
            prepared = prepare(answer.data, trail.source, options.strict_schema)
            judged, _ = select(prepared.tasks, config.settings)
            return _Look.of([prepared.tasks[i] for i in judged])

        answer = _poll(fetch, look, live, pacing, trail) if live.wait else fetch()
    return judge(_document(answer), trail.source, options, config)


# --- precheck ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """One add-on instance a check is started for."""

    name: str
    version: str
    uid: str
    installed: str


def _precheck(
    options: CheckOptions, live: LiveOptions, targets: tuple[str, ...], trail: _Trail
) -> Report:
    wanted = _parse_targets(targets)
    if options.task_type not in (None, UPGRADE):
        raise ConfigError(f"--type {options.task_type}: precheck starts {UPGRADE} checks only")
    config = configure(options, lambda settings: _with_target_params(settings, wanted))
    client, pacing = _connect(live, trail)
    with client:
        chosen = _choose_instances(client.list_addons(), wanted, client.cluster_id, trail)
        before = _task_ids(client.list_tasks(task_type=UPGRADE), trail, options)
        created = client.create_checks(
            [
                {
                    "addonTemplateName": t.name,
                    "addonInstanceID": t.uid,
                    "targetVersion": t.version,
                    "type": UPGRADE,
                }
                for t in chosen
            ]
        )
        ids = _ids_from_create(created.data, chosen)
        if len(ids) < len(chosen):
            trail.notes.append(
                "the create response carries no task ID for "
                + ", ".join(t.name for t in chosen if t.uid not in ids)
                + ": taking the newest new addonUpgrade task of each such instance"
            )
        live.progress(_started_line(chosen, ids))
        tracker = _Tracker(chosen, ids, before, trail)

        def fetch() -> Answer:
            answer = client.list_tasks(task_type=UPGRADE)
            _save(live.save_response, answer, trail)
            return answer

        def look(answer: Answer) -> _Look:
            prepared = prepare(answer.data, trail.source, options.strict_schema)
            return tracker.look(prepared.tasks)

        answer = _poll(fetch, look, live, pacing, trail)
    return _judge_created(answer, tracker, options, config, trail)


def _parse_targets(targets: Sequence[str]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for item in targets:
        name, sep, version = (part.strip() for part in item.partition("="))
        if not sep or not name or not version:
            raise ConfigError(f"--addon {item!r}: expected NAME=VERSION, e.g. coredns=1.30.33")
        if name in wanted:
            raise ConfigError(f"--addon {name} is given more than once")
        wanted[name] = version
    if not wanted:
        raise ConfigError("--addon NAME=VERSION is required (repeatable)")
    return wanted


def _with_target_params(settings: Settings, wanted: Mapping[str, str]) -> Settings:
    """``target_version.<addon>`` for each target, unless the pipeline gave its own."""
    params = dict(settings.params)
    if "target_version" not in params:
        for name, version in wanted.items():
            params.setdefault(f"target_version.{name}", version)
    return replace(settings, params=params)


def _choose_instances(
    answer: Answer, wanted: Mapping[str, str], cluster_id: str, trail: _Trail
) -> list[_Target]:
    installed = _installed(answer.data)
    unknown = [name for name in wanted if name not in {i[0] for i in installed}]
    if unknown:
        listed = ", ".join(f"{name} {version}" for name, _, version, _ in sorted(installed))
        raise ConfigError(
            f"--addon {', '.join(unknown)}: not installed in cluster {cluster_id}; "
            f"installed add-ons: {listed or 'none'}"
        )
    chosen = []
    for name, uid, version, state in installed:
        if name not in wanted:
            continue
        chosen.append(_Target(name, wanted[name], uid, version))
        if version == wanted[name]:
            trail.notes.append(f"{name} is already at version {version}")
        if state and state != "running":
            trail.notes.append(f"{name} instance {uid} is {state}")
    return sorted(chosen, key=lambda t: (list(wanted).index(t.name), t.uid))


def _installed(data: Any) -> list[tuple[str, str, str, str]]:
    """(template name, instance UID, version, state) of each add-on instance listed."""
    where = "GET /api/v3/addons"
    items = data.get("items") if isinstance(data, dict) else None
    if items is None:
        items = []
    if not isinstance(items, list):
        raise InvalidInput(f"{where}: items is not a list")
    found = []
    for index, item in enumerate(items):
        metadata = item.get("metadata") if isinstance(item, dict) else None
        spec = item.get("spec") if isinstance(item, dict) else None
        status = item.get("status") if isinstance(item, dict) else None
        uid = metadata.get("uid") if isinstance(metadata, dict) else None
        name = spec.get("addonTemplateName") if isinstance(spec, dict) else None
        if not isinstance(uid, str) or not uid or not isinstance(name, str) or not name:
            raise InvalidInput(
                f"{where}: items[{index}] lacks metadata.uid or spec.addonTemplateName"
            )
        version = spec.get("version") if isinstance(spec, dict) else None
        state = status.get("status") if isinstance(status, dict) else None
        found.append((name, uid, str(version or "?"), str(state or "")))
    return found


def _task_ids(answer: Answer, trail: _Trail, options: CheckOptions) -> set[str]:
    prepared = prepare(answer.data, trail.source, options.strict_schema)
    return {task["metadata"]["taskID"] for task in prepared.tasks}


def _ids_from_create(data: Any, chosen: Sequence[_Target]) -> dict[str, str]:
    """Instance UID -> new task ID, from ``status.items[].metadata`` when the answer has them."""
    status = data.get("status") if isinstance(data, dict) else None
    items = status.get("items") if isinstance(status, dict) else None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return {}
    uids = {t.uid for t in chosen}
    names = Counter(t.name for t in chosen)
    by_name = {t.name: t.uid for t in chosen if names[t.name] == 1}
    ids: dict[str, str] = {}
    for item in items:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict):
            continue
        task_id = metadata.get("taskID")
        if not isinstance(task_id, str) or not task_id:
            continue
        uid = metadata.get("addonInstanceID")
        if uid not in uids:
            uid = by_name.get(str(metadata.get("addonTemplateName")))
        if uid is None and len(chosen) == 1 and len(items) == 1:
            uid = chosen[0].uid
        if uid is not None and uid not in ids:
            ids[uid] = task_id
    return ids


def _started_line(chosen: Sequence[_Target], ids: Mapping[str, str]) -> str:
    parts = [
        f"{t.name} {t.installed} -> {t.version} (task {ids.get(t.uid, 'ID not returned')})"
        for t in chosen
    ]
    return f"started {len(chosen)} check(s): " + ", ".join(parts)


class _Tracker:
    """Finds the created tasks in each listing; remembers the ones found by the fallback."""

    def __init__(
        self,
        chosen: Sequence[_Target],
        ids: Mapping[str, str],
        before: set[str],
        trail: _Trail,
    ) -> None:
        self.chosen = list(chosen)
        self.ids = dict(ids)
        self.before = before
        self.trail = trail
        self.found: dict[str, dict[str, Any]] = {}

    def look(self, tasks: list[dict[str, Any]]) -> _Look:
        by_id = {task["metadata"]["taskID"]: task for task in tasks}
        self.found = {}
        for target in self.chosen:
            if target.uid not in self.ids:
                newest = self._newest_new(target, tasks)
                if newest is None:
                    continue
                self.ids[target.uid] = newest
                self.trail.notes.append(f"{target.name}: new task {newest} found by listing")
            task = by_id.get(self.ids[target.uid])
            if task is not None:
                self.found[target.uid] = task
        missing = len(self.chosen) - len(self.found)
        return _Look.of(list(self.found.values()), missing)

    def _newest_new(self, target: _Target, tasks: list[dict[str, Any]]) -> str | None:
        best: tuple[float, str] | None = None
        for task in tasks:
            metadata = task["metadata"]
            instance = metadata.get("addonInstanceID")
            mine = instance == target.uid or (
                not instance and metadata["addonTemplateName"] == target.name
            )
            if not mine or metadata["type"] != UPGRADE or metadata["taskID"] in self.before:
                continue
            moment = parse_timestamp(metadata["createTimeStamp"])
            key = (moment.timestamp() if moment else -math.inf, metadata["taskID"])
            if best is None or key > best:
                best = key
        return None if best is None else best[1]

    def missing(self) -> list[Pending]:
        pending = []
        for target in self.chosen:
            if target.uid in self.found:
                continue
            task_id = self.ids.get(target.uid)
            what = f"task {task_id}" if task_id else "its task"
            pending.append(
                Pending(
                    f"{target.name}: the check started for {target.version} ({what}) "
                    "is not listed by the API",
                    "items",
                )
            )
        return pending


def _judge_created(
    answer: Answer,
    tracker: _Tracker,
    options: CheckOptions,
    config: Config,
    trail: _Trail,
) -> Report:
    """Judge exactly the created tasks; any not listed keeps the verdict from passing."""
    prepared = prepare(_document(answer), trail.source, options.strict_schema)
    tracker.look(prepared.tasks)
    items = [tracker.found[t.uid] for t in tracker.chosen if t.uid in tracker.found]
    document = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "pageInfo": {"currentCount": len(items)},
        "items": items,
    }
    created = ", ".join(f"{t.name} {tracker.ids.get(t.uid, '?')}" for t in tracker.chosen)
    trail.notes.append(f"judged the checks started by this run: {created}")
    report = judge(document, trail.source, options, config)
    missing = tuple(tracker.missing())
    if not missing:
        return replace(report, notes=(*prepared.notes, *report.notes))
    pending = (*report.pending, *missing)
    return replace(
        report,
        pending=pending,
        verdict=decide(report.findings, pending),
        notes=(*prepared.notes, *report.notes),
    )


# --- waiting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """What one listing says about the checks being waited for."""

    states: Counter[str]
    done: bool

    @classmethod
    def of(cls, tasks: Sequence[dict[str, Any]], missing: int = 0) -> _Look:
        states: Counter[str] = Counter(task["status"]["status"] for task in tasks)
        if missing:
            states["not listed yet"] = missing
        done = not missing and all(finished(task) for task in tasks)
        return cls(states, done)

    @property
    def total(self) -> int:
        return sum(self.states.values())

    def counts(self) -> str:
        order = {state: i for i, state in enumerate(_STATE_ORDER)}
        ranked = sorted(self.states.items(), key=lambda kv: (order.get(kv[0], -1), kv[0]))
        return ", ".join(f"{count} {state}" for state, count in ranked)


def _poll(
    fetch: Callable[[], Answer],
    look: Callable[[Answer], _Look],
    live: LiveOptions,
    pacing: Pacing,
    trail: _Trail,
) -> Answer:
    """Fetch until every awaited check has finished or ``--timeout`` is reached."""
    started = live.clock()
    deadline = started + live.timeout
    interval = pacing.poll_interval
    for _ in range(_MAX_POLLS):
        answer = fetch()
        seen = look(answer)
        elapsed = live.clock() - started
        if seen.done:
            if seen.total:
                live.progress(f"{_checks(seen.total)} finished: {seen.counts()} ({elapsed:.0f} s)")
            return answer
        if live.clock() >= deadline:
            break
        live.progress(
            f"waiting for {_checks(seen.total)}: {seen.counts()} ({elapsed:.0f} s elapsed)"
        )
        live.sleep(max(0.0, min(interval, deadline - live.clock())))
        interval = min(interval * pacing.poll_factor, pacing.poll_max)
    live.progress(f"stopped waiting after {elapsed:.0f} s: {seen.counts()}")
    trail.notes.append(
        f"stopped waiting after {elapsed:.0f} s (--timeout {live.timeout:g}): "
        f"{seen.counts()}; what was unfinished is listed as pending"
    )
    return answer


def _checks(count: int) -> str:
    return f"{count} check" + ("" if count == 1 else "s")


# --- responses -----------------------------------------------------------------------------------


def _document(answer: Answer) -> Any:
    """A fresh parse of the raw body: judging must not see what polling normalised in place."""
    return json.loads(answer.body)


def _save(path: Path | None, answer: Answer, trail: _Trail) -> None:
    """Write the raw response atomically; each poll replaces the last, so a kill keeps one."""
    if path is None:
        return
    body = redact(answer.body.decode("utf-8", "replace"), trail.secrets).encode("utf-8")
    note = f"raw response saved to {path}"
    try:
        atomic_write(path, body)
    except OSError as exc:
        raise ConfigError(f"--save-response {path}: cannot write: {exc.strerror}") from None
    if note not in trail.notes:
        trail.notes.append(note)
