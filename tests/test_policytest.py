"""`gate test`: policy unit tests through the command line."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema
from helpers import ROOT, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.policy import is_test_file

FIXTURES = ROOT / "policies" / "fixtures"
JUNIT_XSD = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit-10.xsd"))
HEADER = """apiVersion: gate/v1
kind: PolicyTest
policies: [policy.yaml]
now: "2025-08-06T00:00:00Z"
cases:
"""
# no-fatal-risks with a second assert condition, so coverage can miss one of them
POLICY = """apiVersion: gate/v1
kind: Policy
metadata:
  name: no-fatal-risks
spec:
  enforcement: hard-mandatory
  scope: risk
  match:
    - field: risk.level
      equals: Fatal
  assert:
    - field: risk.status
      notEquals: Failed
    - field: risk.riskName
      notEquals: Forbidden
  message: "{addon}: Fatal risk {risk.riskName} failed"
"""
BLOCKS = """  - name: blocks
    response: blocked.json
    expect:
      verdict: blocked
      exit_code: 1
      policies:
        no-fatal-risks:
          - {addon: coredns, risk: AddonValidate, outcome: blocking}
"""
PASSES = """  - name: passes
    response: clean.json
    expect:
      verdict: pass
      policies:
        no-fatal-risks: pass
"""


def suite(tmp_path: Path, cases: str, header: str = HEADER) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    shutil.copy(FIXTURES / "blocked-coredns.json", tmp_path / "blocked.json")
    shutil.copy(FIXTURES / "clean.json", tmp_path / "clean.json")
    shutil.copy(FIXTURES / "static-check.json", tmp_path / "static.json")
    path = tmp_path / "p.gate-test.yaml"
    path.write_text(header + cases)
    return path


def test_the_shipped_policies_are_tested_and_covered() -> None:
    # what the repository's CI runs
    code, out, err = invoke(["test", "--require-coverage", "policies/"])
    assert (code, err) == (0, ""), out + err
    lines = out.splitlines()
    passed = [line for line in lines if line.startswith("PASS ")]
    assert lines[-1] == f"{len(passed)} passed, 0 failed"
    assert not [line for line in lines if line.startswith("FAIL ")]
    # every policy file shipped is named by a test file that ran
    tested = {
        (path.parent / name).resolve()
        for path in (ROOT / "policies").rglob("*.gate-test.yaml")
        for name in re.findall(r"^policies: \[(.*)\]$", path.read_text(), re.M)[0].split(", ")
    }
    shipped = [
        p.resolve()
        for folder in ("default", "examples")
        for p in (ROOT / "policies" / folder).glob("*.yaml")
        if not is_test_file(p)
    ]
    assert shipped and set(shipped) <= tested
    ran = {line.split("::")[0].removeprefix("PASS ") for line in passed}
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "policies").rglob("*.gate-test.yaml")} == ran


def test_passing_cases(tmp_path: Path) -> None:
    path = suite(tmp_path, BLOCKS + PASSES)
    code, out, err = invoke(["test", str(path)])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"PASS {path}::blocks",
        f"PASS {path}::passes",
        "2 passed, 0 failed",
    ]


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path) -> None:
    path = suite(tmp_path, BLOCKS.replace("outcome: blocking", "outcome: advisory") + PASSES)
    code, out, _ = invoke(["test", str(path)])
    assert code == 1
    assert f"FAIL {path}::blocks" in out
    assert f"PASS {path}::passes" in out
    assert "    -    - addon: coredns, risk: AddonValidate, outcome: advisory\n" in out
    assert re.search(
        r"^    \+    - addon: coredns, risk: AddonValidate, outcome: blocking, message: ", out, re.M
    )
    assert (
        "expected finding not made: addon: coredns, risk: AddonValidate, outcome: advisory" in out
    )
    assert out.endswith("1 passed, 1 failed\n")
    fixed = suite(tmp_path, BLOCKS + PASSES)
    assert invoke(["test", str(fixed)])[0] == 0


def test_a_wrong_verdict_and_exit_code_are_shown(tmp_path: Path) -> None:
    cases = BLOCKS.replace("verdict: blocked", "verdict: pass").replace(
        "exit_code: 1", "exit_code: 0"
    )
    code, out, _ = invoke(["test", str(suite(tmp_path, cases))])
    assert code == 1
    assert "verdict: expected pass, got blocked" in out
    assert "exit code: expected 0, got 1" in out
    assert (
        "    -verdict: pass\n    -exit_code: 0\n    +verdict: blocked\n    +exit_code: 1\n" in out
    )


def test_a_vacuous_pass_fails(tmp_path: Path) -> None:
    # a static check lists no Fatal risk: the policy selects nothing and cannot vouch for anything
    cases = PASSES.replace("clean.json", "static.json")
    code, out, _ = invoke(["test", str(suite(tmp_path, cases))])
    assert code == 1
    assert "no-fatal-risks: expected to pass, but its match selected nothing" in out
    assert "    -  no-fatal-risks: pass\n    +  no-fatal-risks: notApplicable\n" in out


def test_not_applicable_is_said_explicitly(tmp_path: Path) -> None:
    cases = PASSES.replace("clean.json", "static.json").replace(": pass\n", ": notApplicable\n")
    path = suite(tmp_path, cases.replace("verdict: notApplicable", "verdict: pass"))
    assert invoke(["test", str(path)])[:2] == (0, f"PASS {path}::passes\n1 passed, 0 failed\n")
    # and it is wrong where the policy applies
    wrong = PASSES.replace("no-fatal-risks: pass", "no-fatal-risks: notApplicable")
    code, out, _ = invoke(["test", str(suite(tmp_path, wrong))])
    assert code == 1
    assert "expected notApplicable, but its match selected 1 subject(s)" in out


def test_an_unexpected_finding_fails(tmp_path: Path) -> None:
    # the case says nothing about no-fatal-risks: its finding is not silently accepted
    cases = """  - name: only the verdict
    response: blocked.json
    expect:
      verdict: blocked
