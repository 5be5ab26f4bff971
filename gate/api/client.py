"""The CCE API client: the only module that talks HTTP.

One ``httpx.Client`` with explicit timeouts, TLS verification always on, proxies from the standard
environment variables. Every failure leaves this module as :class:`gate.errors.ApiError` with a
one-line message (status, Huawei error code and message, request ID; or what went wrong on the
wire), scrubbed by :mod:`gate.redaction`, with the httpx exception chained as its cause.

Bounds: one request (connect, TLS, headers and body together) has ``request_timeout`` seconds in
all, never more than the run has left (``stop_at``): every socket operation gets only what is left
of that, so a server trickling one byte a second cannot hold gate. A body is read as a stream and
decoded here, with at most ``max_body`` decoded bytes, so a compressed bomb stops at the cap; a
``Content-Length`` above the cap is refused before reading.

Retries: for a GET, connection errors, timeouts, 429 (honouring ``Retry-After``), 502, 503 and 504
are retried with capped exponential backoff and jitter, within the retry budget and what the run
has left. Nothing else is: a 401 in particular, since five failed AK/SK signatures in a row lock
the key pair (FACTS.md 4). A POST is resent only when the server provably did not receive it (the
connection failed before it was sent, or a 429); any other failure after sending raises
:class:`Unanswered`, so the caller can find out whether the check started.

Redirects are followed here, not by httpx, so that each hop is signed again for its own URL; a
redirect to another origin is refused before any credential goes there.
"""

from __future__ import annotations

import email.utils
import functools
import json
import os
import random
import re
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpcore
import httpx

from gate import __version__, redaction
from gate.api.signer import check_signable
from gate.display import cut, one_line
from gate.errors import ApiError, ConfigError

