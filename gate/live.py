"""Live mode: fetch the check results from the CCE API, start checks, wait, then judge.

This module decides *what* to ask and *when*: credentials, endpoint, polling and the precheck
flow. How to ask (HTTP, retries, error bodies) is :mod:`gate.api.client`'s business. Judging is
exactly the offline path (:func:`gate.run.judge`), so a live run and a run over the saved
response (``--save-response`` then ``--input``) reach the same verdict.

Every credential the environment holds is registered with :mod:`gate.redaction` before any flag
value is looked at; secrets are held in :class:`Credentials` fields that ``repr`` leaves out, and
every message, note, error detail and saved response that leaves this module is scrubbed.

Time: the whole run, requests and waits together, has ``--timeout`` seconds, plus at most
:data:`GRACE` seconds for the request under way when it runs out.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gate import redaction
from gate.api.auth import AkSkAuth, TokenAuth
from gate.api.client import (
    MAX_BODY,
    Answer,
    CceClient,
    Retry,
    Throttle,
    Unanswered,
    error_fields,
    tls_context,
)
from gate.engine import Config, Settings, finished, select
from gate.errors import ApiError, ConfigError, InvalidInput
from gate.files import atomic_write
from gate.report import ErrorInfo, Pending, Report, decide
from gate.run import CheckOptions, configure, guarded, judge
from gate.schema import prepare
from gate.timeutil import Instant, parse_instant

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
# The request under way when --timeout runs out may take this much longer (at most its own limit).
GRACE = 5.0
# A task found by listing (no ID in the create answer) must be created after the request was
# sent; the clocks of CI and CCE may differ by as much as the gateway itself allows.
CLOCK_SKEW = timedelta(minutes=15)
# After an ambiguous create answer: how many poll intervals (30 s by default) to look for the new
# checks in the task list.
CONFIRM_POLLS = 15


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
    # one request in all: connect, TLS, headers and body
    request_timeout: float = 30.0
    max_body: int = MAX_BODY

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Pacing:
        """Defaults, scaled by ``GATE_POLL_INTERVAL``, ``GATE_RETRY_DELAY``, ``GATE_HTTP_TIMEOUT``.

        Each sets the first value of its series; the ceilings keep their ratio to it (15 s for a
        2 s first poll interval, 8 s for a 0.5 s first retry delay), so one variable makes a test
        or a slow pipeline consistently faster or slower. ``GATE_MAX_RESPONSE_BYTES`` sets the
        size cap of a response body.
        """
        poll = _seconds(environ, "GATE_POLL_INTERVAL", cls.poll_interval)
        retry = _seconds(environ, "GATE_RETRY_DELAY", cls.retry_delay)
        request = _seconds(environ, "GATE_HTTP_TIMEOUT", cls.request_timeout)
        return cls(
            poll_interval=poll,
            poll_max=poll * cls.poll_max / cls.poll_interval,
            retry_delay=retry,
            retry_max=retry * cls.retry_max / cls.retry_delay,
            connect_timeout=min(cls.connect_timeout, request),
            request_timeout=request,
            max_body=_bytes(environ, "GATE_MAX_RESPONSE_BYTES", cls.max_body),
        )


def _bytes(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,15}", text, re.ASCII) or int(text) < 1024:
        raise ConfigError(f"{name}: expected a whole number of bytes, at least 1024")
    return int(text)


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
    throttle: Throttle | None = None  # a fleet's: one endpoint's 429 holds back all its workers
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


def register_secrets(environ: Mapping[str, str], token_env: str | None = None) -> None:
    """Every credential the environment holds, used or not, is scrubbed from all output."""
    names = [TOKEN_VARIABLE, *(name for names in AKSK_VARIABLES for name in names)]
    if token_env is not None and _VARIABLE_NAME.fullmatch(token_env):
        names.append(token_env)
    redaction.register(*(environ.get(name) for name in names))
    if token_env is not None and not _VARIABLE_NAME.fullmatch(token_env):
        # not a variable name: most likely the token itself, pasted
        redaction.register(token_env)


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
    # A rejected value is never repeated: a pasted URL may carry a password or a signed query.
    expected = "expected http(s)://HOST[:PORT][/PATH]; the value is not shown"
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"--endpoint: not a URL ({expected})") from None
    if parts.username is not None or parts.password is not None:
        if parts.password:
            redaction.register(parts.password)
        raise ConfigError(f"--endpoint must not carry a user name or password ({expected})")
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"--endpoint: the scheme must be http or https ({expected})")
    if not parts.hostname:
        raise ConfigError(f"--endpoint: no host ({expected})")
    if parts.query or parts.fragment:
        raise ConfigError(f"--endpoint: no query or fragment, please ({expected})")
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


def _identifier(
    value: str | None, flag: str, variables: Sequence[str], secrets: Sequence[str]
) -> str:
    if not value:
        where = f" (or {'/'.join(variables)})" if variables else ""
        raise ConfigError(f"{flag} is required in live mode{where}")
    if value in secrets:
        raise ConfigError(f"{flag}: the value is one of the credentials (not shown)")
    if not _ID.fullmatch(value):
        # a value that is no ID may be a token pasted in the wrong place: never repeat it
        raise ConfigError(
            f"{flag}: expected up to 128 letters, digits, '.', '_' or '-' "
            f"(the value given, {len(value)} characters, is not shown)"
        )
    return value


# --- one run -----------------------------------------------------------------------------------


@dataclass
class _Trail:
    """What a run has learnt so far, so that even an error report says where and with what."""

    source: str = ""
    notes: list[str] = field(default_factory=list)
    # on the run's clock: when waiting stops (the request under way may take GRACE longer)
    deadline: float = math.inf

    def finish(self, report: Report) -> Report:
        scrub = redaction.scrub
        notes = tuple(scrub(n) for n in (*self.notes, *report.notes))
        error = report.error
        if error is not None:
            # The text account shows only the error: put what was used where it is seen.
            details = (*error.details, *self.notes)
            error = ErrorInfo(error.verdict, scrub(error.message), tuple(scrub(d) for d in details))
        return replace(report, source=report.source or self.source, notes=notes, error=error)


def check(options: CheckOptions, live: LiveOptions) -> Report:
    """Fetch ListAddonPrecheckTasks (polling with ``--wait``) and judge it; never raises."""
    live = _scrubbed(live)
    trail = _Trail()
    return trail.finish(guarded(lambda: _check(options, live, trail)))


def precheck(options: CheckOptions, live: LiveOptions, targets: tuple[str, ...]) -> Report:
    """Start upgrade checks for ``NAME=VERSION`` targets, wait for them, judge them."""
    live = _scrubbed(live)
    trail = _Trail()
    return trail.finish(guarded(lambda: _precheck(options, live, targets, trail)))


def _scrubbed(live: LiveOptions) -> LiveOptions:
    """Credentials registered; progress scrubbed (task IDs and states come from the server)."""
    register_secrets(live.environ, live.token_env)
    progress = live.progress
    return replace(live, progress=lambda line: progress(redaction.scrub(line)))


def _connect(live: LiveOptions, trail: _Trail) -> tuple[CceClient, Pacing]:
    """Everything from the flags and the environment, before any request is made."""
    started = live.clock()
    pacing = live.pacing or Pacing.from_environ(live.environ)
    credentials = resolve_credentials(live.environ, live.token_env)
    endpoint = _endpoint(live, trail.notes)
    project_id = _identifier(
        live.project_id or _first_set(live.environ, PROJECT_VARIABLES),
        "--project-id",
        PROJECT_VARIABLES,
        credentials.secrets,
    )
    cluster_id = _identifier(
        live.cluster_id, "--cluster-id", ("GATE_CLUSTER_ID",), credentials.secrets
    )
    trail.source = f"{endpoint} cluster {cluster_id}"
    trail.notes.insert(0, f"credentials: {credentials.description}")
    _check_writable(live.save_response)
    client = CceClient(
        endpoint,
        project_id=project_id,
        cluster_id=cluster_id,
        auth=credentials.auth(project_id),
        verify=tls_context(live.ca_bundle),
        request_timeout=pacing.request_timeout,
        connect_timeout=pacing.connect_timeout,
        max_body=pacing.max_body,
        retry=Retry(
            first_delay=pacing.retry_delay,
            max_delay=pacing.retry_max,
            budget=pacing.retry_budget,
        ),
        sleep=live.sleep,
        clock=live.clock,
        on_retry=live.progress,
        throttle=live.throttle,
    )
    trail.deadline = started + live.timeout
    client.stop_at = trail.deadline + min(GRACE, pacing.request_timeout)
    return client, pacing


def _check_writable(path: Path | None) -> None:
    """--save-response must be writable before the first request: no error after a check started."""
    if path is None:
        return
    if path.is_dir():
        raise ConfigError(f"--save-response {path}: is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"--save-response {path}: cannot write in {path.parent}: {exc.strerror}"
        ) from None


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
            tasks = _listed(answer, trail, options)
            judged, _ = select(tasks, config.settings)
            return _Look.of([tasks[i] for i in judged], listed=tasks)

        if live.wait:
            answer, vanished = _poll(fetch, look, live, pacing, trail)
        else:
            answer, vanished = fetch(), ()
            look(answer)
    report = judge(_document(answer), trail.source, options, config)
    return _with_pending(
        report,
        [
            Pending(f"task {task_id} was listed while waiting, then disappeared", "items")
            for task_id in vanished
        ],
    )


def _with_pending(report: Report, extra: Sequence[Pending]) -> Report:
    if not extra:
        return report
    pending = (*report.pending, *extra)
    return replace(report, pending=pending, verdict=decide(report.findings, pending))


def _listed(answer: Answer, trail: _Trail, options: CheckOptions) -> list[dict[str, Any]]:
    """The tasks of one listing; the same task ID twice with different content is invalid."""
    tasks = prepare(answer.data, trail.source, options.strict_schema).tasks
    first: dict[str, int] = {}
    for index, task in enumerate(tasks):
        task_id = task["metadata"]["taskID"]
        earlier = first.setdefault(task_id, index)
        if earlier != index and tasks[earlier] != task:
            raise InvalidInput(
                f"{trail.source}: items[{earlier}] and items[{index}] are both task {task_id}, "
                "with different content: which one is true is unknown"
            )
    return tasks


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
    config = configure(
        options,
        lambda settings: replace(
            _with_target_params(settings, wanted), expected_targets=dict(wanted)
        ),
    )
    client, pacing = _connect(live, trail)
    with client:
        chosen = _choose_instances(client.list_addons(), wanted, client.cluster_id, trail)
        before = {
            task["metadata"]["taskID"]
            for task in _listed(client.list_tasks(task_type=UPGRADE), trail, options)
        }
        sent = datetime.now(UTC)
        tracker = _Tracker(chosen, {}, before, sent, trail)

        def fetch() -> Answer:
            answer = client.list_tasks(task_type=UPGRADE)
            _save(live.save_response, answer, trail)
            return answer

        def look(answer: Answer) -> _Look:
            return tracker.look(_listed(answer, trail, options))

        try:
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
        except Unanswered as exc:
            _confirm_started(exc, fetch, look, tracker, live, pacing)
        else:
            _refuse_create_error(created)
            tracker.ids = _ids_from_create(created.data, chosen, before, trail)
            if len(tracker.ids) < len(chosen):
                trail.notes.append(
                    "the create response carries no usable task ID for "
                    + ", ".join(t.name for t in chosen if t.uid not in tracker.ids)
                    + ": taking the newest new addonUpgrade task of each such instance "
                    "for the target version asked for"
                )
        live.progress(_started_line(chosen, tracker.ids))
        answer, _ = _poll(fetch, look, live, pacing, trail)
    return _judge_created(answer, tracker, options, config, trail)


def _confirm_started(
    exc: Unanswered,
    fetch: Callable[[], Answer],
    look: Callable[[Answer], _Look],
    tracker: _Tracker,
    live: LiveOptions,
    pacing: Pacing,
) -> None:
    """The create request may or may not have started the checks: list, never send it again."""
    tracker.trail.notes.append(
        f"the create request got no usable answer ({exc.message}); it was not sent again: "
        "looking for the new checks in the task list"
    )
    until = min(tracker.trail.deadline, live.clock() + CONFIRM_POLLS * pacing.poll_interval)
    interval = pacing.poll_interval
    for _ in range(_MAX_POLLS):
        try:
            seen = look(fetch())
        except ApiError as failure:
            # what went wrong with the create request matters more than the listing after it
            raise ApiError(
                f"{exc.message}; then {failure.message} (the create request was not sent again)",
                (*exc.details, *failure.details),
            ) from failure
        if seen.states.get("not listed yet", 0) < len(tracker.chosen):
            return
        if live.clock() >= until:
            break
        live.sleep(max(0.0, min(interval, until - live.clock())))
        interval = min(interval * pacing.poll_factor, pacing.poll_max)
    raise ApiError(
        f"{exc.message}; no new check is listed for "
        + ", ".join(t.name for t in tracker.chosen)
        + " (the create request was not sent again: rerun gate to start the checks)",
        exc.details,
    )


def _refuse_create_error(answer: Answer) -> None:
    """A 2xx create answer that carries an error: no check to wait for."""
    data = answer.data
    if not isinstance(data, dict):
        return
    error = _error_in(data)
    if error:
        raise ApiError(
            f"the create request was answered HTTP {answer.status} with an error: {error}"
        )
    status = data.get("status")
    items = status.get("items") if isinstance(status, dict) else None
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            continue
        metadata = item.get("metadata")
        name = metadata.get("addonTemplateName") if isinstance(metadata, dict) else None
        for part in (item, item.get("status")):
            error = _error_in(part) if isinstance(part, dict) else ""
            if error:
                raise ApiError(
                    f"the create request was answered HTTP {answer.status}, but the check of "
                    f"{name or 'an add-on'} failed to start: {error}"
                )


def _error_in(part: Mapping[str, Any]) -> str:
    """ "CODE message" when ``part`` carries an error; a bare ``code`` (0, say) is none."""
    code, message = error_fields(part)
    if not message and not any(part.get(key) for key in ("error_code", "errorCode")):
        return ""
    return " ".join(p for p in (code, message) if p)


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


def _ids_from_create(
    data: Any, chosen: Sequence[_Target], before: set[str], trail: _Trail
) -> dict[str, str]:
    """Instance UID -> new task ID, from ``status.items[].metadata`` when the answer has them.

    An ID that was already listed before the create request is no proof of a new check.
    """
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
        if task_id in before:
            trail.notes.append(
                f"the create response names task {task_id}, which was listed before the "
                "request: not taken as the new check"
            )
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
        sent: datetime,
        trail: _Trail,
    ) -> None:
        self.chosen = list(chosen)
        self.ids = dict(ids)
        self.before = before
        self.sent = sent
        self.trail = trail
        self.found: dict[str, dict[str, Any]] = {}
        # instances whose task was listed at least once: a later absence is a lost check
        self.seen: set[str] = set()

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
        vanished = self.seen - set(self.found)
        self.seen |= set(self.found)
        missing = len(self.chosen) - len(self.found)
        return _Look.of(list(self.found.values()), missing, listed=tasks, vanished=len(vanished))

    def _newest_new(self, target: _Target, tasks: list[dict[str, Any]]) -> str | None:
        """The newest task created after the request, for this instance and target version."""
        best: tuple[Instant, str] | None = None
        earliest = Instant.of(self.sent - CLOCK_SKEW)
        for task in tasks:
            metadata = task["metadata"]
            instance = metadata.get("addonInstanceID")
            mine = instance == target.uid or (
                not instance and metadata["addonTemplateName"] == target.name
            )
            version = (task.get("spec") or {}).get("addonTargetVersion")
            moment = parse_instant(metadata["createTimeStamp"])
            if (
                not mine
                or metadata["type"] != UPGRADE
                or metadata["taskID"] in self.before
                or version != target.version
                or moment is None
                or moment < earliest
            ):
                continue
            key = (moment, metadata["taskID"])
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
            if target.uid in self.seen:
                reason = "was listed while waiting, then disappeared"
            else:
                reason = "is not listed by the API"
            pending.append(
                Pending(
                    f"{target.name}: the check started for {target.version} ({what}) {reason}",
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
    seen = set(tracker.seen)
    tracker.look(prepared.tasks)
    tracker.seen |= seen
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
    report = replace(report, notes=(*prepared.notes, *report.notes))
    return _with_pending(report, tracker.missing())


# --- waiting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """What one listing says about the checks being waited for."""

    states: Counter[str]
    done: bool
    awaited: frozenset[str] = frozenset()
    listed: frozenset[str] = frozenset()
    vanished: int = 0

    @classmethod
    def of(
        cls,
        tasks: Sequence[dict[str, Any]],
        missing: int = 0,
        *,
        listed: Sequence[dict[str, Any]] = (),
        vanished: int = 0,
    ) -> _Look:
        states: Counter[str] = Counter(task["status"]["status"] for task in tasks)
        if missing:
            states["not listed yet"] = missing
        # a lost check cannot finish: stop waiting for it
        done = vanished > 0 or (not missing and all(finished(task) for task in tasks))
        return cls(
            states,
            done,
            frozenset(task["metadata"]["taskID"] for task in tasks),
            frozenset(task["metadata"]["taskID"] for task in listed),
            vanished,
        )

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
) -> tuple[Answer, tuple[str, ...]]:
    """Fetch until every awaited check has finished, one is lost, or ``--timeout`` is reached.

    Returns the last answer and the IDs of awaited tasks that disappeared from the listing.
    """
    started = live.clock()
    deadline = trail.deadline
    interval = pacing.poll_interval
    awaited: set[str] = set()
    for _ in range(_MAX_POLLS):
        answer = fetch()
        seen = look(answer)
        elapsed = live.clock() - started
        lost = tuple(sorted(awaited - seen.listed))
        awaited |= seen.awaited
        if lost or seen.vanished:
            trail.notes.append(
                f"stopped waiting after {elapsed:.0f} s: a check that was listed disappeared"
            )
            return answer, lost
        if seen.done:
            if seen.total:
                live.progress(f"{_checks(seen.total)} finished: {seen.counts()} ({elapsed:.0f} s)")
            return answer, ()
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
    return answer, ()


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
    body = redaction.scrub(answer.body.decode("utf-8", "replace")).encode("utf-8")
    note = f"raw response saved to {path}"
    try:
        atomic_write(path, body)
    except OSError as exc:
        raise ConfigError(f"--save-response {path}: cannot write: {exc.strerror}") from None
    if note not in trail.notes:
        trail.notes.append(note)
