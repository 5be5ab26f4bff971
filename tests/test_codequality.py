"""Code Quality locations and fingerprints: the file and line a problem is about, one fingerprint
per problem, the same from run to run. Then the schema, severities and fingerprints of whole
runs."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ci_support import EXAMPLE, GOLDEN, cli_run, make_finding, make_report, validate_codequality
from click.testing import CliRunner
from helpers import CLI_ENV, NOW, ROOT

from gate import run
from gate.cli import cli
from gate.report import Enforcement, Outcome, Pending, Report, Verdict
from gate.reporters import codequality

CASES = "tests/cases"


def issues_of(tmp_path: Path, case: str, *extra: str) -> list[dict[str, Any]]:
    args = [
        line.replace("{case}", f"{CASES}/{case}")
        for line in (ROOT / CASES / case / "args").read_text().split()
    ]
    out = tmp_path / f"{case}.json"
    CliRunner().invoke(cli, [*args, *extra, "--codequality", str(out)], env=CLI_ENV)
    return validate_codequality(out)


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    ("case", "path", "line"),
    [
        ("policy-yaml-syntax", "policy-yaml-syntax/policy.yaml", 4),
        ("policy-duplicate-key", "policy-duplicate-key/policy.yaml", 8),
        ("precedence-config-over-input", "precedence-config-over-input/policy.yaml", 6),
        ("waiver-hard-mandatory", "waiver-hard-mandatory/waivers.yaml", 14),
        ("invalid-not-json", "invalid-not-json/response.json", 3),
        ("invalid-enum", "invalid-enum/response.json", 1),
    ],
)
def test_an_error_is_located_where_it_is(tmp_path: Path, case: str, path: str, line: int) -> None:
    (issue,) = issues_of(tmp_path, case)
    assert issue["location"] == {"path": f"{CASES}/{path}", "lines": {"begin": line}}
    assert issue["severity"] == "blocker"


def test_different_errors_have_different_fingerprints_stable_across_runs(tmp_path: Path) -> None:
    cases = ["policy-yaml-syntax", "policy-duplicate-key", "precedence-config-over-input"]
    first = [issues_of(tmp_path, case)[0]["fingerprint"] for case in cases]
    again = [issues_of(tmp_path / "again", case)[0]["fingerprint"] for case in cases]
    assert len(set(first)) == len(cases)
    assert first == again


def test_an_unfinished_live_result_points_at_no_url() -> None:
    report = Report(
        verdict=Verdict.INCOMPLETE,
        source="https://cce.ap-southeast-1.myhuaweicloud.com cluster c-1",
        pending=(Pending("coredns: still Running", "items[0]"),),
    )
    (issue,) = codequality.as_data(report)
    assert issue["location"] == {"path": "gate", "lines": {"begin": 1}}


def test_an_unfinished_offline_result_points_at_the_response(tmp_path: Path) -> None:
    (*_, issue) = issues_of(tmp_path, "incomplete-running")
    assert issue["check_name"] == "gate/incomplete"
    assert issue["location"]["path"] == f"{CASES}/incomplete-running/response.json"


def test_a_live_finding_is_located_at_its_policy_rule() -> None:
    """In live mode the source is a URL; a finding still points at the policy file and line."""
    report = run.check(
        run.CheckOptions(input=str(ROOT / "examples" / "blocked-coredns.json"), now=NOW)
    )
    live = replace(report, source="https://cce.example.com cluster c-1")
    assert [i["location"] for i in codequality.as_data(live)] == [
        {"path": "gate/policies/default/no-fatal-risks.yaml", "lines": {"begin": 2}},
        {"path": "gate/policies/default/addon-status-must-pass.yaml", "lines": {"begin": 2}},
    ]


# --- schema, severities, fingerprints ---------------------------------------------------------

CODEQUALITY_CASES = {
    "blocked": (GOLDEN["blocked"], 1),
    "waived": (GOLDEN["waived"], 0),
    "passing": (["check", "-i", "tests/ci/passing-response.json"], 0),
    "config-error": (GOLDEN["config-error"], 2),
    "examples": (
        [
            "check",
            "-i",
            "examples/blocked-coredns.json",
            "--policy",
            "policies/examples",
            "--param",
            "target_version=3.0.4",
        ],
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(CODEQUALITY_CASES))
def test_codequality_report_validates(name: str, tmp_path: Path) -> None:
    args, expected = CODEQUALITY_CASES[name]
    out = tmp_path / "cq.json"
    code, output = cli_run([*args, "--codequality", str(out)])
    assert code == expected, output
    issues = validate_codequality(out)
    if name == "passing":
        assert issues == []
    else:
        assert issues


def test_codequality_of_the_blocked_example() -> None:
    report = run.check(run.CheckOptions(input=str(EXAMPLE), now=NOW))
    issues = json.loads(codequality.render(report))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        (
            "no-fatal-risks",
            "blocker",
            {"path": "gate/policies/default/no-fatal-risks.yaml", "lines": {"begin": 2}},
        ),
        (
            "addon-status-must-pass",
            "critical",
            {"path": "gate/policies/default/addon-status-must-pass.yaml", "lines": {"begin": 2}},
        ),
    ]
    assert all(re.fullmatch("[0-9a-f]{64}", i["fingerprint"]) for i in issues)


def test_codequality_fingerprints_ignore_task_ids_times_and_messages(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    first = tmp_path / "first.json"
    first.write_text(json.dumps(data))
    item = data["items"][0]
    item["metadata"]["taskID"] = "another-task-id"
    item["metadata"]["createTimeStamp"] = "2025-08-06T07:00:00+08:00"
    for risk in item["status"]["riskList"]:
        risk["message"] = "a different message"
    second = tmp_path / "second.json"
    second.write_text(json.dumps(data))

    def fingerprints(path: Path) -> dict[str, str]:
        report = run.check(run.CheckOptions(input=str(path), now=NOW))
        return {i["check_name"]: i["fingerprint"] for i in codequality.as_data(report)}

    assert fingerprints(first) == fingerprints(second)
    item["metadata"]["addonInstanceName"] = "cceaddon-coredns-2"
    second.write_text(json.dumps(data))
    changed = fingerprints(second)
    assert all(changed[name] != value for name, value in fingerprints(first).items())

    def in_cluster(cluster: str) -> dict[str, str]:
        report = run.check(run.CheckOptions(input=str(first), now=NOW, cluster=cluster))
        return {i["check_name"]: i["fingerprint"] for i in codequality.as_data(report)}

    assert in_cluster("cluster-a") == in_cluster("cluster-a")
    assert all(in_cluster("cluster-b")[k] != v for k, v in in_cluster("cluster-a").items())


@pytest.mark.parametrize(
    ("outcome", "enforcement", "level", "severity"),
    [
        (Outcome.BLOCKING, Enforcement.HARD, "Fatal", "blocker"),
        (Outcome.BLOCKING, Enforcement.SOFT, "Warning", "critical"),
        (Outcome.BLOCKING, Enforcement.ADVISORY, "Warning", "critical"),
        (Outcome.ADVISORY, Enforcement.ADVISORY, "Warning", "minor"),
        (Outcome.ADVISORY, Enforcement.ADVISORY, "Fatal", "major"),
        (Outcome.WAIVED, Enforcement.SOFT, "Fatal", "info"),
        (Outcome.OVERRIDDEN, Enforcement.SOFT, "Warning", "info"),
    ],
)
def test_codequality_severity(
    outcome: Outcome, enforcement: Enforcement, level: str, severity: str
) -> None:
    assert codequality.severity(make_finding(outcome, enforcement, level=level)) == severity


def test_codequality_keeps_findings_with_the_same_identity_apart() -> None:
    twice = (make_finding(risk=False), make_finding(risk=False))
    issues = codequality.as_data(make_report(twice))
    assert len({i["fingerprint"] for i in issues}) == 2


def test_codequality_of_an_incomplete_result_is_not_empty() -> None:
    report = Report(
        verdict=Verdict.INCOMPLETE, pending=(Pending("coredns: still Running", "items[0]"),)
    )
    (issue,) = codequality.as_data(report)
    assert issue["check_name"] == "gate/incomplete"
    assert issue["severity"] == "critical"
