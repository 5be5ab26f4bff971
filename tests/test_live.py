"""Live mode end to end: the real CLI against the fake CCE API over real HTTP on 127.0.0.1.

Polling and retries are made fast with the documented tuning variables (GATE_POLL_INTERVAL,
GATE_RETRY_DELAY, GATE_HTTP_TIMEOUT); the wait logic itself is also checked with an injected clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fake_cce import (
    COREDNS_UID,
    DEFAULT_CLUSTER_ID,
    DEFAULT_PROJECT_ID,
    EVEREST_UID,
    FakeCCE,
    Fault,
)
from helpers import FakeClock
from secret_forms import forms

from gate import live
from gate.cli import cli
from gate.errors import ConfigError
from gate.run import CheckOptions

pytestmark = pytest.mark.socket

ROOT = Path(__file__).resolve().parent.parent
TASKS_PATH = f"/api/v3/projects/{DEFAULT_PROJECT_ID}/clusters/{DEFAULT_CLUSTER_ID}/addons/precheck"

# Known secret values: none of them may appear in any output.
AK = "LEAKAKQTWAOYTTINDUT2"
SK = "LEAKSK-MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlm"
SECURITY_TOKEN = "LEAKSTS-gQpjbi1ub3J0aC00IiwiYWNjZXNz"
TOKEN = "LEAKTOKEN-MIIEhAYJKoZIhvcNAQcCoIIEdTCCBHECAQEx"
SECRETS = (AK, SK, SECURITY_TOKEN, TOKEN)

FAST = {"GATE_POLL_INTERVAL": "0.01", "GATE_RETRY_DELAY": "0.001", "GATE_HTTP_TIMEOUT": "2"}
# Everything from the environment running the tests that could change a run.
CLEARED = (
    live.TOKEN_VARIABLE,
    *(name for names in live.AKSK_VARIABLES for name in names),
    *live.PROJECT_VARIABLES,
    live.REGION_VARIABLE,
    live.DOMAIN_VARIABLE,
    "GATE_ENDPOINT",
    "GATE_CLUSTER_ID",
    "GATE_POLICY",
    "GATE_WAIVERS",
    "GATE_DEBUG",
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITLAB_CI",
    "FORCE_COLOR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)

FATAL_SCRIPT = [
    {"status": "Init"},
    {"status": "Running", "riskList": []},
    {
        "status": "Failed",
        "riskList": [
            {"riskName": "AddonStatus", "level": "Warning", "status": "Success", "message": ""},
            {
                "riskName": "AddonValidate",
                "level": "Fatal",
                "status": "Failed",
                "message": "configmap coredns had been modified",
            },
        ],
    },
]
NEVER_ENDS = [{"status": "Running", "riskList": []}]


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The CLI's live runs wait on a clock that moves only when gate sleeps: a `--timeout 1` or a
    `Retry-After: 1` is honoured in full, in no real time (requests still go to the real fake)."""
    clock = FakeClock(1000.0)
    real = live.LiveOptions

    def options(**kwargs: Any) -> live.LiveOptions:
        return real(**{"clock": clock, "sleep": clock.sleep, **kwargs})

    monkeypatch.setattr(live, "LiveOptions", options)
    return clock


def aksk_env(security_token: bool = False) -> dict[str, str]:
    env = {"HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK}
    if security_token:
        env["HW_SECURITY_TOKEN"] = SECURITY_TOKEN
    return env


def secure(fake: FakeCCE, security_token: bool = False) -> FakeCCE:
    """Make the fake demand AK/SK signatures (and accept the token too)."""
    fake.ak, fake.sk, fake.token = AK, SK, TOKEN
    fake.security_token = SECURITY_TOKEN if security_token else None
    return fake


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    report: dict[str, Any]
    files: dict[str, str]

    @property
    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, *self.files.values()])