"""
    code, out, _ = invoke(["test", str(suite(tmp_path, cases))])
    assert code == 1
    assert "unexpected finding of no-fatal-risks: addon: coredns, risk: AddonValidate" in out
    assert (
        "    +  no-fatal-risks:\n    +    - addon: coredns, risk: AddonValidate, outcome: blocking"
        in out
    )


def test_an_unexpected_error_fails_with_its_detail(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"kind": "AddonCheck", "items": [{}]}')
    cases = PASSES.replace("clean.json", "broken.json")
    code, out, _ = invoke(["test", str(suite(tmp_path, cases))])
    assert code == 1
    assert "verdict: expected pass, got invalid-input" in out
    assert "the run stopped with an error:" in out and "items[0]" in out


def test_an_invalid_test_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    unknown_key = PASSES.replace("    response:", "    respones: x\n    response:")
    unknown_policy = PASSES.replace("no-fatal-risks: pass", "no-fatal-risk: pass")
    missing = PASSES.replace("clean.json", "nowhere.json")
    anchor = PASSES.replace("clean.json", "&a clean.json")
    for cases, line, text in (
        (unknown_key, 6, "'respones' was unexpected"),
        (
            unknown_policy,
            11,
            "'no-fatal-risk' is not a policy under test; did you mean 'no-fatal-risks'?",
        ),
        (missing, 7, "'nowhere.json': no such response file"),
        (anchor, 7, "anchor &a is not allowed"),
    ):
        path = suite(tmp_path, cases)
        code, out, err = invoke(["test", str(path)])
        assert (code, out) == (2, ""), err
        assert err.startswith(f"error: {path}:{line}: "), err
        assert text in err


def test_a_verdict_and_an_exit_code_that_disagree_are_invalid(tmp_path: Path) -> None:
    path = suite(tmp_path, PASSES.replace("verdict: pass", "verdict: pass\n      exit_code: 1"))
    code, _, err = invoke(["test", str(path)])
    assert code == 2
    assert f"{path}:10: " in err and "exit code 1 does not go with verdict pass" in err


def test_coverage_names_the_policy_and_the_condition(tmp_path: Path) -> None:
    only_passes = suite(tmp_path, PASSES)
    code, out, _ = invoke(["test", "--require-coverage", str(only_passes)])
    policy = tmp_path / "policy.yaml"
    assert code == 1
    assert f"{policy}:1: policy no-fatal-risks: no case where it makes a finding" in out
    assert (
        f"{policy}:12: policy no-fatal-risks: assert condition 1 (risk.status notEquals 'Failed') "
        "fails in no case" in out
    )
    assert "no case where it applies and passes" not in out
    both = suite(tmp_path, BLOCKS + PASSES)
    code, out, _ = invoke(["test", "--require-coverage", str(both)])
    assert code == 1
    # the second condition is the one no case makes fail
    gaps = [line for line in out.splitlines() if line.startswith("  ")]
    assert gaps == [
        f"  {policy}:14: policy no-fatal-risks: assert condition 2 (risk.riskName notEquals "
        "'Forbidden') fails in no case"
    ]
    # without the flag the same run passes
    assert invoke(["test", str(both)])[0] == 0


def test_coverage_wants_a_passing_case_too(tmp_path: Path) -> None:
    code, out, _ = invoke(["test", "--require-coverage", str(suite(tmp_path, BLOCKS))])
    assert code == 1
    assert "policy no-fatal-risks: no case where it applies and passes" in out


def test_inline_response_and_waivers(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.replace("hard-mandatory", "soft-mandatory"))
    cases = """  - name: waived
    response:
      kind: AddonCheck
      apiVersion: v3
      items:
        - metadata:
            type: addonUpgrade
            taskID: t1
            addonTemplateName: coredns
            createTimeStamp: "2025-08-05T00:00:00Z"
          status:
            status: Failed
            message: done
            riskList: [{riskName: AddonValidate, level: Fatal, status: Failed}]
    waivers:
      - {policy: no-fatal-risks, addon: coredns, reason: known, owner: me, expires: "2025-09-01"}
    expect:
      verdict: pass
      policies:
        no-fatal-risks: [{addon: coredns, outcome: waived}]
