"""The CCE API client over httpx.MockTransport: cases a real server cannot easily produce."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import FakeClock

from gate import redaction
from gate.api.auth import TokenAuth
from gate.api.client import (
    MAX_REDIRECTS,
    CceClient,
    Retry,
    Throttle,
    Unanswered,
    describe_error_body,
    tls_context,
)
from gate.errors import ApiError, ConfigError

BASE = "https://cce.ap-southeast-1.myhuaweicloud.com"
PROJECT = "0123456789abcdef0123456789abcdef"
CLUSTER = "6ab9c9b4-0000-4000-8000-000000000001"
TOKEN = "tok-SECRET-value-0123456789"
TASKS = f"/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/addons/precheck/tasks"
OK_BODY = {"kind": "AddonCheck", "apiVersion": "v3", "pageInfo": {"currentCount": 0}, "items": []}

Handler = Callable[[httpx.Request], httpx.Response]
# live mode registers its credentials the same way before the first request
redaction.register(TOKEN)


def make_client(
    handler: Handler,
    clock: FakeClock | None = None,
    retry: Retry | None = None,
    jitter: float = 1.0,
    base: str = BASE,
    on_retry: Callable[[str], None] | None = None,
    throttle: Throttle | None = None,
) -> CceClient:
    clock = clock or FakeClock()
    return CceClient(
        base,
        project_id=PROJECT,
        cluster_id=CLUSTER,
        auth=TokenAuth(TOKEN),
        retry=retry,
        transport=httpx.MockTransport(lambda request: streamed(handler(request))),
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: jitter,
        on_retry=on_retry,
        throttle=throttle,
    )


def streamed(answer: httpx.Response) -> httpx.Response:
    """A fresh copy whose body is still to be read: the client streams every body, as from a
    socket, and a response built in memory counts as read already (and may be given twice)."""
    return httpx.Response(
        answer.status_code, headers=answer.headers, stream=httpx.ByteStream(answer.content)
    )


def script(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving these answers in turn (the last one repeats); records the requests."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok() -> httpx.Response:
    return httpx.Response(200, json=OK_BODY)


def fail(client: CceClient, call: Callable[[CceClient], Any] | None = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        (call or (lambda c: c.list_tasks()))(client)
    error = caught.value
    assert "\n" not in error.message, "messages are one line"
    assert TOKEN not in error.message and all(TOKEN not in d for d in error.details)
    return error


# --- error bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"errorCode": "CCE.01400001", "errorMessage": "Bad request"},
            ("CCE.01400001", "Bad request", ""),
        ),
        (
            {
                "error_code": "APIGW.0301",
                "error_msg": "verify aksk signature fail",
                "request_id": "r1",
            },
            ("APIGW.0301", "verify aksk signature fail", "r1"),
        ),
        (
            {
                "kind": "Status",
                "message": "cluster is locked by another operation",
                "reason": "Conflict",
                "code": 409,
                "errorCode": "CCE.01409001",
                "errorMessage": "Conflict",
                "error_code": "CCE.01409001",
                "error_msg": "Conflict",
                "request_id": "r2",
            },
            ("CCE.01409001", "Conflict: cluster is locked by another operation", "r2"),
        ),
        (
            {"kind": "Status", "message": "not found", "code": 404},
            ("404", "not found", ""),
        ),
        ({"unexpected": True}, ("", 'JSON body: {"unexpected": true}', "")),
    ],
)
def test_error_body_variants(body: dict[str, Any], expected: tuple[str, str, str]) -> None:
    assert describe_error_body(json.dumps(body).encode(), "application/json") == expected


def test_error_body_html_empty_and_text() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    assert describe_error_body(html, "text/html") == ("", 'an HTML page ("502 Bad Gateway")', "")
    assert describe_error_body(b"  ", "") == ("", "empty body", "")
    code, message, _ = describe_error_body(b"upstream\nconnect error", "text/plain")
    assert (code, message) == ("", 'a text/plain body ("upstream connect error")')


def test_http_error_message_has_status_code_message_and_request_id() -> None:
    body = {
        "error_code": "APIGW.0301",
        "error_msg": "verify aksk signature fail",
        "request_id": "b",
    }
    handler, seen = script(httpx.Response(401, json=body, headers={"X-Request-Id": "hdr-id"}))
    error = fail(make_client(handler))
    assert len(seen) == 1, "a 401 is never retried"
    assert "HTTP 401 Unauthorized: APIGW.0301 verify aksk signature fail" in error.message
    assert "(request ID hdr-id)" in error.message, "the header wins over the body"
    assert error.message.startswith(f"GET {BASE}{TASKS}")
    assert error.exit_code == 4


def test_request_id_from_the_body_when_no_header() -> None:
    body = {"error_code": "APIGW.0101", "error_msg": "api not found", "request_id": "body-id"}
    handler, _ = script(httpx.Response(404, json=body))
    assert "(request ID body-id)" in fail(make_client(handler)).message


def test_raw_error_body_kept_in_details() -> None:
    body = {"errorCode": "CCE.01400001", "errorMessage": "Bad request", "extra": "x"}
    handler, _ = script(httpx.Response(400, json=body))
    error = fail(make_client(handler))
    assert error.details and '"extra":"x"' in error.details[0]


def test_html_error_is_one_line() -> None:
    html = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body></body></html>"
    handler, seen = script(httpx.Response(504, text=html, headers={"Content-Type": "text/html"}))
    error = fail(make_client(handler, retry=Retry(max_attempts=2)))
    assert len(seen) == 2
    assert 'HTTP 504 Gateway Timeout: an HTML page ("504 Gateway Time-out")' in error.message
    assert "gave up after 2 attempts" in error.message
    assert error.details == ()


def test_secrets_echoed_by_the_server_are_scrubbed() -> None:
    body = {"errorCode": "CCE.01400001", "errorMessage": f"bad token {TOKEN}"}
    handler, _ = script(httpx.Response(400, json=body))
    error = fail(make_client(handler))
    assert "<redacted>" in error.message


# --- retries ---------------------------------------------------------------------------------


def test_retries_503_then_succeeds_with_capped_exponential_backoff() -> None:
    clock = FakeClock()
    handler, seen = script(*[httpx.Response(503)] * 5, ok())
    client = make_client(handler, clock, Retry(first_delay=1, max_delay=4, budget=100))
    answer = client.list_tasks()
    assert answer.data == OK_BODY and len(seen) == 6
    assert clock.sleeps == [1, 2, 4, 4, 4]


def test_each_retry_is_announced() -> None:
    lines: list[str] = []
    handler, _ = script(httpx.Response(503), ok())
    make_client(handler, retry=Retry(first_delay=0.5), on_retry=lines.append).list_tasks()
    assert lines == [
        f"GET {BASE}{TASKS}: HTTP 503 Service Unavailable: empty body; "
        "retrying in 0.5 s (attempt 2 of 6)"
    ]


def test_jitter_keeps_at_least_half_the_backoff() -> None:
    clock = FakeClock()
    handler, _ = script(httpx.Response(502), httpx.Response(502), ok())
    client = make_client(handler, clock, Retry(first_delay=1, max_delay=8), jitter=0.0)
    client.list_tasks()
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retried_statuses(status: int) -> None:
    handler, seen = script(httpx.Response(status), ok())
    assert make_client(handler).list_tasks().status == 200
    assert len(seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
def test_other_statuses_are_not_retried(status: int) -> None:
    handler, seen = script(httpx.Response(status, json={"errorCode": "X", "errorMessage": "m"}))
    error = fail(make_client(handler))
    assert len(seen) == 1
    assert f"HTTP {status}" in error.message


def test_retry_after_seconds_is_honoured() -> None:
    clock = FakeClock()
    handler, _ = script(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    make_client(handler, clock).list_tasks()
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured() -> None:
    clock = FakeClock()
    date = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: no extra wait, but no crash either
    handler, _ = script(httpx.Response(503, headers={"Retry-After": date}), ok())
    make_client(handler, clock, Retry(first_delay=0.25)).list_tasks()
    assert clock.sleeps == [0.25]


def test_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    clock = FakeClock()
    handler, seen = script(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    error = fail(make_client(handler, clock, Retry(budget=60)))
    assert len(seen) == 1 and clock.sleeps == []
    assert "Retry-After 3600 s is beyond the 60 s retry budget" in error.message


def test_total_time_is_bounded() -> None:
    clock = FakeClock()
    handler, seen = script(httpx.Response(503))
    client = make_client(
        handler, clock, Retry(first_delay=4, max_delay=8, budget=20, max_attempts=99)
    )
    error = fail(client)
    assert sum(clock.sleeps) <= 20
    assert len(seen) == len(clock.sleeps) + 1 < 99
    assert f"gave up after {len(seen)} attempts" in error.message


def test_connection_errors_are_retried_and_chained() -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    handler, seen = script(refused, refused, ok())
    assert make_client(handler).list_tasks().status == 200
    assert len(seen) == 3

    handler, _ = script(refused)
    error = fail(make_client(handler, retry=Retry(max_attempts=2)))
    assert "cannot connect to cce.ap-southeast-1.myhuaweicloud.com" in error.message
    assert isinstance(error.__cause__, httpx.ConnectError)


def test_read_timeout_retried_for_get_but_not_for_post() -> None:
    timeout = httpx.ReadTimeout("timed out")
    handler, seen = script(timeout, ok())
    assert make_client(handler).list_tasks().status == 200
    assert len(seen) == 2

    handler, seen = script(timeout, httpx.Response(201, json={}))
    error = fail(make_client(handler), lambda c: c.create_checks([{"addonInstanceID": "u"}]))
    assert len(seen) == 1, "a POST that may have arrived is not sent twice"
    assert "no complete answer from" in error.message and "within 30 s" in error.message


def test_post_is_retried_when_it_never_left() -> None:
    handler, seen = script(httpx.ConnectError("refused"), httpx.Response(201, json={}))
    assert make_client(handler).create_checks([{"addonInstanceID": "u"}]).status == 201
    assert len(seen) == 2


def test_truncated_body_is_explained() -> None:
    cut = httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body: "
        "received 150 bytes, expected 300"
    )
    handler, seen = script(cut)
    error = fail(make_client(handler, retry=Retry(max_attempts=3)))
    assert len(seen) == 3
    assert "the answer was cut short (truncated body)" in error.message


# --- 2xx that cannot be used -----------------------------------------------------------------


def test_200_html_is_not_json() -> None:
    html = "<html><head><title>Login</title></head></html>"
    handler, seen = script(httpx.Response(200, text=html, headers={"Content-Type": "text/html"}))
    error = fail(make_client(handler))
    assert len(seen) == 1
    assert 'HTTP 200 but the body is an HTML page ("Login"), not JSON' in error.message


def test_200_truncated_json() -> None:
    handler, _ = script(httpx.Response(200, content=b'{"kind": "AddonCheck", "items": [{"met'))
    error = fail(make_client(handler))
    assert "HTTP 200 but the body is not valid JSON" in error.message
    assert "(cut short?)" in error.message


def test_200_empty_is_an_error_for_lists_but_not_for_create() -> None:
    handler, _ = script(httpx.Response(200, content=b""))
    assert "HTTP 200 with an empty body" in fail(make_client(handler)).message
    handler, _ = script(httpx.Response(204))
    assert make_client(handler).create_checks([{"addonInstanceID": "u"}]).data is None


# --- redirects and TLS -----------------------------------------------------------------------


def test_redirect_loop_is_a_clear_error() -> None:
    handler, seen = script(httpx.Response(302, headers={"Location": f"{BASE}{TASKS}"}))
    error = fail(make_client(handler))
    assert f"redirect loop: more than {MAX_REDIRECTS} redirects" in error.message
    assert len(seen) == MAX_REDIRECTS + 1


def test_redirect_to_another_host_is_refused_before_sending_credentials() -> None:
    handler, seen = script(httpx.Response(307, headers={"Location": "https://evil.example/x"}))
    error = fail(make_client(handler))
    assert [r.url.host for r in seen] == ["cce.ap-southeast-1.myhuaweicloud.com"]
    assert "redirected to another origin (https://evil.example)" in error.message


@pytest.mark.parametrize("location", ["/api/%zz", "/api/x?a=%e9", "/api/%"])
def test_redirect_to_a_location_that_cannot_be_signed_is_an_api_error(location: str) -> None:
    handler, seen = script(httpx.Response(302, headers={"Location": location}))
    error = fail(make_client(handler))
    assert "HTTP 302 to an unusable Location" in error.message
    assert len(seen) == 1


def test_same_origin_redirect_is_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": f"{BASE}{TASKS}"})
        return ok()

    client = make_client(handler)
    assert client.request("GET", "/old").data == OK_BODY
    assert seen == ["/old", TASKS]


def test_tls_verification_failure_is_explained_and_not_retried() -> None:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate in certificate chain"
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]")
    exc.__cause__ = cause
    handler, seen = script(exc)
    error = fail(make_client(handler))
    assert len(seen) == 1
    assert "TLS certificate of cce.ap-southeast-1.myhuaweicloud.com not trusted" in error.message
    assert "self-signed certificate in certificate chain" in error.message
    assert "--ca-bundle" in error.message


def test_verification_cannot_be_turned_off() -> None:
    with pytest.raises(ValueError, match="cannot be turned off"):
        CceClient(BASE, project_id=PROJECT, cluster_id=CLUSTER, auth=TokenAuth(TOKEN), verify=False)


def test_ca_bundle_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        tls_context(tmp_path / "missing.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a PEM CA bundle"):
        tls_context(bad)
    default = tls_context(None)
    assert default.verify_mode is ssl.CERT_REQUIRED and default.check_hostname
    assert tls_context(None) is default, "the trust store is loaded once per process"


def test_a_rewritten_ca_bundle_is_loaded_again(tmp_path: Path) -> None:
    import trustme

    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    first = tls_context(bundle)
    assert tls_context(bundle) is first
    trustme.CA().cert_pem.write_to_path(str(bundle))
    bundle.write_bytes(bundle.read_bytes() + b"\n")  # another size, whatever the clock's grain
    assert tls_context(bundle) is not first


# --- requests --------------------------------------------------------------------------------


def test_requests_carry_filters_headers_and_body() -> None:
    handler, seen = script(ok())
    client = make_client(handler, base=BASE + "/")
    client.list_tasks(task_type="addonUpgrade", task_id="t-1")
    client.list_addons()
    client.create_checks([{"addonTemplateName": "coredns", "addonInstanceID": "u"}])
    listing, addons, create = seen
    assert dict(listing.url.params) == {"type": "addonUpgrade", "task_id": "t-1"}
    assert listing.headers["X-Auth-Token"] == TOKEN
    assert listing.headers["Content-Type"] == "application/json"
    assert addons.url.path == "/api/v3/addons" and addons.url.params["cluster_id"] == CLUSTER
    assert create.method == "POST" and create.url.path.endswith("/addons/precheck")
    assert json.loads(create.content) == {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": CLUSTER,
            "addonList": [{"addonTemplateName": "coredns", "addonInstanceID": "u"}],
        },
    }


def test_base_url_with_a_path_prefix() -> None:
    handler, seen = script(ok())
    make_client(handler, base="http://127.0.0.1:9/cce/").list_tasks()
    assert seen[0].url.path == "/cce" + TASKS


def test_repr_shows_no_credentials() -> None:
    handler, _ = script(ok())
    assert TOKEN not in repr(make_client(handler))


@pytest.mark.parametrize(
    "value",
    [
        "١٢".encode(),  # Arabic-Indic digits: int() would read them, an HTTP parser does not
        "²".encode(),
        b"-5",
        b"+3",
        b"2.5",
        b"1e3",
        b"9999999999",
        b"Wed, 99 Foo 2025 07:28:00 GMT",
        b"Mon, 01 Jan 99999 00:00:00 GMT",
        b"\xff\xfe",
    ],
)
def test_retry_after_that_does_not_parse_is_ignored(value: bytes) -> None:
    clock = FakeClock()
    handler, _ = script(httpx.Response(503, headers={"Retry-After": value}), ok())
    make_client(handler, clock, Retry(first_delay=0.25)).list_tasks()
    assert clock.sleeps == [0.25], "the usual backoff, as if there were no Retry-After"


def test_waits_end_with_the_run() -> None:
    clock = FakeClock()
    handler, seen = script(httpx.Response(503))
    client = make_client(handler, clock, Retry(first_delay=1, max_delay=8, budget=60))
    client.stop_at = 5.0
    error = fail(client)
    assert sum(clock.sleeps) <= 5 and len(seen) == len(clock.sleeps) + 1
    assert "(the run's --timeout is reached)" in error.message

    handler, seen = script(httpx.Response(429, headers={"Retry-After": "30"}), ok())
    client = make_client(handler, FakeClock(), Retry(budget=60))
    client.stop_at = 5.0
    assert "--timeout is reached" in fail(client).message
    assert len(seen) == 1, "no wait that the run cannot afford"


def test_a_post_is_resent_only_when_it_provably_did_not_arrive() -> None:
    def create(client: CceClient) -> Any:
        return client.create_checks([{"addonInstanceID": "u"}])

    for never_arrived in (httpx.ConnectError("refused"), httpx.WriteError("broken pipe")):
        handler, seen = script(never_arrived, httpx.Response(201, json={}))
        assert create(make_client(handler)).status == 201 and len(seen) == 2
    handler, seen = script(httpx.Response(429), httpx.Response(201, json={}))
    assert create(make_client(handler)).status == 201 and len(seen) == 2
    for unclear in (502, 503, 504):
        handler, seen = script(httpx.Response(unclear), httpx.Response(201, json={}))
        with pytest.raises(Unanswered):
            create(make_client(handler))
        assert len(seen) == 1
    handler, seen = script(httpx.Response(400, json={"errorCode": "CCE.01400001"}))
    with pytest.raises(ApiError) as caught:
        create(make_client(handler))
    assert not isinstance(caught.value, Unanswered), "a 400 says clearly nothing started"


def test_declared_size_above_the_cap_is_refused_before_reading() -> None:
    handler, _ = script(httpx.Response(200, headers={"Content-Length": str(10**9)}, content=b"{}"))
    client = make_client(handler)
    client.max_body = 1024
    assert "announces 1000000000 bytes, more than the 1024-byte limit" in fail(client).message


def test_every_real_transport_gets_the_total_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deadline rides on httpcore internals: this fails loudly if an httpx upgrade moves them.
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw-0123456789@127.0.0.1:3128")
    client = CceClient(BASE, project_id=PROJECT, cluster_id=CLUSTER, auth=TokenAuth(TOKEN))
    http: Any = client._http
    transports = [http._transport, *http._mounts.values()]
    assert len(transports) == 2, "the direct transport and the proxy's"
    for transport in transports:
        assert type(transport._pool._network_backend).__name__ == "_DeadlineBackend"
    assert client._proxy == "http://127.0.0.1:3128", "shown without its user or password"


def test_a_429_holds_back_the_other_clients_of_the_same_endpoint() -> None:
    clock, throttle = FakeClock(), Throttle()
    refused = httpx.Response(429, headers={"Retry-After": "7"})
    first_handler, _ = script(refused, ok())
    first = make_client(first_handler, clock=clock, throttle=throttle)
    assert first.request("GET", TASKS).data == OK_BODY
    assert clock.sleeps == [7.0]
    # the fleet's other worker, at the moment the first was refused: it waits too
    clock.now -= 7.0
    second_handler, seen = script(ok())
    second = make_client(second_handler, clock=clock, throttle=throttle)
    assert second.request("GET", TASKS).data == OK_BODY
    assert clock.sleeps == [7.0, 7.0] and len(seen) == 1
    other_handler, _ = script(ok())
    elsewhere = make_client(
        other_handler, clock=clock, throttle=throttle, base="https://cce.other.example"
    )
    elsewhere.request("GET", TASKS)
    assert clock.sleeps == [7.0, 7.0], "another endpoint is not held back"
