"""Live mode against hostile servers: the real CLI against the fake CCE misbehaving byte by byte.

Each rule of issue 8 has a scenario here; every scenario also runs in the secret search, with
credentials full of characters that escaping changes (``+ / = \\ "`` and regex metacharacters).
Real time is spent only where a real slow server is the point (a few tenths of a second).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fake_cce import COREDNS_UID, DEFAULT_CLUSTER_ID, DEFAULT_PROJECT_ID, FakeCCE, Fault
from helpers import FakeClock
from secret_forms import forms
from test_live import FATAL_SCRIPT, NEVER_ENDS, Run, gate, requests_to

from gate import live, redaction
from gate.api.auth import TokenAuth
from gate.api.client import CceClient
from gate.run import CheckOptions

pytestmark = pytest.mark.socket

# Credentials full of what URL, JSON and regex escaping change; all visible ASCII, as the API
# allows, and no comma in the AK (it would split the Authorization header).
AK = 'HOSTILEAK+/=\\"(.*)[a]?'
SK = 'hostile-SK+/=\\"^$|{2}.*?sk0123456789'
SECURITY_TOKEN = 'hostile-STS+/=\\"[x]*(y)?gQpjbi1ub3J0aC00'
TOKEN = 'hostile-TOKEN+/=\\"$^.*MIIEhAYJKoZIhvcNAQcC'
SECRETS = (AK, SK, SECURITY_TOKEN, TOKEN)

TIMEOUT_ENV = {"GATE_HTTP_TIMEOUT": "0.4"}


def assert_no_secret(run: Run, extra: tuple[str, ...] = ()) -> None:
    for secret in (*SECRETS, *extra):
        for form in forms(secret):
            assert form not in run.everything, f"a form of {secret[:10]}... leaked: {form!r}"


def aksk(security_token: bool = True) -> dict[str, str]:
    env = {"HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK, "GATE_DEBUG": "1"}
    if security_token:
        env["HW_SECURITY_TOKEN"] = SECURITY_TOKEN
    return env


def armed(fake: FakeCCE) -> FakeCCE:
    fake.ak, fake.sk, fake.token, fake.security_token = AK, SK, TOKEN, SECURITY_TOKEN
    return fake


def run_precheck(fake: FakeCCE, tmp_path: Path, *args: str, env: dict[str, str]) -> Run:
    return gate(
        tmp_path, "precheck", "--addon", "coredns=1.30.33", *args, endpoint=fake.url, env=env
    )


def run_check(fake: FakeCCE, tmp_path: Path, *args: str, env: dict[str, str]) -> Run:
    return gate(tmp_path, "check", *args, endpoint=fake.url, env=env)


def one_error_line(run: Run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.startswith("gate: error: ")]
    assert len(lines) == 1, run.stderr
    return lines[0]


def posts(fake: FakeCCE) -> int:
    return len(requests_to(fake, "/addons/precheck", "POST"))


# --- the scenarios ---------------------------------------------------------------------------


@dataclass
class Scenario:
    """A fake set up to misbehave, the gate command run against it, and what must come out."""

    setup: Callable[[FakeCCE], None]
    command: str
    code: int
    message: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    max_seconds: float = 20.0
    posts: int | None = None


def _faults(*faults: Fault) -> Callable[[FakeCCE], None]:
    return lambda fake: fake.faults.extend(faults)


def _set(**values: Any) -> Callable[[FakeCCE], None]:
    def setup(fake: FakeCCE) -> None:
        for name, value in values.items():
            setattr(fake, name, value)

    return setup


CAP = {"GATE_MAX_RESPONSE_BYTES": str(1024 * 1024)}
TASKS_ERROR_BODY = json.dumps({"error_code": "CCE.01400013", "error_msg": "cluster is locked"})
PER_ADDON_ERROR = json.dumps(
    {
        "kind": "AddonCheck",
        "status": {
            "items": [
                {
                    "metadata": {"addonTemplateName": "coredns"},
                    "status": {"errorCode": "CCE.01400050", "errorMessage": "addon is upgrading"},
                }
            ]
        },
    }
)
DUPLICATE = {
    "metadata": {
        "type": "addonUpgrade",
        "taskID": "dup-1",
        "addonTemplateName": "coredns",
        "createTimeStamp": "2025-08-05T17:10:44+08:00",
    },
    "status": {"status": "Success", "message": "", "riskList": []},
}
DUPLICATES = json.dumps(
    {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "items": [
            DUPLICATE,
            {**DUPLICATE, "status": {"status": "Failed", "message": "", "riskList": []}},
        ],
    }
).encode()

SCENARIOS: dict[str, Scenario] = {
    # bounded time: a byte every 50 ms never trips a per-read timeout of 0.4 s
    "slow-headers": Scenario(
        _faults(Fault(kind="trickle", part="headers", seconds=0.05, match="tasks", times=99)),
        "check",
        4,
        "no complete answer from 127.0.0.1:",
        args=("--timeout", "1"),
        env=TIMEOUT_ENV,
        max_seconds=3.5,
    ),
    "slow-body": Scenario(
        _faults(Fault(kind="trickle", part="body", seconds=0.05, match="tasks", times=99)),
        "check",
        4,
        "no complete answer from 127.0.0.1:",
        args=("--timeout", "1"),
        env=TIMEOUT_ENV,
        max_seconds=3.5,
    ),
    # bounded memory
    "gzip-bomb": Scenario(
        _faults(Fault(kind="bomb", size=8 * 1024 * 1024, encoding="gzip", match="tasks")),
        "check",
        4,
        "body is larger than the 1048576-byte limit (GATE_MAX_RESPONSE_BYTES); stopped reading",
        env=CAP,
    ),
    "deflate-bomb": Scenario(
        _faults(Fault(kind="bomb", size=8 * 1024 * 1024, encoding="deflate", match="tasks")),
        "check",
        4,
        "body is larger than the 1048576-byte limit",
        env=CAP,
    ),
    "huge-content-length": Scenario(
        _faults(Fault(kind="huge_length", size=10**12, match="tasks")),
        "check",
        4,
        "HTTP 200 announces 1000000000000 bytes, more than the 67108864-byte limit",
    ),
    "deep-json": Scenario(
        _set(raw_list_body=b"[" * 200_000 + b"]" * 200_000),
        "check",
        4,
        "the JSON is nested too deeply to read",
    ),
    "cut-body": Scenario(
        _faults(Fault(kind="truncate", match="tasks", times=99)),
        "check",
        4,
        "the answer was cut short",
    ),
    # secrets echoed back
    "echoed-headers": Scenario(
        _faults(Fault(kind="echo", code=401, match="tasks")),
        "check",
        4,
        "HTTP 401 Unauthorized: APIGW.0301 rejected request with headers",
    ),
    # never start a check twice, never lose one
    "ambiguous-502-check-started": Scenario(
        _faults(Fault(kind="status", match="precheck", method="POST", code=502, after=True)),
        "precheck",
        0,
        "",
        posts=1,
    ),
    "ambiguous-503-nothing-started": Scenario(
        _faults(Fault(kind="status", match="precheck", method="POST", code=503, style="html")),
        "precheck",
        4,
        "no new check is listed for coredns (the create request was not sent again",
        max_seconds=3,
        posts=1,
    ),
    "post-timeout-check-started": Scenario(
        _faults(Fault(kind="delay", seconds=0.5, match="precheck", method="POST")),
        "precheck",
        0,
        "",
        args=("--timeout", "5"),
        # it looks for 15 poll intervals: long enough for the server to finish the POST
        env={"GATE_HTTP_TIMEOUT": "0.2", "GATE_POLL_INTERVAL": "0.05"},
        posts=1,
    ),
    "429-on-post-is-resent": Scenario(
        _faults(Fault(kind="status", match="precheck", method="POST", code=429, retry_after="0")),
        "precheck",
        0,
        "",
        posts=2,
    ),
    "create-answer-with-error": Scenario(
        _set(raw_create_body=TASKS_ERROR_BODY.encode(), create_status=200),
        "precheck",
        4,
        "the create request was answered HTTP 200 with an error: CCE.01400013 cluster is locked",
        posts=1,
    ),
    "create-answer-with-addon-error": Scenario(
        _set(raw_create_body=PER_ADDON_ERROR.encode(), create_status=200),
        "precheck",
        4,
        "the check of coredns failed to start: CCE.01400050 addon is upgrading",
        posts=1,
    ),
    "create-answer-without-ids": Scenario(
        _set(create_response_style="phase", scripts={"coredns": FATAL_SCRIPT}),
        "precheck",
        1,
        "",
        posts=1,
    ),
    "created-for-another-version-is-blocked": Scenario(
        _set(created_target_version="9.9.9"),
        "precheck",
        1,
        "",
        posts=1,
    ),
    "duplicate-task-ids": Scenario(
        _set(raw_list_body=DUPLICATES),
        "check",
        3,
        "items[0] and items[1] are both task dup-1, with different content",
    ),
    "task-disappears-while-waiting": Scenario(
        _set(scripts={"coredns": NEVER_ENDS}, vanish_after_polls=2),
        "precheck",
        5,
        "was listed while waiting, then disappeared",
        posts=1,
    ),
    "redirected-get-is-signed-again": Scenario(
        _faults(Fault(kind="redirect", match="tasks", times=3)),
        "precheck",
        0,
        "",
        posts=1,
    ),
    "redirected-post-is-signed-again": Scenario(
        _faults(Fault(kind="redirect", code=307, match="precheck", method="POST")),
        "precheck",
        0,
        "",
        posts=2,
    ),
    "redirect-to-another-origin": Scenario(
        _faults(Fault(kind="redirect", match="addons", location="http://localhost:9/api")),
        "precheck",
        4,
        "redirected to another origin (http://localhost:9); refusing to send the credentials",
        posts=0,
    ),
    "idle-connections-closed-by-the-server": Scenario(
        _set(idle_timeout=0.02),
        "precheck",
        0,
        "",
        env={"GATE_POLL_INTERVAL": "0.05"},
        posts=1,
    ),
    "retry-after-in-other-digits-is-ignored": Scenario(
        _faults(
            Fault(
                kind="status",
                match="tasks",
                code=503,
                # sent as UTF-8 bytes, as a careless gateway would
                retry_after="١٢".encode().decode("latin-1"),
                times=2,
            )
        ),
        "check",
        5,
        "nothing to judge",
        max_seconds=5,
    ),
}


def _prepare(fake: FakeCCE, scenario: Scenario) -> None:
    armed(fake)
    scenario.setup(fake)


def _run(fake: FakeCCE, tmp_path: Path, scenario: Scenario, env: dict[str, str]) -> Run:
    runner = run_precheck if scenario.command == "precheck" else run_check
    return runner(fake, tmp_path, *scenario.args, env={**env, **scenario.env})


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hostile_server(fake_cce: FakeCCE, tmp_path: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    _prepare(fake_cce, scenario)
    started = time.monotonic()
    run = _run(fake_cce, tmp_path, scenario, aksk())
    elapsed = time.monotonic() - started
    assert run.code == scenario.code, run.stdout + run.stderr
    if scenario.code in (2, 3, 4):
        assert scenario.message in one_error_line(run)
    elif scenario.message:
        assert scenario.message in run.stdout
    assert elapsed < scenario.max_seconds, f"took {elapsed:.1f} s"
    if scenario.posts is not None:
        assert posts(fake_cce) == scenario.posts
    assert not fake_cce.auth_failures, "every request, redirected ones too, was signed right"
    assert_no_secret(run)


# Where a token travels differently from a signature: echoed, redirected, resent, cut short.
TOKEN_SCENARIOS = (
    "echoed-headers",
    "redirected-get-is-signed-again",
    "redirected-post-is-signed-again",
    "ambiguous-502-check-started",
    "cut-body",
    "gzip-bomb",
)


@pytest.mark.parametrize("name", TOKEN_SCENARIOS)
def test_no_secret_with_a_token_either(fake_cce: FakeCCE, tmp_path: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    _prepare(fake_cce, scenario)
    run = _run(fake_cce, tmp_path, scenario, {"HW_AUTH_TOKEN": TOKEN, "GATE_DEBUG": "1"})
    assert run.code == scenario.code, run.stdout + run.stderr
    assert_no_secret(run)


def test_the_secret_forms_are_those_redaction_knows() -> None:
    """Cross-check: where this test looks for a form of a secret, gate.redaction removes it."""
    redaction.register(*SECRETS)
    for secret in SECRETS:
        for form, text in forms(secret).items():
            assert form not in redaction.scrub(f"seen: {text}."), form


# --- details the scenario table does not show ------------------------------------------------


def test_ambiguous_create_finds_the_check_by_listing(fake_cce: FakeCCE, tmp_path: Path) -> None:
    armed(fake_cce)
    fake_cce.scripts["coredns"] = FATAL_SCRIPT
    fake_cce.faults.append(
        Fault(kind="status", match="precheck", method="POST", code=504, after=True)
    )
    run = run_precheck(fake_cce, tmp_path, env=aksk())
    assert run.code == 1, run.stdout + run.stderr
    [created] = fake_cce.tasks
    assert [t["task_id"] for t in run.report["tasks"]["judged"]] == [created["taskID"]]
    assert any("it was not sent again" in note for note in run.report["notes"])


def test_a_task_for_another_version_is_never_adopted(fake_cce: FakeCCE) -> None:
    # no task ID in the create answer, and the only new task is for another version
    fake_cce.create_response_style = "phase"
    fake_cce.created_target_version = "9.9.9"
    clock = FakeClock(100.0)
    options = live.LiveOptions(
        endpoint=fake_cce.url,
        project_id=DEFAULT_PROJECT_ID,
        cluster_id=DEFAULT_CLUSTER_ID,
        timeout=60,
        environ={"HW_AUTH_TOKEN": TOKEN},
        clock=clock,
        sleep=clock.sleep,
    )
    report = live.precheck(CheckOptions(environ={}), options, ("coredns=1.30.33",))
    assert report.exit_code == 5
    assert report.judged == ()
    assert "coredns: the check started for 1.30.33 (its task) is not listed by the API" in {
        pending.reason for pending in report.pending
    }
    assert sum(clock.sleeps) == pytest.approx(60), "it kept waiting until --timeout"


def test_the_target_version_rule_is_listed_and_hard(fake_cce: FakeCCE, tmp_path: Path) -> None:
    armed(fake_cce)
    fake_cce.created_target_version = "9.9.9"
    run = run_precheck(fake_cce, tmp_path, env=aksk())
    assert run.code == 1
    [finding] = [f for f in run.report["findings"] if f["outcome"] == "blocking"]
    assert finding["policy"] == "precheck-target-version"
    assert finding["message"] == (
        "coredns (addonUpgrade): the check is for '9.9.9', not for '1.30.33' as asked"
    )
    [info] = [p for p in run.report["policies"] if p["id"] == "precheck-target-version"]
    assert info["enforcement"] == "hard-mandatory"
    override = ("--override", "precheck-target-version", "--reason", "try")
    refused = run_precheck(fake_cce, tmp_path, *override, env=aksk())
    assert refused.code == 2
    assert "hard-mandatory policy cannot be overridden" in refused.stderr
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - policy: precheck-target-version\n    reason: later\n"
        "    owner: someone\n    expires: 2099-12-31\n"
    )
    refused = run_precheck(fake_cce, tmp_path, "--waivers", str(waivers), env=aksk())
    assert refused.code == 2
    assert "policy precheck-target-version is hard-mandatory and cannot be waived" in (
        refused.stderr
    )
    assert posts(fake_cce) == 1, "neither refusal started a check"


def test_a_vanished_task_is_incomplete_even_with_allow_empty(
    fake_cce: FakeCCE, tmp_path: Path
) -> None:
    fake_cce.scripts["coredns"] = NEVER_ENDS
    fake_cce.vanish_after_polls = 2
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
    path = f"/api/v3/projects/{DEFAULT_PROJECT_ID}/clusters/{DEFAULT_CLUSTER_ID}/addons/precheck"
    httpx.post(fake_cce.url + path, json=body, timeout=5).raise_for_status()
    run = run_check(fake_cce, tmp_path, "--wait", "--allow-empty", env={"HW_AUTH_TOKEN": TOKEN})
    assert run.code == 5, run.stdout + run.stderr
    [pending] = run.report["pending"]
    assert "was listed while waiting, then disappeared" in pending["reason"]


def test_a_post_goes_out_on_a_fresh_connection_after_an_idle_close(fake_cce: FakeCCE) -> None:
    fake_cce.idle_timeout = 0.05
    with CceClient(
        fake_cce.url,
        project_id=DEFAULT_PROJECT_ID,
        cluster_id=DEFAULT_CLUSTER_ID,
        auth=TokenAuth("any-token"),
    ) as client:
        client.list_addons()
        time.sleep(0.2)  # the server closes the kept-alive connection meanwhile
        spec = {"addonTemplateName": "coredns", "addonInstanceID": COREDNS_UID}
        answer = client.create_checks(
            [{**spec, "targetVersion": "1.30.33", "type": "addonUpgrade"}]
        )
    assert answer.status == 201
    assert len(requests_to(fake_cce, "/addons/precheck", "POST")) == 1


def test_save_response_folder_is_checked_before_any_request(
    fake_cce: FakeCCE, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = gate(
        tmp_path,
        "precheck",
        "--addon",
        "coredns=1.30.33",
        "--save-response",
        str(blocker / "saved.json"),
        endpoint=fake_cce.url,
        env=aksk(),
        saved=False,
    )
    assert run.code == 2, run.stdout + run.stderr
    assert f"--save-response {blocker / 'saved.json'}: cannot write in {blocker}" in run.stderr
    assert fake_cce.requests == []


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (f"https://user:{quote(SK, safe='')}@cce.example.com", "must not carry a user name"),
        (f"https://cce.example.com/?X-Auth-Token={quote(TOKEN)}", "no query or fragment"),
        (f"https://cce.example.com:{TOKEN}", "not a URL"),
        (f"ftp{TOKEN}://cce.example.com", "the scheme must be http or https"),
        (f"file://{TOKEN}", "the scheme must be http or https"),
    ],
)
def test_a_rejected_endpoint_is_not_repeated(tmp_path: Path, endpoint: str, message: str) -> None:
    run = gate(tmp_path, "check", endpoint=endpoint, env=aksk())
    assert run.code == 2, run.stdout + run.stderr
    assert message in one_error_line(run)
    assert "cce.example.com" not in run.everything
    assert_no_secret(run)


def test_a_project_id_that_is_a_credential_is_not_shown(tmp_path: Path) -> None:
    for value in (TOKEN, "LOOKSLIKEANAKEY0123"):
        env = {"HW_AUTH_TOKEN": value, "HW_PROJECT_ID": value}
        run = gate(tmp_path, "check", endpoint="http://127.0.0.1:9", env=env)
        assert run.code == 2, run.stdout + run.stderr
        assert "--project-id" in one_error_line(run)
        assert_no_secret(run, (value,))


def test_a_connection_failure_through_a_proxy_names_it(tmp_path: Path) -> None:
    proxy = f"http://proxyuser:{quote(SK, safe='')}@127.0.0.1:9"
    env = {"HW_AUTH_TOKEN": TOKEN, "HTTPS_PROXY": proxy, "GATE_HTTP_TIMEOUT": "0.5"}
    run = gate(tmp_path, "check", endpoint="https://cce.example.com", env=env)
    assert run.code == 4, run.stdout + run.stderr
    assert "through the proxy http://127.0.0.1:9" in one_error_line(run)
    assert "proxyuser" not in run.everything
    assert_no_secret(run)


def test_tls_failure_says_which_check_failed(fake_cce_tls: FakeCCE, tmp_path: Path) -> None:
    run = gate(tmp_path, "check", endpoint=fake_cce_tls.url, env={"HW_AUTH_TOKEN": TOKEN})
    assert run.code == 4
    line = one_error_line(run)
    assert "not trusted (unknown CA: unable to get local issuer certificate)" in line
    assert "--ca-bundle PATH" in line


@pytest.mark.parametrize(
    ("fake", "check", "hint"),
    [
        (dict(cert_expired=True), "(expired: certificate has expired)", "must be renewed"),
        (dict(cert_names=("cce.example.com",)), "(hostname mismatch: ", "check --endpoint"),
    ],
)
def test_tls_failure_names_the_certificate_check(
    tmp_path: Path, fake: dict[str, Any], check: str, hint: str
) -> None:
    with FakeCCE(tls=True, **fake) as server:
        assert server.ca_pem_path is not None
        args = ("--ca-bundle", server.ca_pem_path)
        run = gate(tmp_path, "check", *args, endpoint=server.url, env={"HW_AUTH_TOKEN": TOKEN})
    assert run.code == 4, run.stdout
    line = one_error_line(run)
    assert check in line and hint in line


class Interrupted(BaseException):
    """What the CLI's SIGINT/SIGTERM handler raises from wherever the main thread is."""