def gate(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    endpoint: str | None = None,
    saved: bool = True,
) -> Run:
    """Run the real CLI; every report format and the saved response are collected."""
    reports = {name: tmp_path / f"out.{name}" for name in ("json", "junit", "saved")}
    for path in reports.values():
        path.unlink(missing_ok=True)
    full = [*args, "--json", str(reports["json"]), "--junit", str(reports["junit"])]
    if saved:
        full += ["--save-response", str(reports["saved"])]
    if endpoint is not None:
        full += ["--endpoint", endpoint]
    environ: dict[str, str | None] = {key: None for key in CLEARED}
    environ.update(
        {
            **FAST,
            "HW_PROJECT_ID": DEFAULT_PROJECT_ID,
            "GATE_CLUSTER_ID": DEFAULT_CLUSTER_ID,
            "NO_COLOR": "1",
            **(env or {}),
        }
    )
    result = CliRunner().invoke(cli, full, env=environ)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    files = {name: p.read_text() for name, p in reports.items() if p.exists()}
    report = json.loads(files["json"]) if "json" in files else {}
    return Run(result.exit_code, result.stdout, result.stderr, report, files)


def assert_no_secret(run: Run) -> None:
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in run.everything, f"secret {secret[:8]}... leaked as {form!r}"


def requests_to(fake: FakeCCE, suffix: str, method: str = "GET") -> list[Any]:
    return [r for r in fake.requests if r.path.endswith(suffix) and r.method == method]


def precheck(fake: FakeCCE, tmp_path: Path, *args: str, **kwargs: Any) -> Run:
    kwargs.setdefault("env", aksk_env())
    return gate(
        tmp_path,
        "precheck",
        "--addon",
        "coredns=1.30.33",
        "--addon",
        "everest=2.4.5",
        *args,
        endpoint=fake.url,
        **kwargs,
    )


def create_task(fake: FakeCCE, name: str = "coredns", uid: str = COREDNS_UID) -> str:
    """Start a scripted task on an unauthenticated fake, as the console would."""
    body = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": DEFAULT_CLUSTER_ID,
            "addonList": [
                {
                    "addonTemplateName": name,
                    "addonInstanceID": uid,
                    "targetVersion": "1.30.33",
                    "type": "addonUpgrade",
                }
            ],
        },
    }
    answer = httpx.post(fake.url + TASKS_PATH, json=body, timeout=5)
    answer.raise_for_status()
    task_id: str = answer.json()["status"]["items"][0]["metadata"]["taskID"]
    return task_id


# --- gate precheck ---------------------------------------------------------------------------


def test_precheck_blocks_on_a_fatal_risk(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce, security_token=True)
    fake_cce.scripts["coredns"] = FATAL_SCRIPT
    run = precheck(fake_cce, tmp_path, env=aksk_env(security_token=True))

    assert run.code == 1, run.stdout + run.stderr
    assert run.report["verdict"] == "blocked"
    [post] = requests_to(fake_cce, "/addons/precheck", "POST")
    assert post.json()["spec"]["addonList"] == [
        {
            "addonTemplateName": "coredns",
            "addonInstanceID": COREDNS_UID,
            "targetVersion": "1.30.33",
            "type": "addonUpgrade",
        },
        {
            "addonTemplateName": "everest",
            "addonInstanceID": EVEREST_UID,
            "targetVersion": "2.4.5",
            "type": "addonUpgrade",
        },
    ]
    created = {t["addonTemplateName"]: t["taskID"] for t in fake_cce.tasks}
    judged = {t["addon"]: t["task_id"] for t in run.report["tasks"]["judged"]}
    assert judged == created
    [blocking] = [f for f in run.report["findings"] if f["outcome"] == "blocking"]
    assert blocking["policy"] == "no-fatal-risks"
    assert "configmap coredns had been modified" in blocking["message"]
    # progress on stderr, one line per poll outside a terminal
    assert "started 2 check(s): coredns 1.29.4 -> 1.30.33" in run.stderr
    assert "waiting for 2 checks: 1 Init, 1 Running (0 s elapsed)" in run.stderr
    assert "2 checks finished: 1 Failed, 1 Success" in run.stderr
    assert run.stdout.startswith(f"gate 0.1.0: {fake_cce.url} cluster {DEFAULT_CLUSTER_ID}")
    notes = run.report["notes"]
    assert (
        "credentials: AK/SK from HW_ACCESS_KEY/HW_SECRET_KEY, "
        "security token from HW_SECURITY_TOKEN" in notes
    )
    assert any(created["coredns"] in note and created["everest"] in note for note in notes)
    assert run.report["params"] == {
        "target_version.coredns": "1.30.33",
        "target_version.everest": "2.4.5",
    }
    assert fake_cce.signature_failures == 0 and not fake_cce.auth_failures
    assert_no_secret(run)


