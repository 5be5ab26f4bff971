"""A ``gate test`` run as text (one line per case, a diff per failure) and as JUnit XML.

Not a reporter of a Report: these render :class:`gate.policytest.CaseResult` lists. The JUnit
document has one suite per test file, one case per test case (a failure carries the diff), an
error case for a test file that could not be loaded, and a ``coverage`` suite with one failing
case per gap when coverage is required.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from junit_xml import TestCase, TestSuite

from gate.display import cut, one_line, shown
from gate.policytest import CaseResult

COVERAGE_SUITE = "coverage"
MESSAGE_CHARS = 300
_ILLEGAL_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufddf\ufffe\uffff]"
)


def text(results: Sequence[CaseResult], gaps: Sequence[str], coverage_checked: bool) -> str:
    lines = []
    for result in results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'} {result.id}")
        if not result.passed:
            lines.extend("    " + problem for problem in result.problems)
            lines.extend("    " + line for line in result.diff)
    if coverage_checked:
        if gaps:
            lines.append(f"coverage: {len(gaps)} gap(s)")
            lines.extend("  " + gap for gap in gaps)
        else:
            lines.append(
                "coverage: every policy makes a finding and passes in some case, and "
                "every assert condition fails in some case"
            )
    failed = sum(1 for r in results if not r.passed)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(shown(line) for line in lines) + "\n"


def junit(
    results: Sequence[CaseResult],
    errors: Sequence[str],
    gaps: Sequence[str],
    coverage_checked: bool,
) -> str:
    suites: dict[str, list[TestCase]] = {}
    for result in results:
        case = TestCase(
            result.case.name,
            classname=result.file,
            elapsed_sec=result.seconds,
            file=result.file,
            line=result.case.line,
        )
        if not result.passed:
            case.add_failure_info(
                message=cut(one_line("; ".join(result.problems)), MESSAGE_CHARS),
                output=shown("\n".join((*result.problems, *result.diff))),
                failure_type="PolicyTestFailure",
            )
        suites.setdefault(result.file, []).append(case)
    for error in errors:
        case = TestCase("load", classname="gate-test", elapsed_sec=0)
        case.add_error_info(
            message=cut(one_line(error), MESSAGE_CHARS), output=shown(error), error_type="invalid"
        )
        suites.setdefault("invalid test files", []).append(case)
    if coverage_checked:
        cases = []
        for gap in gaps:
            case = TestCase(gap, classname=COVERAGE_SUITE, elapsed_sec=0)
            case.add_failure_info(message=cut(gap, MESSAGE_CHARS), failure_type="CoverageGap")
            cases.append(case)
        if not gaps:
            cases.append(TestCase("every policy and condition", classname=COVERAGE_SUITE))
        suites[COVERAGE_SUITE] = cases
    root = ET.Element("testsuites", {"name": "gate test"})
    for name, cases in suites.items():
        element = TestSuite(name, cases).build_xml_doc()
        element.attrib.pop("disabled", None)
        for item in element.iter("testcase"):
            item.set("time", f"{float(item.get('time') or 0):.3f}")
        element.set("time", f"{sum(float(c.get('time', '0')) for c in element):.3f}")
        root.append(element)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _ILLEGAL_XML.sub("", text) + "\n"