def test_an_interrupt_while_waiting_is_not_swallowed(fake_cce: FakeCCE, tmp_path: Path) -> None:
    fake_cce.scripts["coredns"] = NEVER_ENDS
    saved = tmp_path / "saved.json"

    def interrupted(seconds: float) -> None:
        raise Interrupted

    options = live.LiveOptions(
        endpoint=fake_cce.url,
        project_id=DEFAULT_PROJECT_ID,
        cluster_id=DEFAULT_CLUSTER_ID,
        save_response=saved,
        environ={"HW_AUTH_TOKEN": TOKEN},
        sleep=interrupted,
    )
    with pytest.raises(Interrupted):
        live.precheck(CheckOptions(environ={}), options, ("coredns=1.30.33",))
    assert [p.name for p in tmp_path.iterdir()] == ["saved.json"], "no partial file left"
    assert posts(fake_cce) == 1


def test_a_failed_listing_after_an_ambiguous_create_keeps_the_create_story(
    fake_cce: FakeCCE,
) -> None:
    fake_cce.faults.append(Fault(kind="status", match="precheck", method="POST", code=503))
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        # while gate looks for the check, the listing starts failing
        fake_cce.faults.append(Fault(kind="status", match="tasks", code=403, message="denied"))
        clock.sleep(seconds)

    options = live.LiveOptions(
        endpoint=fake_cce.url,
        project_id=DEFAULT_PROJECT_ID,
        cluster_id=DEFAULT_CLUSTER_ID,
        environ={"HW_AUTH_TOKEN": TOKEN},
        clock=clock,
        sleep=sleep,
    )
    report = live.precheck(CheckOptions(environ={}), options, ("coredns=1.30.33",))
    assert report.exit_code == 4
    assert report.error is not None
    message = report.error.message
    assert "/addons/precheck: HTTP 503 Service Unavailable" in message
    assert "; then GET " in message and "HTTP 403 Forbidden: CCE.01403001 denied" in message
    assert message.endswith("(the create request was not sent again)")
    assert posts(fake_cce) == 1
