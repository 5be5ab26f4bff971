"""The CCE API client: the only module that talks HTTP.

One ``httpx.Client`` with explicit timeouts, TLS verification always on, proxies from the standard
environment variables. Every failure leaves this module as :class:`gate.errors.ApiError` with a
one-line message (status, Huawei error code and message, request ID; or what went wrong on the
wire) and the httpx exception chained as its cause.

Retries: connection errors, timeouts, 429 (honouring ``Retry-After``), 502, 503 and 504 are
retried with capped exponential backoff and jitter, within a bounded total time. Nothing else is:
a 401 in particular, since five failed AK/SK signatures in a row lock the key pair (FACTS.md 4).
A POST is not retried once it may have reached the server, so a check is never started twice
because an answer was lost.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from gate import __version__
from gate.errors import ApiError, ConfigError

__all__ = [
    "MAX_REDIRECTS",
    "RETRY_STATUSES",
    "Answer",
    "CceClient",
    "Retry",
    "describe_error_body",
    "redact",
    "tls_context",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_REDIRECTS = 5
_SHOWN_BODY = 300
_REDACTED = "<redacted>"
# Secrets shorter than this are not searched for: replacing a two-letter string everywhere would
# garble every message, and no real credential is that short.
_MIN_SECRET = 4


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret value replaced by ``<redacted>``."""
    for secret in secrets:
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, _REDACTED)
    return text


