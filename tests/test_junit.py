"""The JUnit report: valid against the schema, readable by junitparser, right for every case."""

from __future__ import annotations

import re
from pathlib import Path

import junitparser
import pytest
import xmlschema
from ci_support import GOLDEN, SCHEMAS, cli_run
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT
from test_cases import CASES

from gate.cli import cli
from gate.report import (
    Enforcement,
    Finding,
    Outcome,
    Override,
    Pending,
    PolicyInfo,
    Report,
    RiskRef,
    TaskRef,
    Verdict,
    Waiver,
)
from gate.reporters import junit

XSD = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit-10.xsd"))


def junit_of_case(case: Path, tmp_path: Path) -> tuple[int, Path]:
    args = [
        line.replace("{case}", case.relative_to(ROOT).as_posix())
        for line in (case / "args").read_text().splitlines()
        if line.strip()
    ]
    out = tmp_path / "junit.xml"
    result = CliRunner().invoke(cli, [*args, "--junit", str(out)], env=CLI_ENV)
    return result.exit_code, out


WITH_REPORT = [c for c in CASES if not c.name.startswith("usage-")]


@pytest.mark.parametrize("case", WITH_REPORT, ids=[c.name for c in WITH_REPORT])
def test_every_case_writes_valid_junit(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, path = junit_of_case(case, tmp_path)
    text = path.read_text(encoding="utf-8")
    XSD.validate(str(path))
    # ActiveSupport (GitLab's parser) typecasts these `type` values and then fails on them
    typecast = {"yaml", "symbol", "array", "integer", "float", "decimal", "boolean", "date"}
    types = set(re.findall(r'\btype="([^"]*)"', text))
    assert not types & (typecast | {"datetime", "string", "hash", "base64Binary"})
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = [c for suite in xml for c in suite]
    assert cases, "a report always has at least one test case"
    outcomes = [type(r).__name__ for c in cases for r in c.result]
    assert all(c.time is not None for c in cases)
    if code == 0:
        assert "Failure" not in outcomes and "Error" not in outcomes
    if code == 1:
        assert "Failure" in outcomes
    if code in (2, 3, 5):
        assert "Error" in outcomes and "Failure" not in outcomes


def test_names_are_stable_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cluster checked again (new task IDs, new times) gives the same test names."""
    monkeypatch.chdir(ROOT)
    first = (ROOT / "examples" / "blocked-coredns.json").read_text()
    second = first.replace(
        "8ca259cc-553b-11e9-926f-0255ac101a31", "11111111-2222-4333-8444-555555555555"
    )
    second = second.replace("2025-08-05T17:10:44.648388", "2025-08-05T20:00:00.000001")
    names = []
    for i, text in enumerate((first, second)):
        response = tmp_path / f"r{i}.json"
        response.write_text(text)
        out = tmp_path / f"j{i}.xml"
        CliRunner().invoke(cli, ["check", "-i", str(response), "--junit", str(out)], env=CLI_ENV)
        xml = junitparser.JUnitXml.fromfile(str(out))
        names.append(sorted((s.name, c.classname, c.name) for s in xml for c in s))
    assert names[0] == names[1]
    assert ("no-fatal-risks", "gate.no-fatal-risks", "coredns (addonUpgrade)") in names[0]


TASK = TaskRef(
    path="items[0]",
    name="coredns (addonUpgrade)",
    addon="coredns",
    instance="cceaddon-coredns",
    type="addonUpgrade",
    task_id="t-1",
    status="Failed",
    created="2025-08-05T17:10:44+08:00",
    target_version="1.30.33",
)
RISK = RiskRef(
    "AddonStatus",
    "Warning",
    "Failed",
    "not running \x1b[31mred\x1b[0m",
    "items[0].status.riskList[0]",
)
WAIVER = Waiver(
    "addon-status-must-pass", "node drain", "platform", "2026-12-31", "w.yaml", 3, ticket="CHG-7"
)


def policy(pid: str, level: Enforcement, scope: str = "risk") -> PolicyInfo:
    return PolicyInfo(pid, pid, scope, level, "p.yaml:2", "p.yaml", 2)


def test_exact_document_for_a_waived_and_an_overridden_finding() -> None:
    report = Report(
        verdict=Verdict.PASS,
        source="r.json",
        policies=(
            policy("addon-status-must-pass", Enforcement.SOFT),
            policy("no-failed-warnings", Enforcement.ADVISORY),
        ),
        judged=(TASK,),
        findings=(
            Finding(
                "addon-status-must-pass",
                Enforcement.SOFT,
                Outcome.WAIVED,
                "coredns: AddonStatus failed",
                RISK.path,
                TASK,
                RISK,
                waiver=WAIVER,
            ),
            Finding(
                "no-failed-warnings",
                Enforcement.ADVISORY,
                Outcome.OVERRIDDEN,
                "x & <y>",
                RISK.path,
                TASK,
                RISK,
                override=Override("no-failed-warnings", "CHG-1", "alice", "GITHUB_ACTOR"),
            ),
        ),
        overrides=(Override("no-failed-warnings", "CHG-1", "alice", "GITHUB_ACTOR"),),
    )
    run_props = (
        '<property name="gate.verdict" value="pass" />'
        '<property name="gate.exit_code" value="0" />'
        '<property name="gate.source" value="r.json" />'
        '<property name="gate.override.no-failed-warnings" value="CHG-1 (by alice, from GITHUB_ACTOR)" />'
    )

    def props(level: str) -> str:
        return (
            f"<properties>{run_props}"
            f'<property name="enforcement" value="{level}" />'
            '<property name="enforcement_source" value="p.yaml:2" />'
            '<property name="scope" value="risk" /></properties>'
        )

    completeness = (
        '<testsuite errors="0" failures="0" name="check-completeness" skipped="0" tests="1" time="0.000">'
        f"<properties>{run_props}</properties>"
        '<testcase name="coredns (addonUpgrade)" classname="gate.check-completeness" time="0.000" />'
        "</testsuite>"
    )
    expected = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="gate" tests="3" failures="0" errors="0" skipped="2" time="0.000">'
        '<testsuite errors="0" failures="0" name="addon-status-must-pass" skipped="1" tests="1" time="0.000">'
        + props("soft-mandatory")
        + '<testcase name="coredns (addonUpgrade)" classname="gate.addon-status-must-pass" file="p.yaml" line="2" time="0.000">'
        '<skipped type="skipped" message="waived by platform until 2026-12-31: node drain (CHG-7)">'
        "WAIVED [soft-mandatory] coredns: AddonStatus failed\n"
        "  evidence: items[0].status.riskList[0]\n"
        "  waived by platform until 2026-12-31: node drain (w.yaml:3, ticket CHG-7)</skipped></testcase></testsuite>"
        '<testsuite errors="0" failures="0" name="no-failed-warnings" skipped="1" tests="1" time="0.000">'
        + props("advisory")
        + '<testcase name="coredns (addonUpgrade)" classname="gate.no-failed-warnings" file="p.yaml" line="2" time="0.000">'
        '<skipped type="skipped" message="overridden by alice: CHG-1">OVERRIDDEN [advisory] x &amp; &lt;y&gt;\n'
        "  evidence: items[0].status.riskList[0]\n"
        "  overridden by alice: CHG-1</skipped></testcase></testsuite>"
        + completeness
        + "</testsuites>\n"
    )
    assert junit.render(report) == expected


def test_blocking_pending_and_error_reports() -> None:
    blocked = Report(
        verdict=Verdict.BLOCKED,
        policies=(policy("no-fatal-risks", Enforcement.HARD),),
        judged=(TASK,),
        findings=(
            Finding(
                "no-fatal-risks",
                Enforcement.HARD,
                Outcome.BLOCKING,
                RISK.message,
                RISK.path,
                TASK,
                RISK,
            ),
        ),
        pending=(
            Pending(
                "coredns (addonUpgrade): risk AddonValidate is still Running", "items[0]", TASK
            ),
        ),
    )
    text = junit.render(blocked)
    # the colour codes from the API are shown as text, never written raw
    assert (
        '<failure type="PolicyViolation" message="not running \\x1b[31mred\\x1b[0m">'
        "BLOCKING [hard-mandatory] not running \\x1b[31mred\\x1b[0m\n" in text
    )
    assert "\x1b" not in text
    assert "INCOMPLETE coredns (addonUpgrade): risk AddonValidate is still Running" in text
    assert (
        '<testcase name="coredns (addonUpgrade)" classname="gate.check-completeness" time="0.000">'
        '<error type="Incomplete" message="incomplete: coredns (addonUpgrade): risk AddonValidate '
        'is still Running">' in text
    )

    incomplete = Report(
        verdict=Verdict.INCOMPLETE,
        policies=(policy("no-fatal-risks", Enforcement.HARD),),
        pending=(Pending("nothing to judge: the response lists no check task", "items"),),
    )
    text = junit.render(incomplete)
    assert (
        '<testsuite errors="1" failures="0" name="check-completeness" skipped="0" tests="1" '
        'time="0.000">' in text
    )
    assert (
        '<testcase name="check results" classname="gate.check-completeness" time="0.000">'
        '<error type="Incomplete" message="incomplete: nothing to judge: the response lists no '
        'check task">INCOMPLETE nothing to judge' in text
    )


def cases_of(path: Path) -> dict[tuple[str, str], junitparser.TestCase]:
    xml = junitparser.JUnitXml.fromfile(str(path))
    return {(suite.name, case.name): case for suite in xml for case in suite}


def run_junit(tmp_path: Path, *args: str) -> dict[tuple[str, str], junitparser.TestCase]:
    out = tmp_path / "junit.xml"
    CliRunner().invoke(cli, [*args, "--junit", str(out)], env=CLI_ENV)
    XSD.validate(str(out))
    return cases_of(out)


def test_a_failure_message_names_the_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    cases = run_junit(tmp_path, "check", "-i", "examples/blocked-coredns.json")
    (fatal,) = cases[("no-fatal-risks", "coredns (addonUpgrade)")].result
    assert isinstance(fatal, junitparser.Failure)
    assert fatal.type == "PolicyViolation"
    assert fatal.message.startswith(
        "coredns: Fatal risk AddonValidate failed: configmap coredns had been modified"
    )
    assert len(fatal.message) <= junit.MESSAGE_CHARS
    assert fatal.text is not None and fatal.text.startswith(
        "BLOCKING [hard-mandatory] coredns: Fatal risk AddonValidate failed:"
    )
    assert "remediation: " in fatal.text
    case = cases[("no-fatal-risks", "coredns (addonUpgrade)")]
    assert case._elem.get("file") == "gate/policies/default/no-fatal-risks.yaml"
    assert case._elem.get("line") == "2"


def finding(message: str, outcome: Outcome = Outcome.BLOCKING, **kw: object) -> Finding:
    return Finding(
        "no-fatal-risks",
        Enforcement.HARD,
        outcome,
        message,
        RISK.path,
        TASK,
        RISK,
        **kw,  # type: ignore[arg-type]
    )


def test_several_findings_are_summarised_and_a_long_one_is_clipped() -> None:
    long = "coredns: Fatal risk AddonValidate failed: " + "x" * 1000 + " END"
    report = Report(
        verdict=Verdict.BLOCKED,
        policies=(policy("no-fatal-risks", Enforcement.HARD),),
        judged=(TASK,),
        findings=(finding("first\nproblem"), finding(long)),
    )
    xml = junitparser.JUnitXml.fromstring(junit.render(report))
    (case,) = [c for s in xml for c in s if s.name == "no-fatal-risks"]
    (failure,) = case.result
    assert failure.message.startswith("2 blocking findings: first problem; coredns: Fatal risk")
    assert len(failure.message) == junit.MESSAGE_CHARS and failure.message.endswith("…")
    assert "BLOCKING [hard-mandatory] first\nproblem\n" in failure.text
    assert long + "\n" in failure.text  # the body keeps every character


def test_skipped_cases_say_why() -> None:
    report = Report(
        verdict=Verdict.PASS,
        policies=(policy("no-fatal-risks", Enforcement.HARD),),
        judged=(TASK,),
        findings=(
            finding("a", Outcome.WAIVED, waiver=WAIVER),
            finding("b", Outcome.OVERRIDDEN, override=Override("p", "CHG-1", "alice", "X")),
            finding("coredns: AddonStatus failed (Warning)", Outcome.ADVISORY),
            finding(
                "d", Outcome.WAIVED, waiver=Waiver("p", "why", "ops", "2027-01-01", "w.yaml", 9)
            ),
        ),
    )
    xml = junitparser.JUnitXml.fromstring(junit.render(report))
    (case,) = [c for s in xml for c in s if s.name == "no-fatal-risks"]
    (skipped,) = case.result
    assert isinstance(skipped, junitparser.Skipped)
    assert skipped.message == (
        "waived by platform until 2026-12-31: node drain (CHG-7); overridden by alice: CHG-1; "
        "advisory: coredns: AddonStatus failed (Warning); waived by ops until 2027-01-01: why"
    )


def test_one_running_check_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    cases = run_junit(tmp_path, "check", "-i", "tests/cases/incomplete-running/response.json")
    errors = [
        (k, r) for k, c in cases.items() for r in c.result if isinstance(r, junitparser.Error)
    ]
    assert [k for k, _ in errors] == [("check-completeness", "coredns (addonUpgrade)")]
    assert errors[0][1].message == (
        "incomplete: coredns (addonUpgrade): the check is still Running (and 1 more)"
    )
    for policy_id in ("no-fatal-risks", "addon-status-must-pass", "no-failed-warnings"):
        (skipped,) = cases[(policy_id, "coredns (addonUpgrade)")].result
        assert isinstance(skipped, junitparser.Skipped)
        assert skipped.message.startswith("not judged yet: the check has not finished")
    assert cases[("check-completeness", "everest (addonUpgrade)")].is_passed


def test_the_engine_rule_has_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    cases = run_junit(
        tmp_path, "check", "-i", "tests/cases/blocked-failed-without-risks/response.json"
    )
    case = cases[("check-failed-without-risks", "coredns (addonUpgrade)")]
    assert case._elem.get("file") == "gate/policies/builtin/check-failed-without-risks"
    (failure,) = case.result
    assert failure.message == (
        "coredns (addonUpgrade): the check failed and gave no reason (no risk is listed)"
    )


def test_an_error_names_itself_in_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = ["check", "-i", "{c}/response.json", "--policy", "{c}/policy.yaml"]
    c = "tests/cases/policy-yaml-syntax"
    cases = run_junit(tmp_path, *(a.format(c=c) for a in args))
    (error,) = cases[("gate", "gate")].result
    assert error.type == "ConfigError"
    assert error.message == (
        f"config-error: {c}/policy.yaml:4:5: invalid YAML: did not find expected ',' or '}}'"
    )


# --- the vendored JUnit XSD ---------------------------------------------------------------------

JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


@pytest.mark.parametrize("name", ["blocked", "waived", "config-error"])
def test_gate_junit_validates_against_junit_10_xsd(name: str, tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    cli_run([*GOLDEN[name], "--junit", str(out)])
    JUNIT_XSD.validate(str(out))


def test_junit_10_xsd_rejects_junit_xml_raw_output() -> None:
    """The traps CI-CONVENTIONS.md records: `disabled` on suites and float sums as times."""
    raw = (
        '<testsuites disabled="0" tests="2" time="0.015"><testsuite disabled="0" name="s" '
        'tests="2" time="0.015000000000000003"><testcase name="a" time="0.005000"/>'
        "</testsuite></testsuites>"
    )
    errors = list(JUNIT_XSD.iter_errors(raw))
    reasons = " ".join(str(e.reason) for e in errors)
    assert "disabled" in reasons
    assert any("0.015000000000000003" in str(e) for e in errors)
