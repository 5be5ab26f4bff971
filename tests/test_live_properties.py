"""Whatever a server answers, live mode fails closed: property tests through the real CLI.

Hypothesis picks the status, body, Content-Encoding and Retry-After of every answer to the task
listing; the fake serves them over real HTTP. Gate must end with a documented exit code (never 6),
never pass on an error status, say what went wrong in one line, and show no credential.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from fake_cce import FakeCCE, Fault
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_live import gate
from test_live_hostile import AK, SECURITY_TOKEN, SK, armed, assert_no_secret

pytestmark = pytest.mark.socket

HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=16)
TASK = {
    "metadata": {
        "type": "addonUpgrade",
        "taskID": "t-1",
        "addonTemplateName": "coredns",
        "createTimeStamp": "2025-08-05T17:10:44+08:00",
    },
    "status": {"status": "Success", "message": "", "riskList": []},
}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
BODIES = st.one_of(
    st.binary(max_size=64),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.just(json.dumps({"items": [TASK]}).encode()),
    st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.just(gzip.compress(b"{" * 5000)),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.sampled_from([200, 201, 204, 301, 302, 307, 400, 401, 404, 429, 500, 502, 503]),
    body=BODIES,
    encoding=st.sampled_from([None, "gzip", "deflate", "br", "identity", "gzip, deflate"]),
    retry_after=st.none() | HEADER_TEXT,
    location=st.none() | HEADER_TEXT,
)
def test_any_answer_fails_closed(
    tmp_path: Path,
    status: int,
    body: bytes,
    encoding: str | None,
    retry_after: str | None,
    location: str | None,
) -> None:
    headers = {}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    if location is not None:
        headers["Location"] = location
    fault = Fault(
        kind="status",
        match="tasks",
        code=status,
        body=body,
        content_type="application/json",
        retry_after=retry_after,
        headers=headers,
        times=99,
    )
    env = {"HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK, "HW_SECURITY_TOKEN": SECURITY_TOKEN}
    env |= {"GATE_DEBUG": "1", "GATE_HTTP_TIMEOUT": "0.5"}
    with FakeCCE() as fake:
        armed(fake).faults.append(fault)
        started = time.monotonic()
        run = gate(tmp_path, "check", "--timeout", "1", endpoint=fake.url, env=env)
        elapsed = time.monotonic() - started
        assert not fake.errors
    assert run.code in (0, 1, 3, 4, 5), run.stdout + run.stderr
    if not 200 <= status < 300:
        assert run.code != 0, "an error status never reads as a pass"
    if run.code in (3, 4):
        errors = [line for line in run.stderr.splitlines() if line.startswith("gate: error: ")]
        assert len(errors) == 1, run.stderr
    assert elapsed < 3, "the run ends within --timeout plus the grace for one request"
    assert_no_secret(run)
