"""A scripted fake of the Huawei Cloud CCE add-on check APIs, served over real HTTP(S).

The fake listens on ``127.0.0.1`` (port 0, so the OS picks a free port) with the standard
library's ``ThreadingHTTPServer`` in a daemon thread. It implements the three endpoints the gate
uses (see ``shared/spec/FACTS.md``):

* ``GET  /api/v3/addons?cluster_id=...``  (add-on instances)
* ``POST /api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck``  (start checks)
* ``GET  /api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck/tasks``  (results)

It authenticates with a token (``X-Auth-Token``) and/or AK/SK (``SDK-HMAC-SHA256``, verified by
recomputing the signature with the official ``huaweicloudsdkcore`` signer), plays each check task
through a per-add-on script on successive list polls, and injects faults (error statuses with
every known error-body style, delays, truncated bodies, HTML bodies, redirect loops, dropped
connections).

Use it as a context manager or through the ``fake_cce`` / ``fake_cce_tls`` pytest fixtures::

    def test_x(fake_cce: FakeCCE) -> None:
        fake_cce.scripts["coredns"] = [{"status": "Running", "riskList": []}, ...]
        fake_cce.faults.append(Fault(kind="status", match="tasks", code=503, style="html"))
        ... run the client against fake_cce.url ...
        assert fake_cce.requests[-1].path.endswith("/precheck/tasks")
"""

from __future__ import annotations

import copy
import gzip
import hmac
import json
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import traceback
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import unquote

import pytest
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

__all__ = [
    "APIG_AKSK_FAILURE",
    "APIG_TOKEN_FAILURE",
    "BodyStyle",
    "COREDNS_UID",
    "DEFAULT_CLUSTER_ID",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_SCRIPT",
    "EVEREST_UID",
    "HTML_BODY",
    "Fault",
    "FaultKind",
    "FakeCCE",
    "RecordedRequest",
    "apig_error_body",
    "cce_error_body",
    "error_body",
    "fake_cce_fixture",
    "fake_cce_tls_fixture",
    "mixed_error_body",
]

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

#: Defaults match the test vectors of FACTS.md section 5.2.
DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_CLUSTER_ID = "6ab9c9b4-0000-4000-8000-000000000001"
COREDNS_UID = "1d43577d-4b50-4723-b05b-2121f47cb219"
EVEREST_UID = "5b1f0c2e-7a9d-4c3e-8f10-2b6d9e4a7c11"

#: Body of every AK/SK failure (401): bad/missing Authorization, wrong signature, clock skew.
APIG_AKSK_FAILURE = (
    "APIGW.0301",
    "Incorrect IAM authentication information: verify aksk signature fail",
)
#: Body of every token failure (401): missing or wrong X-Auth-Token.
APIG_TOKEN_FAILURE = ("APIGW.0307", "The token must be updated.")

CCE_BAD_REQUEST = "CCE.01400001"
CCE_NOT_FOUND = "CCE.01404001"
CCE_METHOD_NOT_ALLOWED = "CCE.01405001"
CCE_INTERNAL = "CCE.01500001"

#: Script used for an add-on template with no entry in ``FakeCCE.scripts``.
DEFAULT_SCRIPT: list[dict[str, Any]] = [
    {"status": "Running", "riskList": []},
    {
        "status": "Success",
        "riskList": [
            {"riskName": "AddonStatus", "level": "Warning", "status": "Success", "message": ""},
            {"riskName": "AddonValidate", "level": "Fatal", "status": "Success", "message": ""},
        ],
    },
]

HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

TERMINAL_STATES = frozenset({"Failed", "Success"})
TASK_TYPES = frozenset({"addonUpgrade", "addonStatic"})
CST = timezone(timedelta(hours=8))
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_BODY = 8 * 1024 * 1024
MAX_CHUNKS = 10_000
JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html"

_K8S_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_APIG_DEFAULT_CODES = {401: APIG_AKSK_FAILURE[0], 429: "APIGW.0308"}

_AUTH_RE = re.compile(
    r"SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)"
)
_TASKS_RE = re.compile(r"/api/v3/projects/([^/]+)/clusters/([^/]+)/addons/precheck(/tasks)?")

# --------------------------------------------------------------------------------------------
# Error bodies
# --------------------------------------------------------------------------------------------


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _phrase(http_status: int) -> str:
    try:
        return HTTPStatus(http_status).phrase
    except ValueError:
        return f"HTTP {http_status}"


def cce_error_body(message: str = "Bad request", error_code: str = CCE_BAD_REQUEST) -> bytes:
    """CCE's documented error body ``{"errorCode": ..., "errorMessage": ...}``."""
    return _dumps({"errorCode": error_code, "errorMessage": message})


def apig_error_body(error_code: str, error_msg: str, request_id: str) -> bytes:
    """API gateway / IAM error body ``{"error_code", "error_msg", "request_id"}``."""
    return _dumps({"error_code": error_code, "error_msg": error_msg, "request_id": request_id})


def mixed_error_body(
    http_status: int,
    error_code: str,
    message: str,
    *,
    reason: str | None = None,
    detail: str | None = None,
    request_id: str = "",
) -> bytes:
    """Both code/message pairs plus Kubernetes ``Status`` fields (as seen in the wild).

    ``detail`` (default: ``message``) goes into the Kubernetes ``message`` field.
    """
    return _dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": detail if detail is not None else message,
            "reason": reason or _K8S_REASONS.get(http_status, "Unknown"),
            "code": http_status,
            "errorCode": error_code,
            "errorMessage": message,
            "error_code": error_code,
            "error_msg": message,
            "request_id": request_id,
        }
    )