"""
    path = tmp_path / "p.gate-test.yaml"
    path.write_text(HEADER + cases)
    assert invoke(["test", str(path)])[:2] == (0, f"PASS {path}::waived\n1 passed, 0 failed\n")


def test_a_folder_is_searched_and_junit_is_written(tmp_path: Path) -> None:
    suite(
        tmp_path, BLOCKS + PASSES.replace("no-fatal-risks: pass", "no-fatal-risks: notApplicable")
    )
    report = tmp_path / "out" / "junit.xml"
    code, out, _ = invoke(["test", str(tmp_path), "--junit", str(report)])
    assert code == 1
    JUNIT_XSD.validate(str(report))
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    failed = root.find(".//testcase[@name='passes']/failure")
    assert failed is not None and "+  no-fatal-risks: pass" in (failed.text or "")
    code, _, err = invoke(["test", str(tmp_path / "out"), "--junit", str(report)])
    assert code == 2 and "no test files" in err
    JUNIT_XSD.validate(str(report))
    error = ET.parse(report).getroot().find(".//testcase/error")
    assert error is not None and "no test files" in error.get("message", "")


def test_a_folder_of_policies_skips_its_test_files(tmp_path: Path) -> None:
    suite(tmp_path, PASSES)
    (tmp_path / "clean.json").rename(tmp_path / "clean.response")
    code, out, err = invoke(
        ["check", "-i", str(tmp_path / "clean.response"), "--policy", str(tmp_path)]
    )
    assert code == 0, out + err


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    line=st.integers(min_value=0, max_value=20),
    text=st.lists(
        st.sampled_from([*"abc :-[]{}&*!|>'\"#\n\t0123456789.,\x1b", "pass", "cases", "name"]),
        max_size=12,
    ).map("".join),
)
def test_a_mangled_test_file_is_a_clean_answer(tmp_path: Path, line: int, text: str) -> None:
    path = suite(tmp_path, BLOCKS + PASSES)
    lines = path.read_text().splitlines()
    lines[line % len(lines)] = text
    path.write_text("\n".join(lines) + "\n")
    code, out, err = invoke(["test", "--require-coverage", str(path)])
    assert code in (0, 1, 2), out + err
    assert "Traceback" not in out + err and "internal error" not in out + err
    if code == 2:
        assert err.startswith(f"error: {path}"), err
