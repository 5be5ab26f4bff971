"""The JUnit report: valid against the schema, readable by junitparser, right for every case."""

from __future__ import annotations

from pathlib import Path

import junitparser
import pytest
import xmlschema
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
    assert 'type="yaml"' not in text and 'type="symbol"' not in text
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
WAIVER = Waiver("addon-status-must-pass", "node drain", "platform", "2026-12-31", "w.yaml", 3)


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

    expected = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="gate" tests="2" failures="0" errors="0" skipped="2" time="0.000">'
        '<testsuite errors="0" failures="0" name="addon-status-must-pass" skipped="1" tests="1" time="0.000">'
        + props("soft-mandatory")
        + '<testcase name="coredns (addonUpgrade)" classname="gate.addon-status-must-pass" file="p.yaml" line="2" time="0.000">'
        '<skipped type="skipped" message="waived">WAIVED [soft-mandatory] coredns: AddonStatus failed\n'
        "  evidence: items[0].status.riskList[0]\n"
        "  waived by platform until 2026-12-31: node drain (w.yaml:3)</skipped></testcase></testsuite>"
        '<testsuite errors="0" failures="0" name="no-failed-warnings" skipped="1" tests="1" time="0.000">'
        + props("advisory")
        + '<testcase name="coredns (addonUpgrade)" classname="gate.no-failed-warnings" file="p.yaml" line="2" time="0.000">'
        '<skipped type="skipped" message="overridden">OVERRIDDEN [advisory] x &amp; &lt;y&gt;\n'
        "  evidence: items[0].status.riskList[0]\n"
        "  overridden by alice: CHG-1</skipped></testcase></testsuite></testsuites>\n"
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
    assert '<failure type="PolicyViolation" message="1 blocking finding(s)">' in text
    assert "\x1b" not in text and "[31m" not in text
    assert "INCOMPLETE coredns (addonUpgrade): risk AddonValidate is still Running" in text

    incomplete = Report(
        verdict=Verdict.INCOMPLETE,
        policies=(policy("no-fatal-risks", Enforcement.HARD),),
        pending=(Pending("nothing to judge: the response lists no check task", "items"),),
    )
    text = junit.render(incomplete)
    assert (
        '<testsuite errors="1" failures="0" name="gate" skipped="0" tests="1" time="0.000">' in text
    )
    assert '<error type="Incomplete" message="incomplete">nothing to judge' in text
