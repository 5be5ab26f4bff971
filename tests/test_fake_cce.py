"""Tests of the CCE fake itself, with plain httpx and the official huaweicloudsdkcore signer."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fake_cce import (
    APIG_AKSK_FAILURE,
    APIG_TOKEN_FAILURE,
    COREDNS_UID,
    DEFAULT_CLUSTER_ID,
    DEFAULT_PROJECT_ID,
    EVEREST_UID,
    HTML_BODY,
    BodyStyle,
    FakeCCE,
    Fault,
    fake_cce_fixture,
    fake_cce_tls_fixture,
)
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

pytestmark = pytest.mark.socket

# Importing the fixtures registers them here too (tests/conftest.py also loads the plugin).
_FIXTURES = (fake_cce_fixture, fake_cce_tls_fixture)

# one CA bundle load for the module: each client loading its own costs 20 ms
DEFAULT_TLS = ssl.create_default_context()
AK = "QTWAOYTTINDUT2QVKYUC"
SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
TASKS_PATH = f"/api/v3/projects/{DEFAULT_PROJECT_ID}/clusters/{DEFAULT_CLUSTER_ID}/addons/precheck"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")
HEX_ID = re.compile(r"[0-9a-f]{32}")


def sdk_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def sign(
    method: str,
    path: str,
    *,
    host: str,
    query: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    ak: str = AK,
    sk: str = SK,
    sdk_date: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """Sign with the official signer; returns (request target to send, headers)."""
    headers = {
        "Content-Type": "application/json",
        "Host": host,
        "X-Project-Id": DEFAULT_PROJECT_ID,
        "X-Sdk-Date": sdk_date or sdk_now(),
        **(extra_headers or {}),
    }
    request = SdkRequest(
        method=method,
        schema="http",
        host=host,
        resource_path=path,
        query_params=list(query or []),
        header_params=headers,
        body=body,
    )
    Signer(SimpleNamespace(ak=ak, sk=sk)).sign(request)
    return request.uri, dict(request.header_params)


def create_body(
    addons: list[tuple[str, str]] | None = None, target: str = "1.30.33"
) -> dict[str, Any]:
    pairs = addons if addons is not None else [("coredns", COREDNS_UID)]
    return {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": DEFAULT_CLUSTER_ID,
            "addonList": [
                {
                    "addonTemplateName": name,
                    "addonInstanceID": uid,
                    "targetVersion": target,
                    "type": "addonUpgrade",
                }
                for name, uid in pairs
            ],
        },
    }


@pytest.fixture
def client(fake_cce: FakeCCE) -> Iterator[httpx.Client]:
    with httpx.Client(verify=DEFAULT_TLS, base_url=fake_cce.url, timeout=2.0) as c:
        yield c


@pytest.fixture
def aksk_fake() -> Iterator[FakeCCE]:
    with FakeCCE(ak=AK, sk=SK) as fake:
        yield fake


def list_tasks(client: httpx.Client, **params: str) -> dict[str, Any]:
    response = client.get(f"{TASKS_PATH}/tasks", params=params)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


# ------------------------------------------------------------------------------------------
# AK/SK and token authentication
# ------------------------------------------------------------------------------------------


def test_signed_get_passes(aksk_fake: FakeCCE) -> None:
    query = [("cluster_id", DEFAULT_CLUSTER_ID), ("x", "a b/c~+"), ("x", "0")]
    uri, headers = sign("GET", "/api/v3/addons", host=aksk_fake.host, query=query)
    with httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as c:
        response = c.get(aksk_fake.url + uri, headers=headers)
    assert response.status_code == 200, (response.text, aksk_fake.auth_failures)
    assert aksk_fake.signature_failures == 0
    assert HEX_ID.fullmatch(response.headers["X-Request-Id"])
    assert "x=a%20b%2Fc~%2B" in aksk_fake.requests[0].raw_target
    assert aksk_fake.requests[0].query_items[1:] == [("x", "0"), ("x", "a b/c~+")]


def test_signed_post_passes_and_body_is_signed(aksk_fake: FakeCCE) -> None:
    body = json.dumps(create_body()).encode()
    uri, headers = sign("POST", TASKS_PATH, host=aksk_fake.host, body=body)
    with httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as c:
        ok = c.post(aksk_fake.url + uri, headers=headers, content=body)
        assert ok.status_code == 201, (ok.text, aksk_fake.auth_failures)
        tampered = c.post(aksk_fake.url + uri, headers=headers, content=body + b" ")
    assert tampered.status_code == 401
    assert aksk_fake.auth_failures[-1] == "aksk: signature mismatch"


def test_published_vectors_are_accepted() -> None:
    """FACTS.md 5.2 vectors: fixed date, the real host in the Host header."""
    host = "cce.ap-southeast-1.myhuaweicloud.com"
    with FakeCCE(ak=AK, sk=SK) as fake, httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as c:
        fake.clock = lambda: datetime(2025, 8, 5, 9, 10, 44, tzinfo=UTC)
        query = [("addon_instance_id", COREDNS_UID), ("type", "addonUpgrade")]
        uri, headers = sign(
            "GET", f"{TASKS_PATH}/tasks", host=host, query=query, sdk_date="20250805T091044Z"
        )
        assert headers["Authorization"].endswith(
            "Signature=82240fcf5fc369fe66dbd4c2af5ca4abcc927eab436a08cf95cb02458726a69b"
        )
        assert c.get(fake.url + uri, headers=headers).status_code == 200

        body = (
            b'{"kind":"AddonCheck","apiVersion":"v3","spec":{"clusterID":"6ab9c9b4-0000-4000-'
            b'8000-000000000001","addonList":[{"addonTemplateName":"coredns","addonInstanceID":'
            b'"1d43577d-4b50-4723-b05b-2121f47cb219","targetVersion":"1.30.33","type":'
            b'"addonUpgrade"}]}}'
        )
        uri, headers = sign("POST", TASKS_PATH, host=host, body=body, sdk_date="20250805T091044Z")
        assert headers["Authorization"].endswith(
            "Signature=ca5963940c90c96aa874238c01c32a63b765f6d1a20a3377c025ca17c368c748"
        )
        response = c.post(fake.url + uri, headers=headers, content=body)
        assert response.status_code == 201, fake.auth_failures
        assert fake.tasks[0]["createTimeStamp"].startswith("2025-08-05T17:10:44")


def test_wrong_sk_gets_401_with_apig_body(aksk_fake: FakeCCE) -> None:
    query = [("cluster_id", DEFAULT_CLUSTER_ID)]
    with httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as c:
        for attempt in (1, 2):
            uri, headers = sign("GET", "/api/v3/addons", host=aksk_fake.host, query=query, sk="x")
            response = c.get(aksk_fake.url + uri, headers=headers)
            assert response.status_code == 401
            doc = response.json()
            assert set(doc) == {"error_code", "error_msg", "request_id"}
            assert (doc["error_code"], doc["error_msg"]) == APIG_AKSK_FAILURE
            assert doc["error_msg"] == (
                "Incorrect IAM authentication information: verify aksk signature fail"
            )
            assert doc["request_id"] == response.headers["X-Request-Id"]
            assert HEX_ID.fullmatch(doc["request_id"])
            assert aksk_fake.signature_failures == attempt
        uri, headers = sign("GET", "/api/v3/addons", host=aksk_fake.host, query=query)
        assert c.get(aksk_fake.url + uri, headers=headers).status_code == 200
    assert aksk_fake.signature_failures == 0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no_auth", "no Authorization header"),
        ("stale_date", "is more than 0:15:00 off"),
        ("future_date", "is more than 0:15:00 off"),
        ("unsigned_date", "SignedHeaders must include host and x-sdk-date"),
        ("wrong_ak", "unknown access key"),
        ("host_changed", "signature mismatch"),
    ],
)
def test_aksk_rejections(aksk_fake: FakeCCE, case: str, reason: str) -> None:
    query = [("cluster_id", DEFAULT_CLUSTER_ID)]
    sdk_date = None
    if case == "stale_date":
        sdk_date = (datetime.now(UTC) - timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    if case == "future_date":
        sdk_date = (datetime.now(UTC) + timedelta(minutes=16)).strftime("%Y%m%dT%H%M%SZ")
    uri, headers = sign(
        "GET",
        "/api/v3/addons",
        host=aksk_fake.host,
        query=query,
        sdk_date=sdk_date,
        ak="OTHERAK" if case == "wrong_ak" else AK,
    )
    if case == "no_auth":
        del headers["Authorization"]
    if case == "unsigned_date":
        headers["Authorization"] = headers["Authorization"].replace(";x-sdk-date", "")
    if case == "host_changed":
        headers["Host"] = "127.0.0.1:1"
    with httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as c:
        response = c.get(aksk_fake.url + uri, headers=headers)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert aksk_fake.signature_failures == 1
    (failure,) = aksk_fake.auth_failures
    assert reason in failure


def test_security_token_required_and_signed() -> None:
    with (
        FakeCCE(ak=AK, sk=SK, security_token="sts-token") as fake,
        httpx.Client(verify=DEFAULT_TLS) as c,
    ):
        query = [("cluster_id", DEFAULT_CLUSTER_ID)]
        uri, headers = sign("GET", "/api/v3/addons", host=fake.host, query=query)
        assert c.get(fake.url + uri, headers=headers).status_code == 401
        uri, headers = sign(
            "GET",
            "/api/v3/addons",
            host=fake.host,
            query=query,
            extra_headers={"X-Security-Token": "sts-token"},
        )
        assert c.get(fake.url + uri, headers=headers).status_code == 200


def test_token_auth() -> None:
    with (
        FakeCCE(token="good-token") as fake,
        httpx.Client(verify=DEFAULT_TLS, base_url=fake.url) as c,
    ):
        params = {"cluster_id": DEFAULT_CLUSTER_ID}
        ok = c.get("/api/v3/addons", params=params, headers={"X-Auth-Token": "good-token"})
        assert ok.status_code == 200
        for headers in ({"X-Auth-Token": "bad-token"}, {}):
            bad = c.get("/api/v3/addons", params=params, headers=headers)
            assert bad.status_code == 401
            doc = bad.json()
            assert (doc["error_code"], doc["error_msg"]) == APIG_TOKEN_FAILURE
            assert doc["request_id"] == bad.headers["X-Request-Id"]
        assert fake.signature_failures == 0


# ------------------------------------------------------------------------------------------
# Add-on instances
# ------------------------------------------------------------------------------------------


def test_instance_list(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.addons[0]["status"] = "abnormal"
    fake_cce.addons[0]["reason"] = "pods not ready"
    response = client.get("/api/v3/addons", params={"cluster_id": DEFAULT_CLUSTER_ID})
    assert response.status_code == 200
    doc = response.json()
    assert (doc["kind"], doc["apiVersion"]) == ("Addon", "v3")
    coredns, everest = doc["items"]
    assert coredns["metadata"]["uid"] == COREDNS_UID
    assert coredns["metadata"]["name"] == "cceaddon-coredns"
    assert RFC3339.fullmatch(coredns["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    assert coredns["spec"] == {
        "clusterID": DEFAULT_CLUSTER_ID,
        "version": "1.29.4",
        "addonTemplateName": "coredns",
        "values": {},
    }
    assert coredns["status"] == {
        "status": "abnormal",
        "Reason": "pods not ready",
        "message": "",
        "currentVersion": {"version": "1.29.4"},
    }
    assert everest["metadata"]["uid"] == EVEREST_UID


@pytest.mark.parametrize("params", [{}, {"cluster_id": "other"}])
def test_instance_list_bad_cluster(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/api/v3/addons", params=params)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "CCE.01400001"
    assert "errorMessage" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v3/projects/other/clusters/{DEFAULT_CLUSTER_ID}/addons/precheck/tasks",
        f"/api/v3/projects/{DEFAULT_PROJECT_ID}/clusters/other/addons/precheck/tasks",
        "/api/v3/nothing",
    ],
)
def test_unknown_project_cluster_or_path_is_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["errorCode"] == "CCE.01404001"


# ------------------------------------------------------------------------------------------
# Create + list
# ------------------------------------------------------------------------------------------


def test_create_and_scripted_progression(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fatal = {
        "riskName": "AddonValidate",
        "level": "Fatal",
        "status": "Failed",
        "message": "configmap coredns had been modified",
    }
    fake_cce.scripts["coredns"] = [
        {"status": "Init"},
        {"status": "Running", "riskList": []},
        {"status": "Failed", "riskList": [fatal]},
    ]
    created = client.post(TASKS_PATH, json=create_body())
    assert created.status_code == 201
    doc = created.json()
    assert (doc["kind"], doc["apiVersion"]) == ("AddonCheck", "v3")
    (item,) = doc["status"]["items"]
    task_id = item["metadata"]["taskID"]
    assert item["metadata"] == {
        "taskID": task_id,
        "addonTemplateName": "coredns",
        "addonInstanceID": COREDNS_UID,
        "type": "addonUpgrade",
    }

    seen = []
    for _ in range(4):
        page = list_tasks(client, task_id=task_id)
        assert page["pageInfo"] == {"currentCount": 1}
        (task,) = page["items"]
        seen.append(task)
    assert [t["status"]["status"] for t in seen] == ["Init", "Running", "Failed", "Failed"]
    meta = seen[0]["metadata"]
    assert meta["type"] == "addonUpgrade"
    assert meta["taskID"] == task_id
    assert meta["addonInstanceName"] == "cceaddon-coredns"
    assert meta["addonInstanceID"] == COREDNS_UID
    assert RFC3339.fullmatch(meta["createTimeStamp"])
    assert seen[0]["spec"] == {"addonTargetVersion": "1.30.33"}
    assert "riskList" not in seen[0]["status"]
    assert "expireTimeStamp" not in seen[1]["metadata"]
    assert RFC3339.fullmatch(seen[2]["metadata"]["expireTimeStamp"])
    assert seen[2]["status"]["riskList"] == [fatal]
    assert seen[2]["status"]["message"] == "Addon task check finish"
    assert seen[3] == seen[2]


def test_default_script_and_filters(fake_cce: FakeCCE, client: httpx.Client) -> None:
    body = create_body([("coredns", COREDNS_UID), ("everest", EVEREST_UID)])
    ids = [
        i["metadata"]["taskID"]
        for i in client.post(TASKS_PATH, json=body).json()["status"]["items"]
    ]
    assert len(set(ids)) == 2
    first = list_tasks(client, addon_instance_id=COREDNS_UID, type="addonUpgrade")
    assert [t["metadata"]["taskID"] for t in first["items"]] == [ids[0]]
    assert first["items"][0]["status"]["status"] == "Running"
    second = list_tasks(client)  # coredns advances to its 2nd step, everest to its 1st
    states = {t["metadata"]["addonTemplateName"]: t["status"] for t in second["items"]}
    assert states["everest"]["status"] == "Running"
    assert states["coredns"]["status"] == "Success"
    assert [r["riskName"] for r in states["coredns"]["riskList"]] == [
        "AddonStatus",
        "AddonValidate",
    ]
    assert list_tasks(client, type="addonStatic")["items"] == []
    assert [t["polls"] for t in fake_cce.tasks] == [2, 1]


def test_phase_response_style_and_listing_fallback(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.create_response_style = "phase"
    fake_cce.create_status = 200
    fake_cce.preexisting_tasks = [
        {
            "metadata": {
                "type": "addonUpgrade",
                "taskID": "old-task",
                "addonTemplateName": "coredns",
                "addonInstanceID": COREDNS_UID,
                "createTimeStamp": "2025-08-05T17:10:44.648388+08:00",
                "expireTimeStamp": "2025-08-05T18:10:44.648388+08:00",
            },
            "status": {"status": "Success", "message": "Addon task check finish"},
        }
    ]
    response = client.post(TASKS_PATH, json=create_body())
    assert response.status_code == 200
    assert response.json() == {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "status": {"phase": "Running", "itemsStatus": []},
    }
    page = list_tasks(client, addon_instance_id=COREDNS_UID, type="addonUpgrade")
    assert page["pageInfo"]["currentCount"] == 2
    assert page["items"][0] == fake_cce.preexisting_tasks[0]
    newest = max(page["items"], key=lambda t: t["metadata"]["createTimeStamp"])
    assert newest["metadata"]["taskID"] == fake_cce.tasks[0]["taskID"]


def test_raw_list_body_and_empty_items(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.empty_items = "omit"
    assert "items" not in list_tasks(client)
    fake_cce.empty_items = "null"
    assert list_tasks(client)["items"] is None
    fake_cce.raw_list_body = b'{"items":{"metadata":{"createTimestamp":"x"}}}'
    assert client.get(f"{TASKS_PATH}/tasks").content == fake_cce.raw_list_body


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(kind="Other"),
        lambda b: b.update(apiVersion="v2"),
        lambda b: b["spec"].update(clusterID="other"),
        lambda b: b["spec"].update(addonList=[]),
        lambda b: b["spec"]["addonList"][0].pop("addonInstanceID"),
        lambda b: b["spec"]["addonList"][0].pop("targetVersion"),
        lambda b: b["spec"]["addonList"][0].update(type="addonDelete"),
        lambda b: b["spec"]["addonList"][0].update(addonInstanceID="no-such-instance"),
        lambda b: b["spec"]["addonList"][0].update(addonTemplateName="everest"),
    ],
)
def test_create_validation(fake_cce: FakeCCE, client: httpx.Client, mutate: Any) -> None:
    body = create_body()
    mutate(body)
    response = client.post(TASKS_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "CCE.01400001"
    assert fake_cce.tasks == []


def test_chunked_request_body(fake_cce: FakeCCE, client: httpx.Client) -> None:
    body = json.dumps(create_body()).encode()
    response = client.post(TASKS_PATH, content=iter([body[:10], body[10:]]))
    assert response.status_code == 201
    assert fake_cce.requests[0].headers["transfer-encoding"] == "chunked"
    assert fake_cce.requests[0].body == body


def test_request_log(fake_cce: FakeCCE, client: httpx.Client) -> None:
    client.post(TASKS_PATH, json=create_body(), params={"a": "1 2"}, headers={"X-Thing": "v"})
    (rec,) = fake_cce.requests
    assert rec.method == "POST"
    assert rec.path == TASKS_PATH
    assert rec.query == {"a": "1+2"}  # '+' is literal, as in the signer's canonical query
    assert rec.headers["x-thing"] == "v"
    assert rec.json() == create_body()
    assert rec.request_id
    fake_cce.clear_requests()
    assert fake_cce.requests == []


# ------------------------------------------------------------------------------------------
# Faults
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["cce", "apig", "mixed", "html", "empty"])
def test_status_fault_body_styles(
    fake_cce: FakeCCE, client: httpx.Client, style: BodyStyle
) -> None:
    fake_cce.faults.append(
        Fault(
            kind="status",
            match="tasks",
            code=429,
            style=style,
            error_code="CCE.01429002",
            message="resource locked",
            retry_after="3",
        )  # fmt: skip
    )
    response = client.get(f"{TASKS_PATH}/tasks")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    rid = response.headers["X-Request-Id"]
    if style == "cce":
        assert response.json() == {"errorCode": "CCE.01429002", "errorMessage": "resource locked"}
    elif style == "apig":
        assert response.json() == {
            "error_code": "CCE.01429002",
            "error_msg": "resource locked",
            "request_id": rid,
        }
    elif style == "mixed":
        doc = response.json()
        assert doc["errorCode"] == doc["error_code"] == "CCE.01429002"
        assert doc["errorMessage"] == doc["error_msg"] == doc["message"] == "resource locked"
        assert (doc["kind"], doc["status"], doc["reason"], doc["code"]) == (
            "Status",
            "Failure",
            "TooManyRequests",
            429,
        )
    elif style == "html":
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"429 Too Many Requests" in response.content
    else:
        assert response.content == b""
    assert fake_cce.faults == []
    assert client.get(f"{TASKS_PATH}/tasks").status_code == 200


def test_fault_matching_and_order(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults += [
        Fault(match="tasks", code=503),
        Fault(match="addons", code=502, body=b"raw", content_type="text/plain"),
        Fault(match="tasks", code=500, times=2),
    ]
    addons = client.get("/api/v3/addons", params={"cluster_id": DEFAULT_CLUSTER_ID})
    assert (addons.status_code, addons.text) == (502, "raw")
    codes = [client.get(f"{TASKS_PATH}/tasks").status_code for _ in range(4)]
    assert codes == [503, 500, 500, 200]


def test_delay_fault_fires_read_timeout(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(Fault(kind="delay", seconds=5, match="tasks"))
    started = time.monotonic()
    with (
        httpx.Client(verify=DEFAULT_TLS, base_url=fake_cce.url, timeout=0.2) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.get(f"{TASKS_PATH}/tasks")
    assert time.monotonic() - started < 1.5


def test_short_delay_then_normal_answer(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults.append(Fault(kind="delay", seconds=0.1))
    assert client.get(f"{TASKS_PATH}/tasks").status_code == 200


def test_truncate_fault(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults.append(Fault(kind="truncate", match="tasks"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(f"{TASKS_PATH}/tasks")
    assert client.get(f"{TASKS_PATH}/tasks").status_code == 200


def test_not_json_fault(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults.append(Fault(kind="not_json"))
    response = client.get(f"{TASKS_PATH}/tasks")
    assert response.status_code == 200
    assert response.content == HTML_BODY
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_redirect_loop_fault(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(Fault(kind="redirect_loop", match="tasks"))
    with httpx.Client(
        verify=DEFAULT_TLS, base_url=fake_cce.url, follow_redirects=True, timeout=2.0
    ) as c:
        with pytest.raises(httpx.TooManyRedirects):
            c.get(f"{TASKS_PATH}/tasks", params={"type": "addonUpgrade"})
        assert fake_cce.faults == []  # used up exactly by httpx's default max_redirects
        assert {r.raw_target for r in fake_cce.requests} == {
            f"{TASKS_PATH}/tasks?type=addonUpgrade"
        }
        assert c.get(f"{TASKS_PATH}/tasks").status_code == 200
    with httpx.Client(verify=DEFAULT_TLS, base_url=fake_cce.url, timeout=2.0) as c:
        fake_cce.faults.append(Fault(kind="redirect_loop", times=1))
        response = c.get("/api/v3/addons")
        assert response.status_code == 302
        assert response.headers["Location"] == f"{fake_cce.url}/api/v3/addons"


def test_close_fault(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults.append(Fault(kind="close", match="precheck"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(TASKS_PATH, json=create_body())
    assert fake_cce.tasks == []
    assert client.post(TASKS_PATH, json=create_body()).status_code == 201


def test_every_response_has_request_id(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.faults += [Fault(code=503, style="empty"), Fault(kind="not_json")]
    responses = [
        client.get(f"{TASKS_PATH}/tasks"),
        client.get(f"{TASKS_PATH}/tasks"),
        client.get(f"{TASKS_PATH}/tasks"),
        client.put(f"{TASKS_PATH}/tasks"),
        client.request("OPTIONS", "/"),
    ]
    ids = [r.headers.get("X-Request-Id") for r in responses]
    assert all(i and HEX_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


# ------------------------------------------------------------------------------------------
# TLS and lifecycle
# ------------------------------------------------------------------------------------------


def test_tls_rejects_untrusting_client_and_accepts_trusting_one(fake_cce_tls: FakeCCE) -> None:
    assert fake_cce_tls.url.startswith("https://127.0.0.1:")
    url = f"{fake_cce_tls.url}/api/v3/addons?cluster_id={DEFAULT_CLUSTER_ID}"
    with (
        httpx.Client(verify=DEFAULT_TLS, timeout=2.0) as untrusting,
        pytest.raises(httpx.ConnectError) as info,
    ):
        untrusting.get(url)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert fake_cce_tls.ca_pem_path is not None
    ctx = ssl.create_default_context(cafile=fake_cce_tls.ca_pem_path)
    with httpx.Client(verify=ctx, timeout=2.0) as trusting:
        assert trusting.get(url).status_code == 200
    with httpx.Client(verify=fake_cce_tls.client_ssl_context(), timeout=2.0) as trusting:
        assert trusting.get(url).status_code == 200
    assert fake_cce_tls.tls_failures >= 1


def test_stop_never_hangs_with_busy_connections() -> None:
    fake = FakeCCE().start()
    with httpx.Client(verify=DEFAULT_TLS, base_url=fake.url, timeout=0.2) as c:
        assert c.get("/api/v3/nothing").status_code == 404  # leaves a keep-alive connection
        fake.faults.append(Fault(kind="delay", seconds=60))
        with pytest.raises(httpx.ReadTimeout):
            c.get("/api/v3/nothing")
        started = time.monotonic()
        fake.shutdown()
        assert time.monotonic() - started < 1.0
        fake.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = FakeCCE().url


def test_fake_records_no_internal_errors(fake_cce: FakeCCE, client: httpx.Client) -> None:
    fake_cce.scripts["coredns"] = []  # a test bug: answered as 500 and recorded
    response = client.post(TASKS_PATH, json=create_body())
    assert response.status_code == 500
    assert "empty script" in response.json()["fake_error"]
    assert len(fake_cce.errors) == 1
    fake_cce.errors.clear()


# --- byte-level misbehaviour -------------------------------------------------------------------


def test_trickle_fault_sends_one_byte_at_a_time(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(Fault(kind="trickle", part="headers", seconds=0.002, match="tasks"))
    started = time.monotonic()
    answer = httpx.get(fake_cce.url + TASKS_PATH + "/tasks", timeout=5)
    assert answer.status_code == 200 and answer.json()["items"] == []
    assert time.monotonic() - started > 0.1, "about 60 header bytes, 2 ms apart"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_bomb_fault_decodes_to_the_size_asked(fake_cce: FakeCCE, encoding: str) -> None:
    fake_cce.faults.append(Fault(kind="bomb", size=1_000_000, encoding=encoding, match="tasks"))
    answer = httpx.get(fake_cce.url + TASKS_PATH + "/tasks", timeout=5)
    assert answer.headers["Content-Encoding"] == encoding
    assert int(answer.headers["Content-Length"]) < 10_000
    assert len(answer.content) == len(b'{"items": "') + 1_000_000


def test_echo_fault_repeats_the_request_headers(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(Fault(kind="echo", code=401, match="tasks"))
    answer = httpx.get(fake_cce.url + TASKS_PATH + "/tasks", headers={"X-Auth-Token": "t0k"})
    assert answer.status_code == 401
    body = answer.json()
    assert body["request_headers"]["X-Auth-Token"] == "t0k"
    assert "X-Auth-Token: t0k" in body["error_msg"]


def test_status_fault_after_handling_creates_the_task_first(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(
        Fault(kind="status", match="precheck", method="POST", code=502, after=True)
    )
    body = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": DEFAULT_CLUSTER_ID,
            "addonList": [
                {
                    "addonTemplateName": "coredns",
                    "addonInstanceID": COREDNS_UID,
                    "targetVersion": "1.30.33",
                    "type": "addonUpgrade",
                }
            ],
        },
    }
    answer = httpx.post(fake_cce.url + TASKS_PATH, json=body, timeout=5)
    assert answer.status_code == 502
    assert [t["addonTemplateName"] for t in fake_cce.tasks] == ["coredns"]


def test_huge_length_and_vanishing_tasks(fake_cce: FakeCCE) -> None:
    fake_cce.faults.append(Fault(kind="huge_length", size=10**12, match="tasks"))
    with httpx.stream("GET", fake_cce.url + TASKS_PATH + "/tasks", timeout=5) as answer:
        assert answer.headers["Content-Length"] == str(10**12)
    fake_cce.preexisting_tasks = []
    fake_cce.vanish_after_polls = 1
    fake_cce.created_target_version = "9.9.9"
    body = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": DEFAULT_CLUSTER_ID,
            "addonList": [
                {
                    "addonTemplateName": "coredns",
                    "addonInstanceID": COREDNS_UID,
                    "targetVersion": "1.30.33",
                    "type": "addonUpgrade",
                }
            ],
        },
    }
    httpx.post(fake_cce.url + TASKS_PATH, json=body, timeout=5).raise_for_status()
    first = httpx.get(fake_cce.url + TASKS_PATH + "/tasks", timeout=5).json()
    assert first["items"][0]["spec"] == {"addonTargetVersion": "9.9.9"}
    assert httpx.get(fake_cce.url + TASKS_PATH + "/tasks", timeout=5).json()["items"] == []
