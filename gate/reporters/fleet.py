"""Every report format for a fleet: each cluster rendered by the single-cluster reporter, wrapped.

* JSON (``format_version`` 2, fleet reports only): top-level ``verdict``, ``exit_code``,
  ``fleet`` (inventory and config digests, shard), and ``clusters``, each the single-cluster
  report's fields with ``name`` and ``labels``.
* JUnit: each cluster's suites, test cases named ``<cluster>/<addon> (<type>)``.
* Markdown: a table of clusters, worst first, then the findings of the worst clusters; bounded.
* Code Quality and SARIF: every cluster's issues or runs; fingerprints include the cluster.
* Text: one line per cluster, then the summary line.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from gate import __version__
from gate.display import cut, one_line, visible
from gate.report import Outcome, Verdict
from gate.reporters import codequality, github, json_report, junit, markdown, sarif
from gate.reporters.identity import fingerprint

if TYPE_CHECKING:
    from gate.fleet import FleetReport

FORMAT_VERSION = 2
CLUSTER_ROWS = 100
FINDING_ROWS = 50


def render(name: str, fleet: FleetReport) -> str:
    return _RENDER[name](fleet)


def as_data(fleet: FleetReport) -> dict[str, Any]:
    counts = fleet.by_verdict()
    return {
        "format_version": FORMAT_VERSION,
        "gate_version": __version__,
        "kind": "fleet",
        "verdict": fleet.verdict.value,
        "exit_code": fleet.exit_code,
        "fleet": {
            "inventory": fleet.inventory,
            "inventory_digest": fleet.inventory_digest,
            "config_digest": fleet.config_digest,
            "shard": (
                None if fleet.shard is None else {"index": fleet.shard[0], "total": fleet.shard[1]}
            ),
            "merged_shards": list(fleet.shards),
            "selected": fleet.selected,
        },
        "summary": {
            "clusters": len(fleet.clusters),
            **{v.value: counts.get(v, 0) for v in Verdict},
            **{o.value: fleet.count(o) for o in Outcome},
        },
        "error": (
            None
            if fleet.error is None
            else {
                "verdict": fleet.error.verdict.value,
                "message": fleet.error.message,
                "details": list(fleet.error.details),
            }
        ),
        "clusters": [_cluster(c) for c in fleet.clusters],
        "notes": list(fleet.notes),
        "write_failures": list(fleet.write_failures),
    }


def _cluster(result: Any) -> dict[str, Any]:
    data = json_report.as_data(result.report)
    for key in ("format_version", "gate_version", "write_failures"):
        data.pop(key, None)
    return {"name": result.name, "labels": dict(result.labels), **data}


def _json(fleet: FleetReport) -> str:
    return json.dumps(as_data(fleet), ensure_ascii=False, indent=2) + "\n"


def _junit(fleet: FleetReport) -> str:
    root = ET.Element("testsuites", {"name": "gate"})
    if fleet.error is not None:
        suite = ET.SubElement(root, "testsuite", {"name": "gate", "tests": "1", "errors": "1"})
        case = ET.SubElement(suite, "testcase", {"name": "fleet", "classname": "gate"})
        error = ET.SubElement(
            case, "error", {"message": fleet.error.message[:300], "type": fleet.verdict.value}
        )
        error.text = fleet.error.message
    for result in fleet.clusters:
        document = ET.fromstring(junit.render(result.report).split("\n", 1)[1])
        for suite in document:
            suite.set("name", f"{result.name}/{suite.get('name', '')}")
            for case in suite.iter("testcase"):
                case.set("name", f"{result.name}/{case.get('name', '')}")
            root.append(suite)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", "0.000")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _codequality(fleet: FleetReport) -> str:
    issues = []
    if fleet.error is not None:
        issues.append(
            {
                "description": f"gate could not judge the fleet: {fleet.error.message}"[:1000],
                "check_name": f"gate/{fleet.error.verdict.value}",
                "fingerprint": fingerprint("fleet", fleet.error.message),
                "severity": "blocker",
                "location": {"path": fleet.inventory or "gate", "lines": {"begin": 1}},
            }
        )
    for result in fleet.clusters:
        for issue in codequality.as_data(result.report):
            issue["description"] = f"{result.name}: {issue['description']}"
            # error and incomplete issues are hashed without the cluster: two clusters, two issues
            issue["fingerprint"] = fingerprint(result.name, issue["fingerprint"])
            issues.append(issue)
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def _sarif(fleet: FleetReport) -> str:
    runs = [sarif.as_data(result.report)["runs"][0] for result in fleet.clusters]
    data = {"$schema": sarif.SCHEMA_URI, "version": "2.1.0", "runs": runs}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _markdown(fleet: FleetReport) -> str:
    verdict = fleet.verdict
    icon = {Verdict.PASS: "✅", Verdict.BLOCKED: "⛔", Verdict.INCOMPLETE: "⏳"}.get(verdict, "❌")
    lines = [f"## {icon} gate fleet: {verdict.value.upper()} (exit {fleet.exit_code})", ""]
    counts = fleet.by_verdict()
    summary = ", ".join(f"{n} {v.value}" for v in Verdict if (n := counts.get(v, 0)))
    where = f" (shard {fleet.shard[0]}/{fleet.shard[1]})" if fleet.shard else ""
    lines.append(f"{len(fleet.clusters)} cluster(s){where}: {summary or 'none judged'}.")
    if fleet.error is not None:
        lines += ["", f"**Error:** {markdown.text(fleet.error.message, 2000)}"]
    ordered = fleet.worst_first()
    if ordered:
        rows = []
        for result in ordered[:CLUSTER_ROWS]:
            report = result.report
            labels = ", ".join(f"{k}={v}" for k, v in result.labels)
            rows.append(
                "| "
                + " | ".join(
                    [
                        markdown.text(result.name),
                        markdown.text(labels) or "–",
                        f"{report.verdict.value.upper()} ({report.exit_code})",
                        str(report.count(Outcome.BLOCKING)),
                        str(report.count(Outcome.ADVISORY)),
                        str(report.count(Outcome.WAIVED)),
                    ]
                )
                + " |"
            )
        lines += [
            "",
            "| Cluster | Labels | Verdict | Blocking | Advisory | Waived |",
            "| --- | --- | --- | ---: | ---: | ---: |",
            *rows,
        ]
        if len(ordered) > CLUSTER_ROWS:
            lines += ["", f"_… and {len(ordered) - CLUSTER_ROWS} more clusters: see the JSON._"]
    findings = []
    for result in ordered:
        report = result.report
        if report.error is not None:
            findings.append(
                f"| {markdown.text(result.name)} | {report.verdict.value.upper()} | – | "
                f"{markdown.text(report.error.message)} |"
            )
        for finding in markdown.most_severe_first(report.findings):
            if finding.outcome is Outcome.BLOCKING:
                where = markdown.text(finding.task.name) if finding.task else "(cluster)"
                findings.append(
                    f"| {markdown.text(result.name)} | {markdown.code(finding.policy)} | {where} "
                    f"| {markdown.text(finding.message)} |"
                )
    if findings:
        lines += [
            "",
            "### Blocking findings and errors",
            "",
            "| Cluster | Policy | Add-on check | Finding |",
            "| --- | --- | --- | --- |",
            *findings[:FINDING_ROWS],
        ]
        if len(findings) > FINDING_ROWS:
            lines += ["", f"_… and {len(findings) - FINDING_ROWS} more: see the JUnit and JSON._"]
    return "\n".join(lines) + "\n"


def text(fleet: FleetReport) -> str:
    """The account: one line per cluster, worst first, then the fleet's verdict."""
    shard = f", shard {fleet.shard[0]}/{fleet.shard[1]}" if fleet.shard else ""
    # names and messages may come from a shard report read back: no raw control character
    lines = [f"gate {__version__}: fleet {visible(fleet.inventory)}{shard}"]
    lines += [f"  note: {one_line(note)}" for note in fleet.notes]
    for result in fleet.worst_first():
        report = result.report
        line = f"  {visible(result.name)}: {report.verdict.value.upper()} (exit {report.exit_code})"
        if report.error is not None:
            line += f": {cut(one_line(report.error.message), 300)}"
        else:
            line += ": " + ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
            if report.pending:
                line += f", {len(report.pending)} pending"
        lines.append(line)
    lines += [f"  could not write {failure}" for failure in fleet.write_failures]
    counts = fleet.by_verdict()
    summary = ", ".join(f"{n} {v.value}" for v in Verdict if (n := counts.get(v, 0)))
    lines += ["", f"Verdict: {fleet.verdict.value.upper()} (exit {fleet.exit_code}): "]
    lines[-1] += f"{len(fleet.clusters)} cluster(s): {summary or 'none judged'}"
    return "\n".join(lines) + "\n"


def annotation_lines(fleet: FleetReport) -> list[str]:
    """GitHub annotations: each cluster's, titled with its name, at most 10 errors in all."""
    lines = []
    if fleet.error is not None:
        lines.append(github.command("error", fleet.error.message, title="gate fleet"))
    for result in fleet.worst_first():
        for line in github.annotation_lines(result.report):
            title = f"title={github.escape_property(result.name)}%3A "
            lines.append(line.replace("title=", title, 1))
    errors = [line for line in lines if line.startswith("::error")][: github.MAX_PER_LEVEL]
    warnings = [line for line in lines if line.startswith("::warning")][: github.MAX_PER_LEVEL]
    return errors + warnings


def outputs(fleet: FleetReport, exit_code: int) -> str:
    lines = [f"verdict={fleet.verdict.value}", f"exit-code={exit_code}"]
    lines.append(f"clusters={len(fleet.clusters)}")
    lines += [f"{outcome.value}={fleet.count(outcome)}" for outcome in Outcome]
    return "\n".join(lines) + "\n"


_RENDER = {
    "json": _json,
    "junit": _junit,
    "markdown": _markdown,
    "codequality": _codequality,
    "sarif": _sarif,
}