BodyStyle = Literal["cce", "apig", "mixed", "html", "empty"]
BODY_STYLES: tuple[str, ...] = ("cce", "apig", "mixed", "html", "empty")


def error_body(
    style: BodyStyle,
    http_status: int,
    *,
    error_code: str | None = None,
    message: str | None = None,
    reason: str | None = None,
    request_id: str = "",
) -> tuple[bytes, str | None]:
    """Build an error body of ``style``; returns ``(body, content_type or None)``.

    Default codes: CCE style ``CCE.01<status>001`` (e.g. ``CCE.01400001``); APIG style
    ``APIGW.0301`` for 401, ``APIGW.0308`` for 429, else ``APIGW.0000`` (a placeholder: pass
    ``error_code`` when the value matters). Default message: the HTTP reason phrase.
    """
    msg = message if message is not None else _phrase(http_status)
    if style == "cce":
        return cce_error_body(msg, error_code or f"CCE.01{http_status:03d}001"), JSON_TYPE
    if style == "apig":
        code = error_code or _APIG_DEFAULT_CODES.get(http_status, "APIGW.0000")
        return apig_error_body(code, msg, request_id), JSON_TYPE
    if style == "mixed":
        code = error_code or f"CCE.01{http_status:03d}001"
        return mixed_error_body(
            http_status, code, msg, reason=reason, request_id=request_id
        ), JSON_TYPE
    if style == "html":
        phrase = f"{http_status} {_phrase(http_status)}"
        html = (
            f"<html>\r\n<head><title>{phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return html.encode(), HTML_TYPE
    if style == "empty":
        return b"", None
    raise ValueError(f"unknown body style {style!r}; expected one of {BODY_STYLES}")


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------

FaultKind = Literal[
    "status",
    "delay",
    "truncate",
    "not_json",
    "redirect_loop",
    "close",
    "trickle",
    "bomb",
    "huge_length",
    "echo",
    "redirect",
]
FAULT_KINDS: tuple[str, ...] = (
    "status",
    "delay",
    "truncate",
    "not_json",
    "redirect_loop",
    "close",
    "trickle",
    "bomb",
    "huge_length",
    "echo",
    "redirect",
)

#: ``Fault.match`` aliases -> path suffix.
MATCH_ALIASES = {
    "tasks": "/addons/precheck/tasks",
    "precheck": "/addons/precheck",
    "addons": "/api/v3/addons",
}

#: httpx's default max_redirects (20) + the first request.
REDIRECT_LOOP_TIMES = 21

_TRUNCATE_DEFAULT = _dumps(
    {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "pageInfo": {"currentCount": 1},
        "items": [
            {
                "metadata": {
                    "type": "addonUpgrade",
                    "taskID": "8ca259cc-553b-11e9-926f-0255ac101a31",
                    "addonTemplateName": "coredns",
                    "createTimeStamp": "2025-08-05T17:10:44.648388+08:00",
                },
                "status": {"status": "Running", "message": "", "riskList": []},
            }
        ],
    }
)


@dataclass
class Fault:
    """One injected fault, consumed by the next request(s) it matches (first match in list order).

    Matching: ``match`` is ``None`` (any request), an alias ``"tasks"``, ``"precheck"``,
    ``"addons"`` or any other path suffix; ``method`` (optional) must equal the request method.
    A fault applies to ``times`` matching requests (default 1; ``redirect_loop`` defaults to 21 so
    that httpx's default ``max_redirects=20`` gives up exactly when it is used up), then it is
    removed from ``FakeCCE.faults``. Faults act before authentication and routing; the request
    is still recorded in ``FakeCCE.requests``.

    Kinds and their parameters:

    * ``status``: answer ``code`` with a body: ``body`` (exact bytes, with ``content_type``) or
      else one built by :func:`error_body` from ``style`` (``cce``, ``apig``, ``mixed``,
      ``html``, ``empty``), ``error_code``, ``message``, ``reason``. ``retry_after`` sets a
      ``Retry-After`` header; ``headers`` adds any others.
    * ``delay``: wait ``seconds`` then handle the request normally (auth, routing, scripts). If
      the fake stops while waiting, the connection is closed without an answer.
    * ``truncate``: 200 with ``Content-Length`` of the full JSON body (``body`` or a canned task
      list), send only the first half, close the connection.
    * ``not_json``: 200 with an HTML body (``body`` or :data:`HTML_BODY`), ``content_type``
      default ``text/html``.
    * ``redirect_loop``: 302 with ``Location`` = the same absolute URL (path and query).
    * ``close``: close the connection without sending anything.
    * ``trickle``: answer normally, but send ``part`` (``"headers"`` or ``"body"``) one byte
      every ``seconds``; stops when the client goes away or the fake stops.
    * ``bomb``: 200 whose ``Content-Encoding`` (``encoding``: ``gzip`` or ``deflate``) body
      decodes to ``size`` bytes of a JSON-looking string.
    * ``huge_length``: 200 declaring ``Content-Length: size``, sending a few bytes, closing.
    * ``echo``: ``code`` with an APIG error body that echoes every request header (as JSON and
      as ``Name: value`` text), as misconfigured gateways do.
    * ``redirect``: ``code`` (default 302 when ``code`` is 500) to ``location`` (default: the
      same path with ``moved=1`` added to the query), then handled normally.

    ``after=True`` (``status`` only): handle the request first (a POST creates its tasks), then
    answer with the fault's status instead: the ambiguous gateway error.
    """

    kind: FaultKind = "status"
    match: str | None = None
    method: str | None = None
    code: int = 500
    style: BodyStyle = "cce"
    error_code: str | None = None
    message: str | None = None
    reason: str | None = None
    body: bytes | None = None
    content_type: str | None = None
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    times: int | None = None
    part: Literal["headers", "body"] = "body"
    size: int = 0
    encoding: str = "gzip"
    location: str | None = None
    after: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.style not in BODY_STYLES:
            raise ValueError(f"unknown body style {self.style!r}; expected one of {BODY_STYLES}")
        if not 0 <= self.seconds <= 120:
            raise ValueError("Fault.seconds must be within [0, 120]")
        if self.times is None:
            self.times = REDIRECT_LOOP_TIMES if self.kind == "redirect_loop" else 1
        if self.times < 1:
            raise ValueError("Fault.times must be >= 1")
        if not 100 <= self.code <= 599:
            raise ValueError("Fault.code must be an HTTP status code")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.match is None:
            return True
        return path.endswith(MATCH_ALIASES.get(self.match, self.match))


def _bomb(size: int, encoding: str) -> bytes:
    """A small body that decodes to ``size`` bytes: a JSON string that never seems to end."""
    plain = b'{"items": "' + b"A" * max(0, size)
    if encoding == "gzip":
        return gzip.compress(plain, compresslevel=9)
    return zlib.compress(plain, 9)


# --------------------------------------------------------------------------------------------
# Request log
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received.

    ``path`` is percent-decoded and without the query; ``raw_target`` is the request target
    exactly as sent. ``query`` maps each decoded key to its last value (``query_items`` keeps
    all pairs in order). ``headers`` has lower-cased names (last value wins); ``raw_headers``
    keeps names as sent, in order, with duplicates.
    """

    method: str
    path: str
    raw_target: str
    query: dict[str, str]
    query_items: list[tuple[str, str]]
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    request_id: str

    def json(self) -> Any:
        return json.loads(self.body)


def _parse_query(raw: str) -> list[tuple[str, str]]:
    """Split a query string; ``%XX`` is decoded, ``+`` is kept literally (not a space)."""
    items: list[tuple[str, str]] = []
    if not raw:
        return items
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        items.append((unquote(key), unquote(value)))
    return items


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


def _rfc3339(t: datetime) -> str:
    return t.astimezone(CST).isoformat(timespec="microseconds")


_DEFAULT_MESSAGES = {
    "Init": "",
    "Running": "Addon task is checking",
    "Failed": "Addon task check finish",
    "Success": "Addon task check finish",
}
_RESERVED_ENTRY_KEYS = frozenset({"status", "message", "riskList"})


@dataclass
class _Task:
    metadata: dict[str, Any]
    spec: dict[str, Any]
    script: list[dict[str, Any]]
    polls: int = 0
    expire: str | None = None

    def matches(self, type_: str | None, task_id: str | None, instance_id: str | None) -> bool:
        return _metadata_matches(self.metadata, type_, task_id, instance_id)

    def render_and_advance(self, now: datetime) -> dict[str, Any]:
        entry = self.script[min(self.polls, len(self.script) - 1)]
        self.polls += 1
        state = entry.get("status")
        status: dict[str, Any] = {
            "status": state,
            "message": entry.get("message", _DEFAULT_MESSAGES.get(str(state), "")),
        }
        if "riskList" in entry:
            status["riskList"] = copy.deepcopy(entry["riskList"])
        for key, value in entry.items():
            if key not in _RESERVED_ENTRY_KEYS:
                status[key] = copy.deepcopy(value)
        metadata = dict(self.metadata)
        if state in TERMINAL_STATES:
            if self.expire is None:
                self.expire = _rfc3339(now + timedelta(hours=1))
            metadata["expireTimeStamp"] = self.expire
        item: dict[str, Any] = {"metadata": metadata}
        if self.spec:
            item["spec"] = dict(self.spec)
        item["status"] = status
        return item


def _metadata_matches(
    metadata: Any, type_: str | None, task_id: str | None, instance_id: str | None
) -> bool:
    if not isinstance(metadata, dict):
        return type_ is None and task_id is None and instance_id is None
    if type_ is not None and metadata.get("type") != type_:
        return False
    if task_id is not None and metadata.get("taskID") != task_id:
        return False
    return instance_id is None or metadata.get("addonInstanceID") == instance_id


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _BadRequest(Exception):
    pass


Response = tuple[int, bytes, str | None, dict[str, str]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeCCE/1.0"
    sys_version = ""
    timeout = 10  # idle keep-alive connections end after this; stop() ends them at once
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server
    _rid: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def setup(self) -> None:
        idle = self.server.fake.idle_timeout
        if idle is not None:
            self.timeout = idle  # type: ignore[assignment]
        super().setup()
        self.server.track_connection(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track_connection(self.connection, add=False)

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        self.send_header("X-Request-Id", self._rid or uuid.uuid4().hex)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # -- helpers ---------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            for _ in range(MAX_CHUNKS):
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                except ValueError as exc:
                    raise _BadRequest("bad chunk size") from exc
                if size == 0:
                    for _ in range(100):  # trailers, ending with an empty line
                        if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
            raise _BadRequest("too many chunks")
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError as exc:
            raise _BadRequest("bad Content-Length") from exc
        if not 0 <= length <= MAX_BODY:
            raise _BadRequest("bad Content-Length")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise _BadRequest("short body")
        return body

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        *,
        content_length: int | None = None,
    ) -> None:
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header(
                "Content-Length", str(len(body) if content_length is None else content_length)
            )
            self.end_headers()
            if body:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self) -> None:
        fake = self.server.fake
        self._rid = rid = uuid.uuid4().hex
        try:
            try:
                body = self._read_body()
            except _BadRequest as exc:
                self.close_connection = True
                self._send(400, cce_error_body(str(exc)), JSON_TYPE)
                return
            target = self.path
            raw_path, _, raw_query = target.partition("?")
            query_items = _parse_query(raw_query)
            raw_headers = list(self.headers.items())
            rec = RecordedRequest(
                method=self.command,
                path=unquote(raw_path),
                raw_target=target,
                query=dict(query_items),
                query_items=query_items,
                headers={k.lower(): v for k, v in raw_headers},
                raw_headers=raw_headers,
                body=body,
                request_id=rid,
            )
            fake._record(rec)
            fault = fake._take_fault(rec.method, rec.path)
            if fault is not None and not fault.after and self._apply_fault(fault, rec):
                return
            try:
                status, out, ctype, headers = fake._handle(rec, raw_path, self._scheme)
            except Exception:
                tb = traceback.format_exc()
                fake._note_error(tb)
                status, out, ctype, headers = 500, _dumps({"fake_error": tb}), JSON_TYPE, {}
            if fault is not None and fault.after:
                self._apply_fault(fault, rec)
            elif fault is not None and fault.kind == "trickle":
                self._trickle(fault, status, out, ctype, headers)
            else:
                self._send(status, out, ctype, headers)
        finally:
            self._rid = None

    @property
    def _scheme(self) -> str:
        return "https" if self.server.ssl_context is not None else "http"

    def _apply_fault(self, fault: Fault, rec: RecordedRequest) -> bool:
        """Apply ``fault``; True if the request is fully handled."""
        rid = rec.request_id
        if fault.kind == "status":
            if fault.body is not None:
                body, ctype = fault.body, fault.content_type
            else:
                body, ctype = error_body(
                    fault.style,
                    fault.code,
                    error_code=fault.error_code,
                    message=fault.message,
                    reason=fault.reason,
                    request_id=rid,
                )
                ctype = fault.content_type or ctype
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            self._send(fault.code, body, ctype, headers)
            return True
        if fault.kind == "delay":
            if self.server.fake._stopping.wait(fault.seconds):
                self._drop()
                return True
            return False
        if fault.kind == "truncate":
            body = fault.body if fault.body is not None else _TRUNCATE_DEFAULT
            part = body[: max(1, len(body) // 2)]
            self._send(
                200,
                part,
                fault.content_type or JSON_TYPE,
                dict(fault.headers),
                content_length=max(len(body), len(part) + 1),
            )
            self._drop()
            return True
        if fault.kind == "not_json":
            body = fault.body if fault.body is not None else HTML_BODY
            self._send(200, body, fault.content_type or HTML_TYPE, dict(fault.headers))
            return True
        if fault.kind == "redirect_loop":
            headers = {"Location": f"{self.server.fake.url}{rec.raw_target}", **fault.headers}
            self._send(302, b"", None, headers)
            return True
        if fault.kind == "redirect":
            sep = "&" if "?" in rec.raw_target else "?"
            location = fault.location or f"{rec.raw_target}{sep}moved=1"
            self._send(302 if fault.code == 500 else fault.code, b"", None, {"Location": location})
            return True
        if fault.kind == "bomb":
            self._send(
                200,
                _bomb(fault.size, fault.encoding),
                JSON_TYPE,
                {"Content-Encoding": fault.encoding},
            )
            return True
        if fault.kind == "huge_length":
            self._send(200, b'{"items": [', JSON_TYPE, content_length=fault.size)
            self._drop()
            return True
        if fault.kind == "echo":
            echoed = dict(rec.raw_headers)
            text = "; ".join(f"{name}: {value}" for name, value in rec.raw_headers)
            body = _dumps(
                {
                    "error_code": "APIGW.0301",
                    "error_msg": f"rejected request with headers {text}",
                    "request_headers": echoed,
                    "request_id": rid,
                }
            )
            self._send(fault.code, body, JSON_TYPE)
            return True
        if fault.kind == "trickle":
            return False  # answered by _dispatch once the answer is known
        # close
        self._drop()
        return True

    def _trickle(
        self, fault: Fault, status: int, body: bytes, ctype: str | None, headers: dict[str, str]
    ) -> None:
        """Send the answer with ``fault.part`` one byte every ``fault.seconds``."""
        head = [f"HTTP/1.1 {status} {_phrase(status)}", f"Content-Length: {len(body)}"]
        head += [f"Content-Type: {ctype}"] if ctype else []
        head += [f"{name}: {value}" for name, value in headers.items()]
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode()
        slow, fast = (raw_head, b"") if fault.part == "headers" else (body, raw_head)
        self.close_connection = True
        try:
            self.wfile.write(fast)
            self.wfile.flush()
            for index in range(len(slow)):
                if self.server.fake._stopping.wait(fault.seconds):
                    break
                self.wfile.write(slow[index : index + 1])
                self.wfile.flush()
            if fault.part == "headers":
                self.wfile.write(body)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # we track and join handler threads ourselves (bounded)
    allow_reuse_address = False

    def __init__(self, fake: FakeCCE, ssl_context: ssl.SSLContext | None) -> None:
        self.fake = fake
        self.ssl_context = ssl_context
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handler_threads: list[threading.Thread] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="fake-cce-connection",
            daemon=True,
        )
        with self._lock:
            self._handler_threads = [t for t in self._handler_threads if t.is_alive()]
            self._handler_threads.append(thread)
        thread.start()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(5)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as exc:  # handshake failed; wrap_socket closed the socket
            self.fake._note_tls_failure(exc)
            return
        try:
            _Handler(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | ValueError):  # resets, timeouts, closed TLS sockets
            return
        self.fake._note_error(traceback.format_exc())

    def track_connection(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def drop_connections_and_join(self, timeout: float) -> None:
        with self._lock:
            conns = list(self._connections)
            threads = list(self._handler_threads)
        for conn in conns:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass
        per_thread = timeout / max(1, len(threads))
        for thread in threads:
            thread.join(per_thread)


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


def _default_addons() -> list[dict[str, Any]]:
    return [
        {"name": "coredns", "uid": COREDNS_UID, "version": "1.29.4", "status": "running"},
        {"name": "everest", "uid": EVEREST_UID, "version": "2.4.38", "status": "running"},
    ]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FakeCCE:
    """Scripted CCE API on 127.0.0.1 (see the module docstring and the attributes below).

    Configuration (plain attributes; set them before or during a run):

    * ``project_id``, ``cluster_id``: the only ones served; others get 404 with a CCE body.
    * ``token``: if set, ``X-Auth-Token`` must equal it (else 401 APIGW.0307).
    * ``ak``/``sk`` (+ ``security_token``): if set, AK/SK signatures are verified with the
      official signer (else 401 APIGW.0301). With both token and AK/SK set, a request with an
      ``Authorization`` header is checked as AK/SK, otherwise as token. With neither, no auth.
    * ``clock``: returns the current aware datetime (used for skew checks and timestamps).
    * ``max_clock_skew``: allowed ``X-Sdk-Date`` offset (default 15 minutes).
    * ``addons``: instances ``{"name", "uid", "version", "status"}`` (+ optional ``reason``,
      ``message``, ``values``, ``creationTimestamp``).
    * ``scripts``: template name -> list of task states for successive list polls;
      ``default_script`` for the others. Copied into a task when it is created.
    * ``preexisting_tasks``: task objects listed as-is (before created tasks).
    * ``create_status`` (201), ``create_response_style`` (``"items"`` | ``"phase"``),
      ``raw_create_body`` (bytes override; tasks are still created).
    * ``raw_list_body``: bytes served for every task list (scripts do not advance).
    * ``empty_items``: task list with no task: ``"list"`` (``[]``), ``"null"`` or ``"omit"``.
    * ``faults``: list of :class:`Fault`.
    * ``idle_timeout``: seconds after which an idle keep-alive connection is closed by the fake.
    * ``created_target_version``: created tasks report this ``addonTargetVersion`` instead of
      the one asked for (a check for another version).
    * ``vanish_after_polls``: a created task is no longer listed once it was listed this often.

    Observations: ``requests`` (list of :class:`RecordedRequest`), ``signature_failures``
    (consecutive AK/SK failures, reset by a good signature), ``auth_failures`` (reason strings),
    ``tls_failures``, ``errors`` (tracebacks of bugs inside the fake; also answered as 500),
    ``tasks`` (snapshot of created tasks).
    """

    def __init__(
        self,
        *,
        tls: bool = False,
        project_id: str = DEFAULT_PROJECT_ID,
        cluster_id: str = DEFAULT_CLUSTER_ID,
        token: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        security_token: str | None = None,
        cert_names: tuple[str, ...] = ("127.0.0.1", "localhost"),
        cert_expired: bool = False,
    ) -> None:
        self.tls = tls
        # TLS: the names the server certificate is for, and whether it has expired
        self.cert_names = cert_names
        self.cert_expired = cert_expired
        self.project_id = project_id
        self.cluster_id = cluster_id
        self.token = token
        self.ak = ak
        self.sk = sk
        self.security_token = security_token
        self.clock: Callable[[], datetime] = _utcnow
        self.max_clock_skew = timedelta(minutes=15)
        self.addons: list[dict[str, Any]] = _default_addons()
        self.scripts: dict[str, list[dict[str, Any]]] = {}
        self.default_script: list[dict[str, Any]] = copy.deepcopy(DEFAULT_SCRIPT)
        self.preexisting_tasks: list[dict[str, Any]] = []
        self.create_status = 201
        self.create_response_style: Literal["items", "phase"] = "items"
        self.raw_create_body: bytes | None = None
        self.raw_list_body: bytes | None = None
        self.empty_items: Literal["list", "null", "omit"] = "list"
        self.faults: list[Fault] = []
        self.idle_timeout: float | None = None
        self.created_target_version: str | None = None
        self.vanish_after_polls: int | None = None
        self.signature_failures = 0
        self.auth_failures: list[str] = []
        self.tls_failures = 0
        self.errors: list[str] = []
        self.ca_pem_path: str | None = None

        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._tasks: list[_Task] = []
        self._last_ts: datetime | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._url: str | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> FakeCCE:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (``https://`` with ``tls=True``)."""
        if self._url is None:
            raise RuntimeError("FakeCCE is not started")
        return self._url

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT`` (the Host header a client sends)."""
        return self.url.split("://", 1)[1]

    def start(self) -> FakeCCE:
        if self._server is not None:
            return self
        self._stopping.clear()
        ssl_context = self._make_tls_context() if self.tls else None
        server = _Server(self, ssl_context)
        port = server.server_address[1]
        self._url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.005},  # shutdown waits up to one interval
            name="fake-cce-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; bounded by ``timeout`` seconds; idempotent."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        self._stopping.set()
        server.shutdown()
        server.drop_connections_and_join(timeout)
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    shutdown = stop

    def _make_tls_context(self) -> ssl.SSLContext:
        import trustme  # only needed in TLS mode

        ca = trustme.CA()
        not_after = datetime.now(UTC) - timedelta(days=1) if self.cert_expired else None
        not_before = not_after - timedelta(days=30) if not_after is not None else None
        cert = ca.issue_cert(*self.cert_names, not_before=not_before, not_after=not_after)
        self._tmpdir = tempfile.mkdtemp(prefix="fake-cce-")
        self.ca_pem_path = f"{self._tmpdir}/ca.pem"
        ca.cert_pem.write_to_path(self.ca_pem_path)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        return ctx

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the fake's CA (TLS mode), e.g. for ``httpx.Client(verify=)``."""
        if self.ca_pem_path is None:
            raise RuntimeError("FakeCCE is not serving TLS")
        return ssl.create_default_context(cafile=self.ca_pem_path)

    # -- observations -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """Snapshot of created tasks: their metadata plus ``polls`` (list polls so far)."""
        with self._lock:
            return [{**copy.deepcopy(t.metadata), "polls": t.polls} for t in self._tasks]

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(rec)

    def _note_error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def _note_tls_failure(self, exc: BaseException) -> None:
        with self._lock:
            self.tls_failures += 1

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.matches(method, path):
                    fault.times = (fault.times or 1) - 1
                    if fault.times <= 0:
                        del self.faults[index]
                    return fault
        return None

    # -- request handling -------------------------------------------------------------------

    def _handle(self, rec: RecordedRequest, raw_path: str, scheme: str) -> Response:
        denied = self._authenticate(rec, raw_path, scheme)
        if denied is not None:
            return denied
        if rec.path == "/api/v3/addons":
            if rec.method != "GET":
                return self._cce(405, "method not allowed", CCE_METHOD_NOT_ALLOWED)
            return self._list_addons(rec)
        m = _TASKS_RE.fullmatch(rec.path)
        if m is None:
            return self._cce(404, f"resource not found: {rec.path}", CCE_NOT_FOUND)
        project_id, cluster_id, is_tasks = m.group(1), m.group(2), bool(m.group(3))
        if project_id != self.project_id:
            return self._cce(404, f"project {project_id} not found", CCE_NOT_FOUND)
        if cluster_id != self.cluster_id:
            return self._cce(404, f"cluster {cluster_id} not found", CCE_NOT_FOUND)
        if is_tasks:
            if rec.method != "GET":
                return self._cce(405, "method not allowed", CCE_METHOD_NOT_ALLOWED)
            return self._list_tasks(rec)
        if rec.method != "POST":
            return self._cce(405, "method not allowed", CCE_METHOD_NOT_ALLOWED)
        return self._create(rec)

    @staticmethod
    def _cce(status: int, message: str, code: str = CCE_BAD_REQUEST) -> Response:
        return status, cce_error_body(message, code), JSON_TYPE, {}

    @staticmethod
    def _ok(status: int, doc: Any) -> Response:
        return status, _dumps(doc), JSON_TYPE, {}

    # -- authentication ---------------------------------------------------------------------

    def _authenticate(self, rec: RecordedRequest, raw_path: str, scheme: str) -> Response | None:
        if self.token is None and self.ak is None:
            return None
        authorization = rec.headers.get("authorization")
        token = rec.headers.get("x-auth-token")
        if authorization is not None and self.ak is not None:
            return self._check_aksk(rec, raw_path, scheme)
        if token is not None and self.token is not None:
            if hmac.compare_digest(token.encode(), self.token.encode()):
                return None
            return self._deny_token(rec, "wrong X-Auth-Token")
        if self.ak is not None:
            return self._deny_aksk(rec, "no Authorization header")
        return self._deny_token(rec, "no X-Auth-Token header")

    def _deny_token(self, rec: RecordedRequest, reason: str) -> Response:
        with self._lock:
            self.auth_failures.append(f"token: {reason}")
        code, msg = APIG_TOKEN_FAILURE
        return 401, apig_error_body(code, msg, rec.request_id), JSON_TYPE, {}

    def _deny_aksk(self, rec: RecordedRequest, reason: str) -> Response:
        with self._lock:
            self.signature_failures += 1
            self.auth_failures.append(f"aksk: {reason}")
        code, msg = APIG_AKSK_FAILURE
        return 401, apig_error_body(code, msg, rec.request_id), JSON_TYPE, {}

    def _check_aksk(self, rec: RecordedRequest, raw_path: str, scheme: str) -> Response | None:
        reason = self._aksk_problem(rec, raw_path, scheme)
        if reason is not None:
            return self._deny_aksk(rec, reason)
        with self._lock:
            self.signature_failures = 0
        return None

    def _aksk_problem(self, rec: RecordedRequest, raw_path: str, scheme: str) -> str | None:
        """Why the AK/SK signature of ``rec`` is not acceptable (None when it is)."""
        m = _AUTH_RE.fullmatch(rec.headers.get("authorization", "").strip())
        if m is None:
            return "malformed Authorization header"
        access, signed_list, signature = m.group(1), m.group(2), m.group(3)
        if access != self.ak:
            return f"unknown access key {access!r}"
        names = signed_list.split(";")
        if "host" not in names or "x-sdk-date" not in names:
            return "SignedHeaders must include host and x-sdk-date"
        if names != sorted(set(names)) or any(n != n.lower() or "_" in n for n in names):
            return f"SignedHeaders {signed_list!r} not sorted, unique, lower-case, without '_'"
        if self.security_token is not None:
            if rec.headers.get("x-security-token") != self.security_token:
                return "missing or wrong X-Security-Token"
            if "x-security-token" not in names:
                return "X-Security-Token is not signed"
        sdk_date = rec.headers["x-sdk-date"] if "x-sdk-date" in rec.headers else None
        if sdk_date is None:
            return "no X-Sdk-Date header"
        try:
            when = datetime.strptime(sdk_date, SDK_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return f"bad X-Sdk-Date {sdk_date!r}"
        if abs(self.clock() - when) > self.max_clock_skew:
            return f"X-Sdk-Date {sdk_date} is more than {self.max_clock_skew} off"
        header_params: dict[str, str] = {}
        for name in names:
            if name not in rec.headers:
                return f"signed header {name!r} not sent"
            # The official signer looks these two up case-sensitively.
            key = {"content-type": "Content-Type", "x-sdk-content-sha256": "X-Sdk-Content-Sha256"}
            header_params[key.get(name, name)] = rec.headers[name]
        request = SdkRequest(
            method=rec.method,
            schema=scheme,
            host=rec.headers["host"],
            resource_path=raw_path,
            query_params=list(rec.query_items),
            header_params=header_params,
            body=rec.body,
        )
        if self.sk is None:
            return "fake has an AK but no SK"
        signed = Signer(SimpleNamespace(ak=self.ak, sk=self.sk)).sign(request)
        expected = _AUTH_RE.fullmatch(signed.header_params["Authorization"])
        if expected is None:  # pragma: no cover - the official signer's own format
            return "official signer produced an unexpected header"
        if expected.group(2) != signed_list:
            return f"SignedHeaders {signed_list!r} != recomputed {expected.group(2)!r}"
        if not hmac.compare_digest(expected.group(3), signature.lower()):
            return "signature mismatch"
        return None

    # -- endpoints --------------------------------------------------------------------------

    def _list_addons(self, rec: RecordedRequest) -> Response:
        cluster_id = rec.query.get("cluster_id")
        if not cluster_id:
            return self._cce(400, "cluster_id is required")
        if cluster_id != self.cluster_id:
            return self._cce(400, f"invalid cluster_id {cluster_id}")
        items = []
        for addon in list(self.addons):
            name, version = addon["name"], addon["version"]
            items.append(
                {
                    "kind": "Addon",
                    "apiVersion": "v3",
                    "metadata": {
                        "uid": addon["uid"],
                        "name": f"cceaddon-{name}",
                        "creationTimestamp": addon.get("creationTimestamp", "2025-08-01T02:00:00Z"),
                    },
                    "spec": {
                        "clusterID": self.cluster_id,
                        "version": version,
                        "addonTemplateName": name,
                        "values": copy.deepcopy(addon.get("values", {})),
                    },
                    "status": {
                        "status": addon.get("status", "running"),
                        "Reason": addon.get("reason", ""),
                        "message": addon.get("message", ""),
                        "currentVersion": {"version": version},
                    },
                }
            )
        return self._ok(200, {"kind": "Addon", "apiVersion": "v3", "items": items})

    @staticmethod
    def _validate_create(doc: Any, cluster_id: str) -> tuple[str | None, list[dict[str, Any]]]:
        if not isinstance(doc, dict):
            return "request body must be a JSON object", []
        if doc.get("kind") != "AddonCheck":
            return "kind must be AddonCheck", []
        if doc.get("apiVersion") != "v3":
            return "apiVersion must be v3", []
        spec = doc.get("spec")
        if not isinstance(spec, dict):
            return "spec is required", []
        if spec.get("clusterID") != cluster_id:
            return f"spec.clusterID must be {cluster_id}", []
        addon_list = spec.get("addonList")
        if not isinstance(addon_list, list) or not addon_list:
            return "spec.addonList must be a non-empty array", []
        for i, item in enumerate(addon_list):
            where = f"spec.addonList[{i}]"
            if not isinstance(item, dict):
                return f"{where} must be an object", []
            for key in ("addonTemplateName", "addonInstanceID", "type"):
                if not isinstance(item.get(key), str) or not item[key]:
                    return f"{where}.{key} is required", []
            if item["type"] not in TASK_TYPES:
                return f"{where}.type must be addonUpgrade or addonStatic", []
            target = item.get("targetVersion")
            if item["type"] == "addonUpgrade" and (not isinstance(target, str) or not target):
                return f"{where}.targetVersion is required for addonUpgrade", []
            if target is not None and not isinstance(target, str):
                return f"{where}.targetVersion must be a string", []
            if "values" in item and not isinstance(item["values"], dict):
                return f"{where}.values must be an object", []
        return None, addon_list

    def _next_timestamp(self) -> str:
        with self._lock:
            now = self.clock()
            if self._last_ts is not None and now <= self._last_ts:
                now = self._last_ts + timedelta(microseconds=1)
            self._last_ts = now
            return _rfc3339(now)

    def _create(self, rec: RecordedRequest) -> Response:
        try:
            doc = json.loads(rec.body)
        except ValueError:
            return self._cce(400, "request body is not valid JSON")
        problem, addon_list = self._validate_create(doc, self.cluster_id)
        if problem is not None:
            return self._cce(400, problem)
        instances = {a["uid"]: a for a in list(self.addons)}
        for item in addon_list:
            instance = instances.get(item["addonInstanceID"])
            if instance is None:
                return self._cce(400, f"addon instance {item['addonInstanceID']} not found")
            if instance["name"] != item["addonTemplateName"]:
                return self._cce(
                    400,
                    f"addon instance {item['addonInstanceID']} is not {item['addonTemplateName']}",
                )
        scripts = [
            copy.deepcopy(self.scripts.get(item["addonTemplateName"], self.default_script))
            for item in addon_list
        ]
        for item, script in zip(addon_list, scripts, strict=True):
            if not script:  # a test bug: answered as 500 and recorded in .errors
                raise ValueError(f"empty script for {item['addonTemplateName']!r}")
        created: list[dict[str, Any]] = []
        with self._lock:
            for item, script in zip(addon_list, scripts, strict=True):
                name = item["addonTemplateName"]
                metadata = {
                    "type": item["type"],
                    "taskID": str(uuid.uuid4()),
                    "addonTemplateName": name,
                    "addonInstanceName": f"cceaddon-{name}",
                    "addonInstanceID": item["addonInstanceID"],
                    "createTimeStamp": self._next_timestamp(),
                }
                target = self.created_target_version or item.get("targetVersion")
                spec = {"addonTargetVersion": target} if target else {}
                self._tasks.append(_Task(metadata=metadata, spec=spec, script=script))
                created.append(metadata)
        if self.raw_create_body is not None:
            return self.create_status, self.raw_create_body, JSON_TYPE, {}
        if self.create_response_style == "phase":
            status: dict[str, Any] = {"phase": "Running", "itemsStatus": []}
        else:
            status = {
                "items": [
                    {
                        "metadata": {
                            "taskID": m["taskID"],
                            "addonTemplateName": m["addonTemplateName"],
                            "addonInstanceID": m["addonInstanceID"],
                            "type": m["type"],
                        }
                    }
                    for m in created
                ]
            }
        return self._ok(
            self.create_status, {"kind": "AddonCheck", "apiVersion": "v3", "status": status}
        )

    def _list_tasks(self, rec: RecordedRequest) -> Response:
        if self.raw_list_body is not None:
            return 200, self.raw_list_body, JSON_TYPE, {}
        type_ = rec.query.get("type")
        task_id = rec.query.get("task_id")
        instance_id = rec.query.get("addon_instance_id")
        items: list[Any] = []
        for task in list(self.preexisting_tasks):
            metadata = task.get("metadata") if isinstance(task, dict) else None
            if _metadata_matches(metadata, type_, task_id, instance_id):
                items.append(copy.deepcopy(task))
        with self._lock:
            now = self.clock()
            for created in self._tasks:
                gone = self.vanish_after_polls is not None and (
                    created.polls >= self.vanish_after_polls
                )
                if created.matches(type_, task_id, instance_id) and not gone:
                    items.append(created.render_and_advance(now))
        doc: dict[str, Any] = {
            "kind": "AddonCheck",
            "apiVersion": "v3",
            "pageInfo": {"currentCount": len(items)},
        }
        if items or self.empty_items == "list":
            doc["items"] = items
        elif self.empty_items == "null":
            doc["items"] = None
        return self._ok(200, doc)


# --------------------------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(name="fake_cce")
def fake_cce_fixture() -> Iterator[FakeCCE]:
    """A started plain-HTTP :class:`FakeCCE` (no auth configured), stopped afterwards.

    Teardown fails if the fake itself crashed while answering (``errors`` not empty).
    """
    with FakeCCE() as fake:
        yield fake
    assert not fake.errors, "FakeCCE internal errors:\n" + "\n".join(fake.errors)


@pytest.fixture(name="fake_cce_tls")
def fake_cce_tls_fixture() -> Iterator[FakeCCE]:
    """A started HTTPS :class:`FakeCCE`; trust ``ca_pem_path`` / ``client_ssl_context()``."""
    with FakeCCE(tls=True) as fake:
        yield fake
    assert not fake.errors, "FakeCCE internal errors:\n" + "\n".join(fake.errors)