def test_precheck_clean_run_passes(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    run = precheck(fake_cce, tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert run.report["verdict"] == "pass"
    assert len(run.report["tasks"]["judged"]) == 2
    assert_no_secret(run)


def test_precheck_judges_only_the_tasks_it_started(fake_cce: FakeCCE, tmp_path: Path) -> None:
    old = {
        "metadata": {
            "type": "addonUpgrade",
            "taskID": "old-task",
            "addonTemplateName": "coredns",
            "addonInstanceID": COREDNS_UID,
            "createTimeStamp": "2099-01-01T00:00:00+08:00",  # even a "newer" stale one
        },
        "status": {"status": "Failed", "message": "", "riskList": []},
    }
    fake_cce.preexisting_tasks.append(old)
    run = precheck(fake_cce, tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert "old-task" not in {t["task_id"] for t in run.report["tasks"]["judged"]}


def test_precheck_never_finishing_is_incomplete_at_the_timeout(
    fake_cce: FakeCCE, tmp_path: Path, fake_time: FakeClock
) -> None:
    fake_cce.scripts["coredns"] = NEVER_ENDS
    run = precheck(fake_cce, tmp_path, "--timeout", "1")
    assert run.code == 5, run.stdout + run.stderr
    assert run.report["verdict"] == "incomplete"
    [pending] = run.report["pending"]
    assert pending["reason"] == "coredns (addonUpgrade): the check is still Running"
    assert any(n.startswith("stopped waiting after 1 s (--timeout 1)") for n in run.report["notes"])
    assert "stopped waiting after 1 s: 1 Running, 1 Success" in run.stderr
    assert "WAIT  coredns (addonUpgrade): the check is still Running" in run.stdout
    polls = requests_to(fake_cce, "/precheck/tasks")
    assert 3 < len(polls) < 100, "polled, with a backoff, within the timeout"


def test_precheck_finds_new_tasks_when_the_create_answer_has_no_ids(
    fake_cce: FakeCCE, tmp_path: Path
) -> None:
    fake_cce.create_response_style = "phase"  # the SDK's shape: status.{phase, itemsStatus}
    fake_cce.scripts["coredns"] = FATAL_SCRIPT
    run = precheck(fake_cce, tmp_path)
    assert run.code == 1, run.stdout + run.stderr
    created = {t["addonTemplateName"]: t["taskID"] for t in fake_cce.tasks}
    judged = {t["addon"]: t["task_id"] for t in run.report["tasks"]["judged"]}
    assert judged == created
    assert "(task ID not returned)" in run.stderr
    assert any("carries no usable task ID for coredns, everest" in n for n in run.report["notes"])


def test_precheck_target_version_policy_needs_no_param(fake_cce: FakeCCE, tmp_path: Path) -> None:
    policy = str(ROOT / "policies" / "examples" / "target-version-matches.yaml")
    run = precheck(fake_cce, tmp_path, "--policy", policy)
    assert run.code == 0, run.stdout + run.stderr
    # the pipeline's own parameter wins over the one precheck derives
    run = precheck(fake_cce, tmp_path, "--policy", policy, "--param", "target_version=9.9.9")
    assert run.code == 1, run.stdout + run.stderr
    assert {f["policy"] for f in run.report["findings"]} == {"target-version-matches"}


def test_precheck_unknown_addon_lists_the_installed_ones(fake_cce: FakeCCE, tmp_path: Path) -> None:
    run = gate(
        tmp_path, "precheck", "--addon", "cordns=1.30.33", endpoint=fake_cce.url, env=aksk_env()
    )
    assert run.code == 2
    assert (
        "--addon cordns: not installed in cluster 6ab9c9b4-0000-4000-8000-000000000001; "
        "installed add-ons: coredns 1.29.4, everest 2.4.38" in run.stderr
    )
    assert not requests_to(fake_cce, "/addons/precheck", "POST")


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (["coredns"], "--addon 'coredns': expected NAME=VERSION"),
        (["coredns=1", "coredns=2"], "--addon coredns is given more than once"),
    ],
)
def test_precheck_bad_targets(
    fake_cce: FakeCCE, tmp_path: Path, targets: list[str], message: str
) -> None:
    args = [arg for target in targets for arg in ("--addon", target)]
    run = gate(tmp_path, "precheck", *args, endpoint=fake_cce.url, env=aksk_env())
    assert run.code == 2 and message in run.stderr
    assert fake_cce.requests == []


# --- gate check (live) -----------------------------------------------------------------------


def test_check_fetches_and_judges_like_offline(fake_cce: FakeCCE, tmp_path: Path) -> None:
    fake_cce.preexisting_tasks.append(
        json.loads((ROOT / "examples" / "blocked-coredns.json").read_text())["items"][0]
    )
    run = gate(tmp_path, "check", endpoint=fake_cce.url, env=aksk_env())
    assert run.code == 1, run.stdout + run.stderr
    assert run.stderr == "", "no progress without --wait"

    saved = tmp_path / "saved.json"
    saved.write_text(run.files["saved"])
    offline = gate(tmp_path, "check", "--input", str(saved), saved=False)
    assert offline.code == 1
    keep = ("verdict", "findings", "pending", "tasks", "summary")
    assert {k: run.report[k] for k in keep} == {k: offline.report[k] for k in keep}


def test_check_passes_the_api_filters(fake_cce: FakeCCE, tmp_path: Path) -> None:
    task_id = create_task(fake_cce)
    args = ["--type", "addonUpgrade", "--task-id", task_id, "--addon-instance-id", COREDNS_UID]
    gate(tmp_path, "check", *args, endpoint=fake_cce.url, env=aksk_env())
    [listing] = requests_to(fake_cce, "/precheck/tasks")
    assert listing.query == {
        "type": "addonUpgrade",
        "task_id": task_id,
        "addon_instance_id": COREDNS_UID,
    }


def test_check_without_wait_reports_running_checks(fake_cce: FakeCCE, tmp_path: Path) -> None:
    create_task(fake_cce)
    run = gate(tmp_path, "check", endpoint=fake_cce.url, env=aksk_env())
    assert run.code == 5
    assert len(requests_to(fake_cce, "/precheck/tasks")) == 1


def test_check_wait_polls_until_finished(fake_cce: FakeCCE, tmp_path: Path) -> None:
    fake_cce.scripts["coredns"] = [*[{"status": "Running", "riskList": []}] * 3, *FATAL_SCRIPT]
    create_task(fake_cce)
    run = gate(tmp_path, "check", "--wait", endpoint=fake_cce.url, env=aksk_env())
    assert run.code == 1, run.stdout + run.stderr
    assert len(requests_to(fake_cce, "/precheck/tasks")) == 6
    assert run.stderr.count("waiting for 1 check: 1 Running") == 4
    saved = json.loads(run.files["saved"])
    assert saved["items"][0]["status"]["status"] == "Failed", "the last response is saved"


def test_503s_then_success_still_pass(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    fake_cce.faults.append(Fault(kind="status", match="tasks", code=503, style="html", times=3))
    fake_cce.faults.append(Fault(kind="status", match="addons", code=502, style="apig", times=2))
    run = precheck(fake_cce, tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert len(requests_to(fake_cce, "/api/v3/addons")) == 3
    assert "HTTP 503 Service Unavailable" in run.stderr and "retrying in" in run.stderr


def test_429_with_retry_after_is_honoured(
    fake_cce: FakeCCE, tmp_path: Path, fake_time: FakeClock
) -> None:
    fake_cce.faults.append(
        Fault(kind="status", match="tasks", code=429, style="apig", retry_after="1")
    )
    run = gate(tmp_path, "check", endpoint=fake_cce.url, env=aksk_env())
    assert fake_time.sleeps and min(fake_time.sleeps) >= 1, "waited at least the Retry-After"
    assert run.code == 5, run.stdout + run.stderr  # nothing to judge, but fetched
    assert len(requests_to(fake_cce, "/precheck/tasks")) == 2


def test_401_exits_4_at_once_with_the_gateway_message(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    env = {"HW_ACCESS_KEY": AK, "HW_SECRET_KEY": SK + "-wrong"}
    run = precheck(fake_cce, tmp_path, env=env)
    assert run.code == 4
    assert len(fake_cce.requests) == 1, "a 401 is never retried"
    assert fake_cce.signature_failures == 1
    rid = fake_cce.requests[0].request_id
    assert (
        "HTTP 401 Unauthorized: APIGW.0301 Incorrect IAM authentication information: "
        f"verify aksk signature fail (request ID {rid})" in run.stderr
    )
    assert "credentials: AK/SK from HW_ACCESS_KEY/HW_SECRET_KEY" in run.stderr
    assert run.report["verdict"] == "api-error"
    assert run.report["source"] == f"{fake_cce.url} cluster {DEFAULT_CLUSTER_ID}"


def test_token_from_hw_auth_token_and_token_env(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    run = precheck(fake_cce, tmp_path, env={"HW_AUTH_TOKEN": TOKEN, **aksk_env()})
    assert run.code == 0, run.stdout + run.stderr
    assert {r.headers.get("x-auth-token") for r in fake_cce.requests} == {TOKEN}
    assert (
        "credentials: IAM token from HW_AUTH_TOKEN (also set, not used: HW_ACCESS_KEY, "
        "HW_SECRET_KEY)" in run.report["notes"]
    )
    run = precheck(fake_cce, tmp_path, "--token-env", "MY_TOKEN", env={"MY_TOKEN": TOKEN})
    assert run.code == 0
    assert "credentials: IAM token from MY_TOKEN" in run.report["notes"]
    assert_no_secret(run)


def test_wrong_token_exits_4(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    run = precheck(fake_cce, tmp_path, env={"HW_AUTH_TOKEN": "expired-token-value"})
    assert run.code == 4
    assert "APIGW.0307 The token must be updated." in run.stderr
    assert len(fake_cce.requests) == 1


def test_explicit_flags_and_official_sdk_variables(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce)
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HW_PROJECT_ID": "someone-elses-project",
        "GATE_CLUSTER_ID": "someone-elses-cluster",
    }
    args = ["--project-id", DEFAULT_PROJECT_ID, "--cluster-id", DEFAULT_CLUSTER_ID]
    run = gate(tmp_path, "check", *args, endpoint=fake_cce.url, env=env)
    assert run.code == 5, run.stdout + run.stderr  # fetched; the fake lists no task
    assert (
        "credentials: AK/SK from HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (no security token)"
        in (run.report["notes"])
    )


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, [], "no credentials: set HW_AUTH_TOKEN"),
        ({"HW_ACCESS_KEY": AK}, [], "HW_ACCESS_KEY is set but HW_SECRET_KEY is not"),
        ({"HW_AUTH_TOKEN": TOKEN}, ["--token-env", "NOPE"], "the variable NOPE is not set"),
        (
            {"HW_AUTH_TOKEN": TOKEN},
            ["--token-env", TOKEN],
            "is not a variable name and is not shown",
        ),
        ({"HW_AUTH_TOKEN": TOKEN, "GATE_CLUSTER_ID": ""}, [], "--cluster-id is required"),
        ({"HW_AUTH_TOKEN": TOKEN, "HW_PROJECT_ID": ""}, [], "--project-id is required"),
        ({"HW_AUTH_TOKEN": TOKEN, "GATE_POLL_INTERVAL": "soon"}, [], "GATE_POLL_INTERVAL="),
        ({"HW_AUTH_TOKEN": TOKEN}, ["--ca-bundle", "/nonexistent.pem"], "no such file"),
        (
            {"HW_AUTH_TOKEN": TOKEN},
            ["--policy", "/nonexistent-policy.yaml"],
            "/nonexistent-policy.yaml",
        ),
        # found by the engine only while judging: still before any request
        (
            {"HW_AUTH_TOKEN": TOKEN},
            ["--override", "no-fatal-risks", "--reason", "x"],
            "a hard-mandatory policy cannot be overridden",
        ),
        ({"HW_AUTH_TOKEN": TOKEN}, ["--enforcement", "nope=advisory"], "no such policy"),
    ],
)
def test_configuration_errors_exit_2_before_any_request(
    fake_cce: FakeCCE, tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    run = gate(tmp_path, "check", *args, endpoint=fake_cce.url, env=env)
    assert run.code == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert fake_cce.requests == []
    assert_no_secret(run)


def test_no_endpoint_and_no_region_is_a_config_error(tmp_path: Path) -> None:
    run = gate(tmp_path, "check", env={"HW_AUTH_TOKEN": TOKEN})
    assert run.code == 2
    assert "give --region (or HW_REGION_NAME) or --endpoint URL" in run.stderr


def test_endpoint_from_region() -> None:
    assert (
        live.endpoint_for_region("ap-southeast-1") == "https://cce.ap-southeast-1.myhuaweicloud.com"
    )
    assert live.endpoint_for_region("eu-west-101") == "https://cce.eu-west-101.myhuaweicloud.eu"
    assert (
        live.endpoint_for_region("cn-north-4", "example.org")
        == "https://cce.cn-north-4.example.org"
    )
    with pytest.raises(ConfigError):
        live.endpoint_for_region("https://cce.example.com")


def test_region_endpoint_is_used(tmp_path: Path) -> None:
    # Nothing listens there in the test environment, which proves the URL without a network.
    run = gate(
        tmp_path,
        "check",
        "--region",
        "eu-west-101",
        env={
            "HW_AUTH_TOKEN": TOKEN,
            "GATE_HTTP_TIMEOUT": "0.5",
            "HTTPS_PROXY": "http://127.0.0.1:9",
        },
        saved=False,
    )
    assert run.code == 4
    assert (
        run.report["source"]
        == f"https://cce.eu-west-101.myhuaweicloud.eu cluster {DEFAULT_CLUSTER_ID}"
    )
    assert_no_secret(run)


def test_credentials_precedence() -> None:
    both = {
        "CLOUD_SDK_AK": "A1",
        "CLOUD_SDK_SK": "S1",
        "HW_ACCESS_KEY": "A3",
        "HW_SECRET_KEY": "S3",
    }
    first = live.resolve_credentials(both)
    assert (first.ak, first.sk) == ("A1", "S1")
    assert first.description == (
        "AK/SK from CLOUD_SDK_AK/CLOUD_SDK_SK (no security token) "
        "(also set, not used: HW_ACCESS_KEY, HW_SECRET_KEY)"
    )
    sdk = live.resolve_credentials(
        {
            "HUAWEICLOUD_SDK_AK": "A2",
            "HUAWEICLOUD_SDK_SK": "S2",
            "HUAWEICLOUD_SDK_SECURITY_TOKEN": "T2",
            "HW_SECURITY_TOKEN": "wrong-pair",
        }
    )
    assert sdk.security_token == "T2"
    assert live.resolve_credentials({**both, "HW_AUTH_TOKEN": "tok"}).token == "tok"
    named = live.resolve_credentials({"HW_AUTH_TOKEN": "a", "OTHER": "b"}, token_env="OTHER")
    assert named.token == "b"
    for credentials in (first, sdk, named):
        assert not any(secret in repr(credentials) for secret in credentials.secrets)


def test_options_repr_hides_the_environment() -> None:
    options = live.LiveOptions(environ={"HW_SECRET_KEY": SK})
    assert SK not in repr(options)
    assert SK not in repr(CheckOptions(environ={"HW_SECRET_KEY": SK}))


def test_pacing_from_the_environment() -> None:
    assert live.Pacing.from_environ({}) == live.Pacing()
    fast = live.Pacing.from_environ(FAST)
    assert (fast.poll_interval, fast.poll_max) == (0.01, 0.075)
    assert (fast.retry_delay, fast.retry_max, fast.request_timeout) == (0.001, 0.016, 2.0)


# --- waiting, with an injected clock ---------------------------------------------------------


def test_poll_interval_backs_off_and_stops_at_the_timeout(fake_cce: FakeCCE) -> None:
    fake_cce.scripts["coredns"] = NEVER_ENDS
    create_task(fake_cce)
    clock = FakeClock(1000.0)
    lines: list[str] = []
    options = live.LiveOptions(
        endpoint=fake_cce.url,
        project_id=DEFAULT_PROJECT_ID,
        cluster_id=DEFAULT_CLUSTER_ID,
        wait=True,
        timeout=60,
        progress=lines.append,
        environ={"HW_AUTH_TOKEN": TOKEN},
        clock=clock,
        sleep=clock.sleep,
    )
    report = live.check(CheckOptions(environ={}), options)
    assert report.exit_code == 5
    assert clock.sleeps[:6] == pytest.approx([2, 3, 4.5, 6.75, 10.125, 15])
    assert max(clock.sleeps) == 15
    assert sum(clock.sleeps) == pytest.approx(60)
    assert lines[0] == "waiting for 1 check: 1 Running (0 s elapsed)"
    assert lines[-1] == "stopped waiting after 60 s: 1 Running"
    assert len(requests_to(fake_cce, "/precheck/tasks")) == len(clock.sleeps) + 1


# --- faults ----------------------------------------------------------------------------------

FAULTS: dict[str, tuple[list[Fault], int, str]] = {
    "html-503": (
        [Fault(kind="status", code=503, style="html", times=99)],
        4,
        'HTTP 503 Service Unavailable: an HTML page ("503 Service Unavailable")',
    ),
    "empty-500": ([Fault(kind="status", code=500, style="empty")], 4, "HTTP 500 Internal Server"),
    "cce-400": (
        [Fault(kind="status", code=400, style="cce", message="bad filter")],
        4,
        "HTTP 400 Bad Request: CCE.01400001 bad filter (request ID ",
    ),
    "mixed-409": (
        [Fault(kind="status", code=409, style="mixed", message="locked")],
        4,
        "HTTP 409 Conflict: CCE.01409001 locked (request ID ",
    ),
    "apig-429": (
        [Fault(kind="status", code=429, style="apig", retry_after="0", times=99)],
        4,
        "HTTP 429 Too Many Requests: APIGW.0308",
    ),
    "not-json": ([Fault(kind="not_json")], 4, "HTTP 200 but the body is an HTML page"),
    "truncated": ([Fault(kind="truncate", times=99)], 4, "the answer was cut short"),
    "redirect-loop": ([Fault(kind="redirect_loop")], 4, "redirect loop: more than 5 redirects"),
    "dropped": ([Fault(kind="close", times=99)], 4, "the connection broke"),
    "slow": (
        [Fault(kind="delay", seconds=3, times=99)],
        4,
        "within 0.1 s (gave up after",
    ),
}
# a slow server is a timeout on every attempt: a shorter one proves the same in a third of the time
REQUEST_TIMEOUT = {"slow": "0.1"}


@pytest.mark.parametrize("name", sorted(FAULTS))
@pytest.mark.parametrize("credentials", ["aksk", "token"])
def test_faults_exit_codes_and_no_secret_anywhere(
    fake_cce: FakeCCE, tmp_path: Path, name: str, credentials: str
) -> None:
    faults, code, message = FAULTS[name]
    secure(fake_cce, security_token=True)
    fake_cce.faults.extend(faults)
    env = aksk_env(security_token=True) if credentials == "aksk" else {"HW_AUTH_TOKEN": TOKEN}
    env.update({"GATE_DEBUG": "1", "GATE_HTTP_TIMEOUT": REQUEST_TIMEOUT.get(name, "0.3")})
    run = gate(tmp_path, "check", "--wait", endpoint=fake_cce.url, env=env)
    assert run.code == code, run.stdout + run.stderr
    assert message in run.stderr
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("gate: error: ")]
    assert len(error_lines) == 1, "one line says what went wrong"
    assert run.report["error"]["message"] in error_lines[0]
    assert_no_secret(run)


def test_invalid_response_shape_exits_3(fake_cce: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce, security_token=True)
    fake_cce.raw_list_body = json.dumps({"items": [{"metadata": {"taskID": 1}}]}).encode()
    run = gate(tmp_path, "check", endpoint=fake_cce.url, env=aksk_env(security_token=True))
    assert run.code == 3
    assert "not a valid ListAddonPrecheckTasks response" in run.stderr
    assert json.loads(run.files["saved"]) == {"items": [{"metadata": {"taskID": 1}}]}
    assert_no_secret(run)


def test_tls_untrusted_then_trusted_with_ca_bundle(fake_cce_tls: FakeCCE, tmp_path: Path) -> None:
    secure(fake_cce_tls)
    run = precheck(fake_cce_tls, tmp_path)
    assert run.code == 4
    assert "TLS certificate of 127.0.0.1:" in run.stderr and "--ca-bundle" in run.stderr
    assert fake_cce_tls.requests == []
    assert fake_cce_tls.ca_pem_path is not None
    run = precheck(fake_cce_tls, tmp_path, "--ca-bundle", fake_cce_tls.ca_pem_path)
    assert run.code == 0, run.stdout + run.stderr
    assert_no_secret(run)


def test_plain_http_to_tls_server_is_explained(fake_cce: FakeCCE, tmp_path: Path) -> None:
    run = gate(
        tmp_path,
        "check",
        endpoint=fake_cce.url.replace("http://", "https://"),
        env={"HW_AUTH_TOKEN": TOKEN},
    )
    assert run.code == 4
    assert "TLS handshake with 127.0.0.1:" in run.stderr


def test_unreachable_server_exits_4(tmp_path: Path) -> None:
    with FakeCCE() as fake:
        url = fake.url
    run = gate(tmp_path, "check", endpoint=url, env={"HW_AUTH_TOKEN": TOKEN})
    assert run.code == 4
    assert "cannot connect to 127.0.0.1:" in run.stderr and "gave up after 6 attempts" in run.stderr


# --- real processes --------------------------------------------------------------------------


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(FAST)
    env.update(extra)
    return env


@pytest.mark.process
def test_subprocess_exit_codes(fake_cce: FakeCCE) -> None:
    secure(fake_cce)
    fake_cce.scripts["coredns"] = FATAL_SCRIPT
    common = ["--endpoint", fake_cce.url, "--project-id", DEFAULT_PROJECT_ID]
    common += ["--cluster-id", DEFAULT_CLUSTER_ID]
    env = subprocess_env(CLOUD_SDK_AK=AK, CLOUD_SDK_SK=SK)
    command = [sys.executable, "-m", "gate", "precheck", "--addon", "coredns=1.30.33"]
    blocked = subprocess.run(command + common, env=env, capture_output=True, text=True, timeout=60)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "waiting for 1 check" in blocked.stderr
    passed = subprocess.run(
        [*command[:-1], "everest=2.4.5", *common],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    denied = subprocess.run(
        command + common,
        env=subprocess_env(CLOUD_SDK_AK=AK, CLOUD_SDK_SK="not-the-secret"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert denied.returncode == 4
    assert "verify aksk signature fail" in denied.stderr
    for result in (blocked, passed, denied):
        assert not any(s in result.stdout + result.stderr for s in SECRETS)


@pytest.mark.process
def test_offline_run_does_not_import_httpx() -> None:
    response = ROOT / "tests" / "cases" / "advisory-passes" / "response.json"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gate", "check", "--input", str(response)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| gate.cli" in result.stderr, "the import log was captured"
    assert "httpx" not in result.stderr