@dataclass(frozen=True)
class Retry:
    """How hard to try: delays double from ``first_delay`` up to ``max_delay``, with jitter."""

    first_delay: float = 0.5
    max_delay: float = 8.0
    # no new attempt starts once this many seconds have passed since the first one
    budget: float = 60.0
    max_attempts: int = 6


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: the raw body as received and its parsed JSON (None for an empty body)."""

    status: int
    body: bytes
    data: Any
    request_id: str


class _CrossOrigin(Exception):
    """A redirect pointed at another host: credentials must not follow it."""


class _Failure(Exception):
    """One failed attempt: the error to raise and whether another attempt may help."""

    def __init__(self, error: ApiError, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry = retry
        self.retry_after = retry_after


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """``verify=`` for httpx: the private CA bundle, or True for the default trust store."""
    if ca_bundle is None:
        return True
    try:
        if ca_bundle.is_dir():
            return ssl.create_default_context(capath=str(ca_bundle))
        return ssl.create_default_context(cafile=str(ca_bundle))
    except FileNotFoundError:
        raise ConfigError(f"--ca-bundle {ca_bundle}: no such file") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConfigError(f"--ca-bundle {ca_bundle}: not a PEM CA bundle ({exc})") from None


class CceClient:
    """The three CCE calls gate makes, for one project and cluster."""

    def __init__(
        self,
        endpoint: str,
        *,
        project_id: str,
        cluster_id: str,
        auth: httpx.Auth,
        verify: ssl.SSLContext | bool = True,
        read_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retry: Retry | None = None,
        secrets: Sequence[str] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        if verify is False:  # refuse outright: no code path may turn verification off
            raise ValueError("TLS verification cannot be turned off")
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self.cluster_id = cluster_id
        self.retry = retry or Retry()
        self._secrets = tuple(secrets)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        # CI logs should show why a run took longer, not only that it did
        self._on_retry = on_retry
        self._origin = httpx.URL(self.endpoint)
        self._http = httpx.Client(
            base_url=self.endpoint,
            auth=auth,
            verify=verify,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=True,
            transport=transport,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"cce-addon-gate/{__version__}",
            },
            event_hooks={"request": [self._same_origin]},
        )

    def __repr__(self) -> str:
        return f"CceClient({self.endpoint!r}, cluster_id={self.cluster_id!r})"

    def __enter__(self) -> CceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the calls -------------------------------------------------------------------------------

    @property
    def tasks_path(self) -> str:
        return (
            f"/api/v3/projects/{self.project_id}/clusters/{self.cluster_id}/addons/precheck/tasks"
        )

    def list_tasks(
        self,
        *,
        task_type: str | None = None,
        task_id: str | None = None,
        addon_instance_id: str | None = None,
    ) -> Answer:
        """ListAddonPrecheckTasks with the API's own filters."""
        params = {
            "type": task_type,
            "task_id": task_id,
            "addon_instance_id": addon_instance_id,
        }
        return self.request("GET", self.tasks_path, params=params)

    def list_addons(self) -> Answer:
        """The add-on instances of the cluster (``GET /api/v3/addons?cluster_id=``)."""
        return self.request("GET", "/api/v3/addons", params={"cluster_id": self.cluster_id})

    def create_checks(self, addons: Sequence[Mapping[str, Any]]) -> Answer:
        """BatchCreateAddonPrecheck; ``addons`` are ``spec.addonList`` entries."""
        body = {
            "kind": "AddonCheck",
            "apiVersion": "v3",
            "spec": {"clusterID": self.cluster_id, "addonList": [dict(a) for a in addons]},
        }
        path = f"/api/v3/projects/{self.project_id}/clusters/{self.cluster_id}/addons/precheck"
        return self.request("POST", path, body=body, allow_empty=True)

    # -- one call, with retries ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | None] | None = None,
        body: Any = None,
        allow_empty: bool = False,
    ) -> Answer:
        """Send until a 2xx, an error not worth retrying, or the retry budget runs out."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        where = f"{method} {self._show(path, query)}"
        started = self._clock()
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                return self._attempt(method, path, query, content, where, allow_empty)
            except _Failure as failure:
                if not failure.retry:
                    raise self._final(failure.error, attempt, started) from failure.__cause__
                delay = self._delay(attempt, failure.retry_after)
                left = self.retry.budget - (self._clock() - started)
                if attempt == self.retry.max_attempts or delay > left:
                    error = self._final(failure.error, attempt, started)
                    if failure.retry_after is not None and failure.retry_after > left:
                        error = self._error(
                            f"{error.message} (Retry-After {failure.retry_after:.0f} s is "
                            f"beyond the {self.retry.budget:.0f} s retry budget)",
                            error.details,
                        )
                    raise error from failure.__cause__
                if self._on_retry is not None:
                    self._on_retry(
                        f"{failure.error.message}; retrying in {delay:.1f} s "
                        f"(attempt {attempt + 1} of {self.retry.max_attempts})"
                    )
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        content: bytes | None,
        where: str,
        allow_empty: bool,
    ) -> Answer:
        # Whether a lost answer may be retried: a GET always, a POST only if it never left.
        idempotent = method == "GET"
        try:
            response = self._http.request(method, path, params=query, content=content)
        except _CrossOrigin as exc:
            raise _Failure(self._error(f"{where}: {exc}"), retry=False) from None
        except httpx.HTTPError as exc:
            message, retry = self._explain(exc, idempotent)
            raise _Failure(self._error(f"{where}: {message}"), retry) from exc
        if 200 <= response.status_code < 300:
            return self._answer(response, where, allow_empty)
        raise _Failure(
            self._error(f"{where}: {_status_line(response)}", _body_details(response)),
            retry=response.status_code in RETRY_STATUSES,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    def _answer(self, response: httpx.Response, where: str, allow_empty: bool) -> Answer:
        body = response.content
        request_id = response.headers.get("X-Request-Id", "")
        status = response.status_code
        if not body.strip():
            if allow_empty:
                return Answer(status, body, None, request_id)
            raise _Failure(self._error(f"{where}: HTTP {status} with an empty body"), retry=False)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Failure(
                self._error(f"{where}: HTTP {status} but {_not_json(response, exc)}"),
                retry=False,
            ) from None
        return Answer(status, body, data, request_id)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.retry.max_delay, self.retry.first_delay * 2.0 ** (attempt - 1))
        # "Equal jitter": never less than half the backoff, so many gates do not retry in step.
        delay = backoff * (0.5 + self._jitter() / 2)
        return max(delay, retry_after) if retry_after is not None else delay

    def _final(self, error: ApiError, attempt: int, started: float) -> ApiError:
        if attempt == 1:
            return error
        spent = self._clock() - started
        return self._error(
            f"{error.message} (gave up after {attempt} attempts in {spent:.0f} s)", error.details
        )

    # -- explaining failures ---------------------------------------------------------------------

    def _explain(self, exc: httpx.HTTPError, idempotent: bool) -> tuple[str, bool]:
        """A one-line reason for a transport failure, and whether trying again may help."""
        host = self._origin.netloc.decode("ascii", "replace")
        tls = _tls_cause(exc)
        if isinstance(exc, httpx.TooManyRedirects):
            return f"redirect loop: more than {MAX_REDIRECTS} redirects", False
        if tls is not None:
            return _tls_message(host, tls), False
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connecting to {host} timed out", True
        if isinstance(exc, httpx.ProxyError):
            return f"the proxy failed: {_reason(exc)}", True
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect to {host}: {_reason(exc)}", True
        if isinstance(exc, httpx.ReadTimeout):
            return f"no answer from {host} within the read timeout", idempotent
        if isinstance(exc, httpx.TimeoutException):
            return f"timed out talking to {host} ({type(exc).__name__})", idempotent
        if isinstance(exc, httpx.RemoteProtocolError):
            text = _reason(exc)
            if "incomplete" in text or "expected" in text or "complete message body" in text:
                return f"the answer was cut short (truncated body): {text}", idempotent
            return f"the connection broke: {text}", idempotent
        if isinstance(exc, httpx.NetworkError):
            return f"network error talking to {host}: {_reason(exc)}", idempotent
        if isinstance(exc, httpx.DecodingError):
            return f"the answer could not be decoded: {_reason(exc)}", False
        return f"{type(exc).__name__}: {_reason(exc)}", False

    def _same_origin(self, request: httpx.Request) -> None:
        url = request.url
        if (url.scheme, url.host, url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            # httpx would carry X-Auth-Token and X-Security-Token along to the other host.
            raise _CrossOrigin(
                f"redirected to another origin ({url.scheme}://{url.netloc.decode('ascii')}); "
                "refusing to send the credentials there"
            )

    def _error(self, message: str, details: tuple[str, ...] = ()) -> ApiError:
        return ApiError(self._scrub(message), tuple(self._scrub(d) for d in details))

    def _scrub(self, text: str) -> str:
        return redact(text, self._secrets)

    def _show(self, path: str, query: Mapping[str, str]) -> str:
        url = self._origin.copy_with(path=self._origin.path.rstrip("/") + path)
        if query:
            url = url.copy_merge_params(dict(query))
        return str(url)


# --- error bodies ----------------------------------------------------------------------------


def describe_error_body(body: bytes, content_type: str = "") -> tuple[str, str, str]:
    """(error code, message, request ID from the body) of an error answer, per FACTS.md 4.

    Any of them may be empty. HTML, empty and other non-JSON bodies give a one-line summary as the
    message.
    """
    if not body.strip():
        return "", "empty body", ""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "", _summary(body, content_type), ""
    if not isinstance(data, dict):
        return "", f"JSON body: {_one_line(json.dumps(data))}", ""
    code = _first(data, "error_code", "errorCode", "code")
    message = _first(data, "error_msg", "errorMessage")
    extra = _first(data, "message")
    if not message:
        message = extra
    elif extra and extra not in message:
        message = f"{message}: {extra}"
    if not message and not code:
        message = f"JSON body: {_one_line(body.decode('utf-8', 'replace'))}"
    return code, message, _first(data, "request_id")


def _first(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return _one_line(str(value))
    return ""


def _status_line(response: httpx.Response) -> str:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    code, message, body_request_id = describe_error_body(
        response.content, response.headers.get("Content-Type", "")
    )
    line = f"HTTP {status}" + (f" {phrase}" if phrase else "")
    detail = " ".join(part for part in (code, message) if part)
    if detail:
        line += f": {detail}"
    request_id = response.headers.get("X-Request-Id") or body_request_id
    if request_id:
        line += f" (request ID {_one_line(request_id)})"
    if status == 401:
        line += " [not retried]"
    return line


def _body_details(response: httpx.Response) -> tuple[str, ...]:
    body = response.content
    if not body.strip() or _looks_html(body, response.headers.get("Content-Type", "")):
        return ()
    return (f"response body: {_one_line(body.decode('utf-8', 'replace'), 1000)}",)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _not_json(response: httpx.Response, exc: Exception) -> str:
    content_type = response.headers.get("Content-Type", "")
    if _looks_html(response.content, content_type):
        return f"the body is {_summary(response.content, content_type)}, not JSON"
    if isinstance(exc, json.JSONDecodeError):
        # The decoder stops at the end of a cut body, or inside the string the cut ended
        cut = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (cut short?)" if cut else ""
        where = f"line {exc.lineno}, column {exc.colno}"
        return f"the body is not valid JSON: {exc.msg} ({where}){hint}"
    return "the body is not UTF-8 JSON"


def _looks_html(body: bytes, content_type: str) -> bool:
    return "html" in content_type.lower() or body.lstrip()[:1] == b"<"


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")


def _summary(body: bytes, content_type: str) -> str:
    if _looks_html(body, content_type):
        title = _TITLE.search(body)
        text = title.group(1) if title else _TAG.sub(b" ", body)
        shown = _one_line(text.decode("utf-8", "replace"), 120)
        return f'an HTML page ("{shown}")' if shown else "an HTML page"
    kind = content_type.split(";")[0].strip() or "non-JSON"
    return f'a {kind} body ("{_one_line(body.decode("utf-8", "replace"), 120)}")'


def _one_line(text: str, limit: int = _SHOWN_BODY) -> str:
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- transport failures ----------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    """The innermost useful text of an exception chain (httpx wraps httpcore wraps OSError)."""
    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    depth = 0
    while cause is not None and depth < 5:
        if str(cause) and str(cause) != text and isinstance(cause, OSError):
            text = str(cause)
        cause = cause.__cause__ or cause.__context__
        depth += 1
    return _one_line(text or type(exc).__name__, 200)


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_message(host: str, error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        why = error.verify_message or error.reason or "certificate verification failed"
        return (
            f"TLS certificate of {host} not trusted: {why} "
            "(for a private CA pass --ca-bundle PATH; verification is never turned off)"
        )
    reason = error.reason or _one_line(str(error), 120)
    hint = " (is the endpoint plain HTTP?)" if "WRONG_VERSION_NUMBER" in str(reason) else ""
    return f"TLS handshake with {host} failed: {reason}{hint}"
