"""--baseline in a fleet run and across gate merge (single-cluster runs: tests/cases/baseline-*)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers import ROOT, invoke

REPORT_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "schemas" / "report.schema.json").read_text())
)
EXAMPLE = json.loads((ROOT / "examples" / "blocked-coredns.json").read_text())


def _response(fatal: str, warning: str) -> dict[str, object]:
    response = json.loads(json.dumps(EXAMPLE))
    risks = response["items"][0]["status"]["riskList"]
    risks[0]["status"], risks[1]["status"] = warning, fatal
    if "Failed" not in (fatal, warning):  # else the built-in rule blocks a Failed task
        response["items"][0]["status"]["status"] = "Success"
    return response


def _inventory(folder: Path, clusters: dict[str, tuple[str, str]]) -> Path:
    lines = ["apiVersion: gate/v1", "kind: Inventory", "clusters:"]
    for name, (fatal, warning) in clusters.items():
        (folder / f"{name}.json").write_text(json.dumps(_response(fatal, warning)))
        lines += [f"  - name: {name}", f"    input: {name}.json"]
    inventory = folder / "inventory.yaml"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


def _labels(report: Path) -> dict[str, list[str]]:
    data = json.loads(report.read_text())
    REPORT_SCHEMA.validate(data)  # fleet reports, with baseline fields, merged ones too
    return {c["name"]: sorted(f["baseline"] for f in c["findings"]) for c in data["clusters"]}


def test_a_fleet_compared_with_its_last_run(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, {"a": ("Failed", "Failed"), "b": ("Success", "Failed")})
    previous = tmp_path / "previous.json"
    assert invoke(["check", "--inventory", str(inventory), "--json", str(previous)])[0] == 1
    # b's Warning is fixed, a new cluster c joins the inventory with a failed Warning
    inventory = _inventory(
        tmp_path,
        {"a": ("Failed", "Failed"), "b": ("Success", "Success"), "c": ("Success", "Failed")},
    )
    now = tmp_path / "now.json"
    args = ["check", "--inventory", str(inventory), "--baseline", str(previous)]
    code, _, stderr = invoke([*args, "--fail-on", "new", "--json", str(now)])
    assert code == 1, stderr
    assert _labels(now) == {"a": ["persisting", "persisting"], "b": [], "c": ["new"]}
    clusters = {c["name"]: c for c in json.loads(now.read_text())["clusters"]}
    assert [r["risk"] for r in clusters["b"]["baseline"]["resolved"]] == ["AddonStatus"]
    # a's persisting soft finding no longer blocks; its hard-mandatory one still does
    outcomes = sorted((f["policy"], f["outcome"]) for f in clusters["a"]["findings"])
    assert outcomes == [("addon-status-must-pass", "advisory"), ("no-fatal-risks", "blocking")]
    assert clusters["c"]["verdict"] == "blocked"  # new soft-mandatory finding blocks


def test_a_fleet_baseline_must_be_a_fleet_report_of_this_inventory(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, {"a": ("Failed", "Failed")})
    single = tmp_path / "single.json"
    invoke(["check", "-i", str(tmp_path / "a.json"), "--json", str(single)])
    code, _, stderr = invoke(["check", "--inventory", str(inventory), "--baseline", str(single)])
    assert code == 2 and "a fleet run compares with a fleet report" in stderr
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    other_inventory = _inventory(other, {"x": ("Failed", "Failed")})
    invoke(["check", "--inventory", str(other_inventory), "--json", str(elsewhere)])
    code, _, stderr = invoke(["check", "--inventory", str(inventory), "--baseline", str(elsewhere)])
    assert code == 2 and "a report of another inventory" in stderr


def test_merged_shards_keep_the_baseline_labels(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, {n: ("Failed", "Failed") for n in ("a", "b", "c")})
    previous = tmp_path / "previous.json"
    invoke(["check", "--inventory", str(inventory), "--json", str(previous)])
    shards = []
    for index in (1, 2):
        shard = tmp_path / f"shard{index}.json"
        invoke(
            [
                "check",
                "--inventory",
                str(inventory),
                "--shard",
                f"{index}/2",
                "--baseline",
                str(previous),
                "--json",
                str(shard),
            ]
        )
        shards.append(str(shard))
    merged = tmp_path / "merged.json"
    assert invoke(["merge", *shards, "--json", str(merged)])[0] == 1
    assert _labels(merged) == {n: ["persisting", "persisting"] for n in ("a", "b", "c")}


def test_findings_of_one_identity_are_matched_one_for_one() -> None:
    from ci_support import make_finding

    from gate import baseline
    from gate.report import Report, Resolved, Verdict
    from gate.reporters.identity import identity

    finding = make_finding()
    key = identity(finding)
    earlier = Resolved(key, finding.policy, "coredns", "cceaddon-coredns", "addonUpgrade", "r", "m")
    report = Report(verdict=Verdict.BLOCKED, findings=(finding, finding))
    one_before = baseline.Previous("b.json", None, {"": (earlier,)})
    labels = [f.baseline for f in baseline.compare(report, one_before, False).findings]
    assert labels == ["persisting", "new"]
    two_before = baseline.Previous("b.json", None, {"": (earlier, earlier)})
    single = Report(verdict=Verdict.BLOCKED, findings=(finding,))
    compared = baseline.compare(single, two_before, True)
    assert [f.baseline for f in compared.findings] == ["persisting"]
    assert compared.baseline is not None and len(compared.baseline.resolved) == 1
    assert compared.verdict is Verdict.PASS  # --fail-on new: a persisting soft finding


def test_sarif_marks_the_baseline_state(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_response("Failed", "Success")))
    response = str(tmp_path / "a.json")
    previous = tmp_path / "previous.json"
    invoke(["check", "-i", response, "--json", str(previous)])
    (tmp_path / "a.json").write_text(json.dumps(_response("Failed", "Failed")))
    sarif = tmp_path / "out.sarif"
    invoke(["check", "-i", response, "--baseline", str(previous), "--sarif", str(sarif)])
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    states = sorted((r["ruleId"], r["baselineState"]) for r in results)
    assert states == [
        ("addon-status-must-pass", "new"),
        ("no-fatal-risks", "unchanged"),
    ]


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        ({"error": ""}, "that run stopped with an error"),
        ({"verdict": "internal-error", "exit_code": 6, "error": None}, "stopped with an error"),
        ({"generated_at": "9999-12-31T00:00:00Z"}, "after this run's time"),
    ],
)
def test_a_baseline_that_judged_nothing_or_lies_about_its_time(
    tmp_path: Path, edit: dict[str, object], said: str
) -> None:
    response = tmp_path / "a.json"
    response.write_text(json.dumps(_response("Failed", "Failed")))
    previous = tmp_path / "previous.json"
    invoke(["check", "-i", str(response), "--json", str(previous)])
    previous.write_text(json.dumps({**json.loads(previous.read_text()), **edit}))
    code, stdout, stderr = invoke(["check", "-i", str(response), "--baseline", str(previous)])
    assert said in stdout + stderr
    assert code == (1 if "time" in said else 2)
