"""Code Quality locations and fingerprints: the file and line a problem is about, one fingerprint
per problem, the same from run to run. (Schema validation and severities: test_ci_integrations.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import CLI_ENV, NOW, ROOT
from test_ci_integrations import validate_codequality

from gate import run
from gate.cli import cli
from gate.report import Pending, Report, Verdict
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
