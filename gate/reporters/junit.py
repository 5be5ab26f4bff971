"""``--junit``: JUnit XML for GitLab, GitHub reporters and Jenkins, written with junit-xml.

One test suite per policy and one test case per judged task (cluster-scope policies: one case),
named ``<addon> (<type>)`` so that names stay the same from run to run. Blocking findings are
failures, advisory, waived and overridden findings are skipped cases, so they stay visible
without turning the report red. Every case carries the ``file`` and ``line`` of its policy's rule
(built-in policies and rules: the pseudo paths of :mod:`gate.reporters.identity`).

Viewers differ in what they show (docs/reports.md): GitLab shows an element's text and ignores
``message``; most GitHub reporters, xunit-viewer and junit2html show ``message`` first. So both
carry the point: ``message`` holds the finding itself, on one line and cut at
:data:`MESSAGE_CHARS` (several findings: their count, then each in turn), and the text holds
every finding in full with its evidence, waiver, override and remediation. A skipped case's
``message`` says why it does not block: ``waived by OWNER until DATE: REASON (TICKET)``,
``overridden by ACTOR: REASON`` or ``advisory: MESSAGE``.

Whether each check finished is its own suite, ``check-completeness``: one case per judged task,
an error while the check has not finished, so one running check is one error, not one per
policy. A policy's case for that task is skipped (not judged yet) unless it already blocks.

Text from the API goes through :func:`gate.display.shown`: control characters are
shown as escapes, never written raw. junit-xml 1.9 is used for the elements
(``TestSuite.build_xml_doc``); the document around them is assembled here to fix what it gets
wrong for CI consumers: it writes ``disabled`` attributes and float sums as times, and leaves out
``time`` on cases that took no measurable time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from junit_xml import TestCase, TestSuite

from gate.display import cut, one_line, shown
from gate.report import Finding, Outcome, Pending, PolicyInfo, Report, TaskRef
from gate.reporters.identity import policy_location

CLUSTER_CASE = "cluster"
COMPLETENESS_SUITE = "check-completeness"
RESULTS_CASE = "check results"
# Viewers show ``message`` on one line; the whole text is in the element's body.
MESSAGE_CHARS = 300
# A safety net only: every text is made visible before it gets here.
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
        error = report.error
        case.add_error_info(
            message=cut(one_line(f"{report.verdict.value}: {error.message}"), MESSAGE_CHARS),
            output=shown("\n".join((error.message, *error.details))),
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
            pending_for = {CLUSTER_CASE: list(report.pending)}
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

    known = {p.id for p in report.policies}
    for rule in sorted({f.policy for f in report.findings} - known):
        suites.append(_engine_rule_suite(rule, report.judged, by_case, properties))
    suites.append(_completeness_suite(report, pending_by_task, properties))
    return suites


def _case(
    policy: PolicyInfo, name: str, findings: list[Finding], pending: list[Pending]
) -> TestCase:
    file, line = policy_location(policy, policy.id)
    case = TestCase(shown(name), classname=f"gate.{policy.id}", elapsed_sec=0, file=file, line=line)
    blocking = [f for f in findings if f.outcome is Outcome.BLOCKING]
    if blocking:
        text = _text(findings)
        if pending:
            text += "\n" + "\n".join(f"INCOMPLETE {shown(p.reason)}" for p in pending)
        case.add_failure_info(
            message=_failure_message(blocking), output=text, failure_type="PolicyViolation"
        )
    elif pending:
        # The check has not finished: this policy has not judged it yet. One error for it is in
        # the completeness suite; skipped here, so it neither passes nor counts twice.
        text = "\n".join([_text(findings)] * bool(findings) + [_pending_text(pending)])
        case.add_skipped_info(
            message=f"not judged yet: the check has not finished (see {COMPLETENESS_SUITE})",
            output=text,
        )
    elif findings:
        case.add_skipped_info(message=_skipped_message(findings), output=_text(findings))
    return case


def _engine_rule_suite(
    rule: str,
    judged: tuple[TaskRef, ...],
    by_case: dict[tuple[str, str], list[Finding]],
    properties: dict[str, str],
) -> TestSuite:
    """A rule of the engine itself (not a policy file): a case where it found something."""
    file, line = policy_location(None, rule)
    cases = []
    for name in [task.name for task in judged] + [CLUSTER_CASE]:
        found = by_case.get((rule, name))
        if found:
            case = TestCase(
                shown(name), classname=f"gate.{rule}", elapsed_sec=0, file=file, line=line
            )
            blocking = [f for f in found if f.outcome is Outcome.BLOCKING]
            if blocking:
                case.add_failure_info(
                    message=_failure_message(blocking),
                    output=_text(found),
                    failure_type="PolicyViolation",
                )
            else:
                case.add_skipped_info(message=_skipped_message(found), output=_text(found))
            cases.append(case)
    return TestSuite(rule, cases, properties=properties)


def _completeness_suite(
    report: Report, pending_by_task: dict[str, list[Pending]], properties: dict[str, str]
) -> TestSuite:
    """Whether each judged check finished: one case per task, an error while it runs."""
    classname = f"gate.{COMPLETENESS_SUITE}"
    cases = []
    for task in report.judged:
        case = TestCase(shown(task.name), classname=classname, elapsed_sec=0)
        pending = pending_by_task.get(task.name, [])
        if pending:
            _add_incomplete(case, pending)
        cases.append(case)
    unjudged = [p for p in report.pending if p.task is None]
    if unjudged:
        case = TestCase(RESULTS_CASE, classname=classname, elapsed_sec=0)
        _add_incomplete(case, unjudged)
        cases.append(case)
    elif not report.judged:
        # --allow-empty: say so rather than leave a report with no test at all
        cases.append(
            TestCase(
                RESULTS_CASE,
                classname=classname,
                elapsed_sec=0,
                stdout="nothing to judge; allowed by --allow-empty",
            )
        )
    return TestSuite(COMPLETENESS_SUITE, cases, properties=properties)


def _add_incomplete(case: TestCase, pending: list[Pending]) -> None:
    message = f"incomplete: {pending[0].reason}"
    if len(pending) > 1:
        message += f" (and {len(pending) - 1} more)"
    case.add_error_info(
        message=cut(one_line(message), MESSAGE_CHARS),
        output=_pending_text(pending),
        error_type="Incomplete",
    )


def _failure_message(blocking: list[Finding]) -> str:
    if len(blocking) == 1:
        return cut(one_line(blocking[0].message), MESSAGE_CHARS)
    listed = "; ".join(f.message for f in blocking)
    return cut(one_line(f"{len(blocking)} blocking findings: {listed}"), MESSAGE_CHARS)


def _skipped_message(findings: list[Finding]) -> str:
    return cut(one_line("; ".join(_why_not_blocking(f) for f in findings)), MESSAGE_CHARS)


def _why_not_blocking(finding: Finding) -> str:
    if finding.waiver is not None:
        w = finding.waiver
        text = f"waived by {w.owner} until {w.expires}: {w.reason}"
        return text + (f" ({w.ticket})" if w.ticket else "")
    if finding.override is not None:
        return f"overridden by {finding.override.actor}: {finding.override.reason}"
    return f"{finding.outcome.value}: {finding.message}"


def _text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{_LABEL[f.outcome]} [{f.enforcement.value}] {f.message}")
        lines.append(f"  evidence: {f.path}")
        if f.waiver:
            w = f.waiver
            ticket = f", ticket {w.ticket}" if w.ticket else ""
            lines.append(f"  waived by {w.owner} until {w.expires}: {w.reason} ({w.where}{ticket})")
        if f.override:
            lines.append(f"  overridden by {f.override.actor}: {f.override.reason}")
        if f.remediation:
            lines.append(f"  remediation: {f.remediation}")
    return shown("\n".join(lines))


def _pending_text(pending: list[Pending]) -> str:
    return shown("\n".join(f"INCOMPLETE {p.reason} at {p.path}" for p in pending))


def _run_properties(report: Report) -> dict[str, str]:
    properties = {"gate.verdict": report.verdict.value, "gate.exit_code": str(report.exit_code)}
    if report.source:
        properties["gate.source"] = shown(report.source)
    if report.cluster:
        properties["gate.cluster"] = shown(report.cluster)
    for override in report.overrides:
        properties[f"gate.override.{override.policy}"] = shown(
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
