"""``--junit``: JUnit XML for GitLab, GitHub reporters and Jenkins, written with junit-xml.

One test suite per policy and one test case per judged task (cluster-scope policies: one case),
named ``<addon> (<type>)`` so that names stay the same from run to run. Blocking findings are
failures, unfinished checks are errors, and advisory, waived and overridden findings are skipped
cases with their text, so they stay visible without turning the report red.

junit-xml 1.9 is used for the elements (``TestSuite.build_xml_doc``); the document around them is
assembled here to fix what it gets wrong for CI consumers: it writes ``disabled`` attributes and
float sums as times, and leaves out ``time`` on cases that took no measurable time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from junit_xml import TestCase, TestSuite

from gate.report import Finding, Outcome, Pending, PolicyInfo, Report

CLUSTER_CASE = "cluster"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_ILLEGAL_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufddf\ufffe\uffff]"
)
_LABEL = {
    Outcome.BLOCKING: "BLOCKING",
    Outcome.ADVISORY: "ADVISORY",
    Outcome.WAIVED: "WAIVED",
    Outcome.OVERRIDDEN: "OVERRIDDEN",
}


def render(report: Report) -> str:
    root = ET.Element("testsuites", {"name": "gate"})
    for suite in _suites(report):
        element = suite.build_xml_doc()
        element.attrib.pop("disabled", None)
        element.set("time", "0.000")
        for case in element.iter("testcase"):
            case.set("time", "0.000")
        root.append(element)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", "0.000")
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _ILLEGAL_XML.sub("", text) + "\n"


def _suites(report: Report) -> list[TestSuite]:
    properties = _run_properties(report)
    if report.error is not None:
        case = TestCase("gate", classname="gate", elapsed_sec=0)
        case.add_error_info(
            message=report.verdict.value,
            output=_clean("\n".join((report.error.message, *report.error.details))),
            error_type=_type(report.verdict.value),
        )
        return [TestSuite("gate", [case], properties=properties)]

    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        name = finding.task.name if finding.task else CLUSTER_CASE
        by_case[(finding.policy, name)].append(finding)
    pending_by_task: dict[str, list[Pending]] = defaultdict(list)
    for item in report.pending:
        if item.task is not None:
            pending_by_task[item.task.name].append(item)

    suites = []
    for policy in report.policies:
        if policy.scope == "cluster":
            names = [CLUSTER_CASE]
            all_pending = list(report.pending)
            pending_for = {CLUSTER_CASE: all_pending}
        else:
            names = [task.name for task in report.judged]
            pending_for = pending_by_task
        cases = [
            _case(policy, name, by_case.get((policy.id, name), []), pending_for.get(name, []))
            for name in names
        ]
        suites.append(
            TestSuite(policy.id, cases, properties=_policy_properties(policy, properties))
        )

    builtin = sorted({f.policy for f in report.findings} - {p.id for p in report.policies})
    for policy_id in builtin:
        cases = []
        for task in report.judged:
            found = by_case.get((policy_id, task.name))
            if found:
                case = TestCase(task.name, classname=f"gate.{policy_id}", elapsed_sec=0)
                case.add_failure_info(
                    message="blocked", output=_text(found), failure_type="PolicyViolation"
                )
                cases.append(case)
        suites.append(TestSuite(policy_id, cases, properties=properties))

    unjudged = [p for p in report.pending if p.task is None]
    if unjudged:
        case = TestCase("check results", classname="gate", elapsed_sec=0)
        case.add_error_info(
            message="incomplete",
            output=_clean("\n".join(p.reason for p in unjudged)),
            error_type="Incomplete",
        )
        suites.append(TestSuite("gate", [case], properties=properties))
    elif not report.judged:
        # --allow-empty: say so rather than leave a report with no test at all
        case = TestCase(
            "check results",
            classname="gate",
            elapsed_sec=0,
            stdout="nothing to judge; allowed by --allow-empty",
        )
        suites.append(TestSuite("gate", [case], properties=properties))
    return suites


def _case(
    policy: PolicyInfo, name: str, findings: list[Finding], pending: list[Pending]
) -> TestCase:
    case = TestCase(
        name,
        classname=f"gate.{policy.id}",
        elapsed_sec=0,
        file=None if policy.builtin else policy.file,
        line=policy.line,
    )
    blocking = [f for f in findings if f.outcome is Outcome.BLOCKING]
    if blocking:
        text = _text(findings)
        if pending:
            text += "\n" + "\n".join(f"INCOMPLETE {p.reason}" for p in pending)
        case.add_failure_info(
            message=f"{len(blocking)} blocking finding(s)",
            output=text,
            failure_type="PolicyViolation",
        )
    elif pending:
        case.add_error_info(
            message="incomplete: a check has not finished",
            output=_clean("\n".join(f"INCOMPLETE {p.reason} at {p.path}" for p in pending)),
            error_type="Incomplete",
        )
    elif findings:
        outcomes = sorted({f.outcome.value for f in findings})
        case.add_skipped_info(message=", ".join(outcomes), output=_text(findings))
    return case


def _text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{_LABEL[f.outcome]} [{f.enforcement.value}] {f.message}")
        lines.append(f"  evidence: {f.path}")
        if f.waiver:
            w = f.waiver
            lines.append(f"  waived by {w.owner} until {w.expires}: {w.reason} ({w.where})")
        if f.override:
            lines.append(f"  overridden by {f.override.actor}: {f.override.reason}")
        if f.remediation:
            lines.append(f"  remediation: {f.remediation}")
    return _clean("\n".join(lines))


def _run_properties(report: Report) -> dict[str, str]:
    properties = {"gate.verdict": report.verdict.value, "gate.exit_code": str(report.exit_code)}
    if report.source:
        properties["gate.source"] = report.source
    for override in report.overrides:
        properties[f"gate.override.{override.policy}"] = (
            f"{override.reason} (by {override.actor}, from {override.actor_source})"
        )
    return properties


def _policy_properties(policy: PolicyInfo, run: dict[str, str]) -> dict[str, str]:
    return {
        **run,
        "enforcement": policy.enforcement.value,
        "enforcement_source": policy.enforcement_source,
        "scope": policy.scope,
    }


def _type(verdict: str) -> str:
    return "".join(part.capitalize() for part in verdict.split("-"))


def _clean(text: str) -> str:
    return _ANSI.sub("", text)
