"""The baseline: the least a hand-written script could do for the same job.

json.load, the three default checks in plain loops, junit-xml without pretty printing; no
validation, no waivers, no selection of the newest task, no JSON report.

    python bench/minimal.py RESPONSE.json OUT.xml
"""

from __future__ import annotations

import json
import sys

from junit_xml import TestCase, TestSuite, to_xml_report_file


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        document = json.load(handle)
    suites: dict[str, list[TestCase]] = {
        "no-fatal-risks": [],
        "addon-status-must-pass": [],
        "no-failed-warnings": [],
    }
    blocked = False
    for task in document.get("items") or []:
        name = f"{task['metadata']['addonTemplateName']} ({task['metadata']['type']})"
        found: dict[str, list[str]] = {key: [] for key in suites}
        for risk in task["status"].get("riskList") or []:
            failed = risk["status"] == "Failed"
            if risk["level"] == "Fatal" and failed:
                found["no-fatal-risks"].append(risk["riskName"])
            if risk["riskName"] == "AddonStatus" and failed:
                found["addon-status-must-pass"].append(risk["riskName"])
            elif risk["level"] == "Warning" and failed:
                found["no-failed-warnings"].append(risk["riskName"])
        for policy, cases in suites.items():
            case = TestCase(name, classname=policy, elapsed_sec=0.001)
            if found[policy]:
                case.add_failure_info(message="failed", output=", ".join(found[policy]))
                blocked = blocked or policy != "no-failed-warnings"
            cases.append(case)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        to_xml_report_file(out, [TestSuite(k, v) for k, v in suites.items()], prettyprint=False)
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main())