__all__ = [
    "MAX_BODY",
    "MAX_REDIRECTS",
    "RETRY_STATUSES",
    "Answer",
    "CceClient",
    "Retry",
    "Unanswered",
    "describe_error_body",
    "error_fields",
    "tls_context",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A POST that got one of these may have started a check: never resent (429 is a refusal).
AMBIGUOUS_STATUSES = frozenset({500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# 64 MiB of decoded JSON is thousands of tasks: far beyond any real cluster, far below harm.
MAX_BODY = 64 * 1024 * 1024
# An error body is only shown, clipped: no need to read more of it.
_ERROR_BODY = 64 * 1024
_CHUNK = 64 * 1024
_SHOWN_BODY = 300


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


class Unanswered(ApiError):
    """A POST may have reached the server but gave no usable answer: it is not sent again."""


class _Failure(Exception):
    """One failed attempt: the error to raise and whether another attempt may help."""

    def __init__(
        self,
        error: ApiError,
        retry: bool,
        retry_after: float | None = None,
        sent: bool = True,
        unclear: bool = True,
        status: int = 0,
    ) -> None:
        super().__init__(error.message)
        self.status = status  # the HTTP status, when there was an answer
        self.error = error
        self.retry = retry
        self.retry_after = retry_after
        # False only when the request provably never reached the server
        self.sent = sent
        # False when the server's answer says clearly that it did not act (a 4xx, say)
        self.unclear = unclear


class Throttle:
    """Shared by the clients of one fleet run: a 429 from an endpoint holds back every client
    that talks to it, not only the one that was refused, so many workers do not keep hammering
    an API that asked them to wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before: dict[str, float] = {}

    def hold(self, origin: str, until: float) -> None:
        with self._lock:
            self._not_before[origin] = max(until, self._not_before.get(origin, until))

    def wait(self, origin: str, now: float) -> float:
        """Seconds to wait before the next request to ``origin`` (0: none)."""
        with self._lock:
            return max(0.0, self._not_before.get(origin, now) - now)


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """``verify=`` for httpx: the private CA bundle, or the default trust store.

    Built once per process and trust store: loading a bundle costs ~20 ms of CPU, which a fleet
    run of 200 clusters would otherwise pay 200 times. A context is safe to share between
    clients and threads; verification is always on in it.
    """
    if ca_bundle is None:
        store = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        return _default_context(store)
    try:
        stat = ca_bundle.stat()
        return _bundle_context(str(ca_bundle), ca_bundle.is_dir(), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        raise ConfigError(f"--ca-bundle {ca_bundle}: no such file") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConfigError(f"--ca-bundle {ca_bundle}: not a PEM CA bundle ({exc})") from None


@functools.cache
def _default_context(store: tuple[str | None, str | None]) -> ssl.SSLContext:
    del store  # the cache key: httpx reads these variables itself
    return httpx.create_ssl_context()


@functools.cache
def _bundle_context(path: str, is_dir: bool, mtime: int, size: int) -> ssl.SSLContext:
    del mtime, size  # the cache key: a rewritten bundle is loaded again
    if is_dir:
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


# --- the total deadline of one request -----------------------------------------------------------

# The monotonic time by which the current request of this thread must be done; read by every
# socket operation, so that connect, TLS, headers and body share one deadline.
_deadline = threading.local()


def _left(timeout: float | None) -> float:
    until: float | None = getattr(_deadline, "at", None)
    if until is None:
        return timeout if timeout is not None else 30.0
    left = max(0.001, until - time.monotonic())
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _left(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        _deadline.connected = True
        stream = self._backend.connect_tcp(
            host, port, _left(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._backend.connect_unix_socket(path, _left(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bound_transports(http: httpx.Client) -> None:
    """Give every real transport (direct and each proxy) the deadline-aware network backend.

    httpx offers no total timeout and no public way to pass a network backend, so the pool's
    backend is wrapped in place; a transport without a pool (a test's MockTransport) is left alone.
    """
    transports: list[Any] = [http._transport, *http._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is None:
            continue
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError("httpcore changed: no network backend to bound")  # pragma: no cover
        if not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)


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
        request_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_body: int = MAX_BODY,
        retry: Retry | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        on_retry: Callable[[str], None] | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        if verify is False:  # refuse outright: no code path may turn verification off
            raise ValueError("TLS verification cannot be turned off")
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self.cluster_id = cluster_id
        self.retry = retry or Retry()
        self.request_timeout = request_timeout
        self.max_body = max_body
        # The run's own deadline on ``clock``: no request or retry wait goes past it.
        self.stop_at: float | None = None
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        # CI logs should show why a run took longer, not only that it did
        self._on_retry = on_retry
        self._origin = httpx.URL(self.endpoint)
        self._throttle = throttle
        self._http = httpx.Client(
            base_url=self.endpoint,
            auth=auth,
            verify=verify,
            timeout=httpx.Timeout(request_timeout, connect=min(connect_timeout, request_timeout)),
            follow_redirects=False,
            trust_env=True,
            transport=transport,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                # only what is decoded here, under the size cap
                "Accept-Encoding": "gzip, deflate",
                "User-Agent": f"cce-addon-gate/{__version__}",
            },
        )
        _bound_transports(self._http)
        self._proxy = _proxy_for(self._origin)

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
        """BatchCreateAddonPrecheck; ``addons`` are ``spec.addonList`` entries.

        Raises :class:`Unanswered` when the request may have started checks without saying so.
        """
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
        """Send until a 2xx, an error not worth retrying, or the time allowed runs out."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        content = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        where = f"{method} {self._show(path, query)}"
        started = self._clock()
        for attempt in range(1, self.retry.max_attempts + 1):
            self._wait_for_throttle()
            try:
                return self._attempt(method, path, query, content, where, allow_empty)
            except _Failure as failure:
                if method != "GET" and failure.sent and failure.unclear and not failure.retry:
                    error = self._final(failure.error, attempt, started)
                    raise Unanswered(error.message, error.details) from failure.__cause__
                if not failure.retry:
                    raise self._final(failure.error, attempt, started) from failure.__cause__
                delay = self._delay(attempt, failure.retry_after)
                if failure.status == 429 and self._throttle is not None:
                    self._throttle.hold(self._origin_key, self._clock() + delay)
                left = self.retry.budget - (self._clock() - started)
                run_left = self._run_left()
                if attempt == self.retry.max_attempts or delay > min(left, run_left):
                    raise self._given_up(failure, attempt, started, left, run_left) from (
                        failure.__cause__
                    )
                if self._on_retry is not None:
                    self._on_retry(
                        f"{failure.error.message}; retrying in {delay:.1f} s "
                        f"(attempt {attempt + 1} of {self.retry.max_attempts})"
                    )
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def _given_up(
        self, failure: _Failure, attempt: int, started: float, left: float, run_left: float
    ) -> ApiError:
        error = self._final(failure.error, attempt, started)
        wait = failure.retry_after
        if wait is not None and wait > left:
            return self._error(
                f"{error.message} (Retry-After {wait:.0f} s is beyond the "
                f"{self.retry.budget:.0f} s retry budget)",
                error.details,
            )
        if run_left < left and attempt < self.retry.max_attempts:
            return self._error(f"{error.message} (the run's --timeout is reached)", error.details)
        return error

    @property
    def _origin_key(self) -> str:
        return f"{self._origin.scheme}://{self._origin.host}:{self._origin.port}"

    def _wait_for_throttle(self) -> None:
        if self._throttle is None:
            return
        wait = min(self._throttle.wait(self._origin_key, self._clock()), self._run_left())
        if wait > 0:
            self._sleep(wait)

    def _run_left(self) -> float:
        return float("inf") if self.stop_at is None else self.stop_at - self._clock()

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        content: bytes | None,
        where: str,
        allow_empty: bool,
    ) -> Answer:
        run_left = self._run_left()
        if run_left <= 0:
            raise _Failure(
                self._error(f"{where}: not sent, the run's --timeout is reached"),
                retry=False,
                sent=False,
            )
        allowed = min(self.request_timeout, run_left)
        _deadline.at = time.monotonic() + allowed
        _deadline.connected = False
        try:
            request = self._http.build_request(method, path, params=query, content=content)
            for _ in range(MAX_REDIRECTS + 1):
                response = self._send(request, where, allowed)
                try:
                    if response.status_code in REDIRECT_STATUSES:
                        request = self._redirect(request, response, where)
                        continue
                    return self._answer(response, where, allow_empty, allowed)
                finally:
                    response.close()
        finally:
            _deadline.at = None
        raise _Failure(
            self._error(f"{where}: redirect loop: more than {MAX_REDIRECTS} redirects"),
            retry=False,
        )

    def _send(self, request: httpx.Request, where: str, allowed: float) -> httpx.Response:
        try:
            return self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            message, retry, sent = self._explain(exc, request.method == "GET", allowed)
            raise _Failure(self._error(f"{where}: {message}"), retry, sent=sent) from exc

    def _redirect(
        self, request: httpx.Request, response: httpx.Response, where: str
    ) -> httpx.Request:
        """The next hop: same origin only, signed again (``send`` applies the auth each time)."""
        status = response.status_code
        location = response.headers.get("Location", "")
        if not location:
            raise _Failure(self._error(f"{where}: HTTP {status} without a Location"), retry=False)
        try:
            url = request.url.join(location)
            check_signable(str(url))  # a bad percent-escape would fail inside the signer
        except (httpx.InvalidURL, ValueError):
            raise _Failure(
                self._error(f"{where}: HTTP {status} to an unusable Location"), retry=False
            ) from None
        if (url.scheme, url.host, url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            # The token and security token would go along to the other host.
            raise _Failure(
                self._error(
                    f"{where}: redirected to another origin "
                    f"({url.scheme}://{url.netloc.decode('ascii', 'replace')}); "
                    "refusing to send the credentials there"
                ),
                retry=False,
            )
        if request.method == "GET" or status in (307, 308):
            return self._http.build_request(request.method, url, content=request.content)
        # A 301/302/303 would turn the POST into a GET: the check may or may not have started.
        raise _Failure(
            self._error(f"{where}: HTTP {status} redirect of the POST is not followed"),
            retry=False,
        )

    def _answer(
        self, response: httpx.Response, where: str, allow_empty: bool, allowed: float
    ) -> Answer:
        status = response.status_code
        if not 200 <= status < 300:
            body = self._body(response, where, allowed, limit=_ERROR_BODY, clip=True)
            ambiguous = response.request.method != "GET" and status in AMBIGUOUS_STATUSES
            retry = status == 429 or (status in RETRY_STATUSES and not ambiguous)
            raise _Failure(
                self._error(
                    f"{where}: {_status_line(response, body)}", _body_details(response, body)
                ),
                retry=retry,
                retry_after=_retry_after(response.headers.get("Retry-After")),
                # a 429 is a refusal: the check was not started
                sent=status != 429,
                unclear=ambiguous,
                status=status,
            )
        body = self._body(response, where, allowed, limit=self.max_body)
        request_id = response.headers.get("X-Request-Id", "")
        if not body.strip():
            if allow_empty:
                return Answer(status, body, None, request_id)
            raise _Failure(self._error(f"{where}: HTTP {status} with an empty body"), retry=False)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Failure(
                self._error(f"{where}: HTTP {status} but {_not_json(response, body, exc)}"),
                retry=False,
            ) from None
        except RecursionError:
            raise _Failure(
                self._error(f"{where}: HTTP {status} but the JSON is nested too deeply to read"),
                retry=False,
            ) from None
        return Answer(status, body, data, request_id)

    def _body(
        self,
        response: httpx.Response,
        where: str,
        allowed: float,
        *,
        limit: int,
        clip: bool = False,
    ) -> bytes:
        """The decoded body, at most ``limit`` bytes (``clip``: what fits, else an error)."""
        status = response.status_code
        declared = response.headers.get("Content-Length", "").strip()
        if not clip and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise _Failure(
                self._error(
                    f"{where}: HTTP {status} announces {int(declared)} bytes, more than the "
                    f"{limit}-byte limit (GATE_MAX_RESPONSE_BYTES); not read"
                ),
                retry=False,
            )
        decoder = _decoder(response.headers.get("Content-Encoding", ""))
        if decoder is None:
            raise _Failure(
                self._error(
                    f"{where}: HTTP {status} in an encoding gate did not ask for "
                    f"(Content-Encoding {_one_line(response.headers['Content-Encoding'], 40)})"
                ),
                retry=False,
            )
        parts: list[bytes] = []
        size = 0
        try:
            for raw in response.iter_raw(_CHUNK):
                piece = decoder.feed(raw, limit - size + 1)
                size += len(piece)
                parts.append(piece)
                if size > limit:
                    if clip:
                        return b"".join(parts)[:limit]
                    raise _Failure(
                        self._error(
                            f"{where}: HTTP {status} body is larger than the {limit}-byte limit "
                            "(GATE_MAX_RESPONSE_BYTES); stopped reading"
                        ),
                        retry=False,
                    )
        except httpx.HTTPError as exc:
            message, retry, _ = self._explain(exc, response.request.method == "GET", allowed)
            raise _Failure(self._error(f"{where}: {message}"), retry) from exc
        except zlib.error:
            raise _Failure(
                self._error(f"{where}: HTTP {status} body does not decompress"), retry=False
            ) from None
        return b"".join(parts)

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

    def _explain(
        self, exc: httpx.HTTPError, idempotent: bool, allowed: float
    ) -> tuple[str, bool, bool]:
        """A one-line reason for a transport failure, whether trying again may help, and whether
        the request may have reached the server."""
        host = self._origin.netloc.decode("ascii", "replace")
        via = f" through the proxy {self._proxy}" if self._proxy else ""
        tls = _tls_cause(exc)
        if tls is not None:
            return _tls_message(host, tls) + via, False, False
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connecting to {host}{via} timed out", True, False
        if isinstance(exc, httpx.ProxyError):
            return f"the proxy {self._proxy or ''} failed: {_reason(exc)}", True, False
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect to {host}{via}: {_reason(exc)}", True, False
        if isinstance(exc, httpx.WriteError | httpx.WriteTimeout):
            # the server cannot act on a request it did not receive in full
            return f"sending to {host}{via} failed: {_reason(exc)}", True, False
        if isinstance(exc, httpx.TimeoutException):
            within = f"{allowed:.1f}".rstrip("0").rstrip(".")
            return f"no complete answer from {host}{via} within {within} s", idempotent, True
        if isinstance(exc, httpx.RemoteProtocolError):
            text = _reason(exc)
            if "without sending a response" in text and not getattr(_deadline, "connected", True):
                # A kept-alive connection the server had closed while idle: the request never
                # reached it, so it goes out again on a fresh connection, a POST too.
                return f"the idle connection was closed by {host}", True, False
            if "incomplete" in text or "expected" in text or "complete message body" in text:
                return f"the answer was cut short (truncated body): {text}", idempotent, True
            return f"the connection broke: {text}", idempotent, True
        if isinstance(exc, httpx.NetworkError):
            return f"network error talking to {host}{via}: {_reason(exc)}", idempotent, True
        if isinstance(exc, httpx.DecodingError):
            return f"the answer could not be decoded: {_reason(exc)}", False, True
        return f"{type(exc).__name__}: {_reason(exc)}", False, True

    def _error(self, message: str, details: tuple[str, ...] = ()) -> ApiError:
        return ApiError(redaction.scrub(message), tuple(redaction.scrub(d) for d in details))

    def _show(self, path: str, query: Mapping[str, str]) -> str:
        url = self._origin.copy_with(path=self._origin.path.rstrip("/") + path)
        if query:
            url = url.copy_merge_params(dict(query))
        return str(url)


def _proxy_for(url: httpx.URL) -> str:
    """The proxy httpx takes from the environment for ``url``, without any user info."""
    proxies = urllib.request.getproxies_environment()
    host = url.host
    if not proxies or urllib.request.proxy_bypass(host):
        return ""
    proxy = proxies.get(url.scheme) or proxies.get("all") or ""
    if not proxy:
        return ""
    try:
        parsed = httpx.URL(proxy if "://" in proxy else f"http://{proxy}")
    except (httpx.InvalidURL, ValueError):
        return "(from the environment)"
    if parsed.password:
        redaction.register(parsed.password)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


# --- content decoding under a cap ------------------------------------------------------------


class _Identity:
    def feed(self, data: bytes, room: int) -> bytes:
        return data


class _Inflate:
    """gzip or deflate, never producing more than ``room`` bytes per call."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflate.decompress(data, room)
        except zlib.error:
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            # "deflate" sometimes means raw deflate without the zlib header (as httpx allows)
            self._wbits = -zlib.MAX_WBITS
            self._inflate = zlib.decompressobj(self._wbits)
            out = self._inflate.decompress(data, room)
        self._started = True
        # When the cap is reached, ``out`` is ``room`` bytes long: the caller sees it is over.
        return out


def _decoder(encoding: str) -> _Identity | _Inflate | None:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Inflate(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Inflate(zlib.MAX_WBITS)
    return None


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
    except RecursionError:
        return "", "a JSON body nested too deeply to read", ""
    if not isinstance(data, dict):
        return "", f"JSON body: {_one_line(body.decode('utf-8', 'replace'))}", ""
    code, message = error_fields(data)
    extra = _first(data, "message")
    if not message:
        message = extra
    elif extra and extra not in message:
        message = f"{message}: {extra}"
    if not message and not code:
        message = f"JSON body: {_one_line(body.decode('utf-8', 'replace'))}"
    return code, message, _first(data, "request_id")


def error_fields(data: Mapping[str, Any]) -> tuple[str, str]:
    """(error code, error message) by the Huawei key names; empty when there are none."""
    return _first(data, "error_code", "errorCode", "code"), _first(
        data, "error_msg", "errorMessage"
    )


def _first(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return _one_line(str(value))
    return ""


def _status_line(response: httpx.Response, body: bytes) -> str:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    code, message, body_request_id = describe_error_body(
        body, response.headers.get("Content-Type", "")
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


def _body_details(response: httpx.Response, body: bytes) -> tuple[str, ...]:
    if not body.strip() or _looks_html(body, response.headers.get("Content-Type", "")):
        return ()
    return (f"response body: {_one_line(body.decode('utf-8', 'replace'), 1000)}",)


_DELAY_SECONDS = re.compile(r"[0-9]{1,9}", re.ASCII)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Anything else (other scripts' digits, signs, fractions, ten digits or more, a date that does
    not parse) is ignored: the usual backoff applies.
    """
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    if not value.isascii():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _not_json(response: httpx.Response, body: bytes, exc: Exception) -> str:
    content_type = response.headers.get("Content-Type", "")
    if _looks_html(body, content_type):
        return f"the body is {_summary(body, content_type)}, not JSON"
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
    return cut(one_line(text), limit)


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


# OpenSSL verify codes -> (which check failed, what the user can do)
_CA_HINT = "pass the CA bundle (PEM) with --ca-bundle PATH; verification is never turned off"
_TLS_CHECKS = {
    2: ("unknown CA", _CA_HINT),
    9: ("not yet valid", "check the clock of this machine and the server's certificate"),
    10: ("expired", "the server's certificate must be renewed; a CA bundle does not help"),
    18: ("self-signed", _CA_HINT),
    19: ("self-signed CA in the chain", _CA_HINT),
    20: ("unknown CA", _CA_HINT),
    21: ("unknown CA", _CA_HINT),
    62: ("hostname mismatch", "the certificate is for another host: check --endpoint"),
    64: ("hostname mismatch", "the certificate is for another address: check --endpoint"),
}


def _tls_message(host: str, error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        why = error.verify_message or error.reason or "certificate verification failed"
        code = getattr(error, "verify_code", None)
        check, hint = _TLS_CHECKS.get(code or 0, ("not trusted", _CA_HINT))
        return f"TLS certificate of {host} not trusted ({check}: {why}); {hint}"
    reason = error.reason or _one_line(str(error), 120)
    hint = " (is the endpoint plain HTTP?)" if "WRONG_VERSION_NUMBER" in str(reason) else ""
    return f"TLS handshake with {host} failed: {reason}{hint}"
