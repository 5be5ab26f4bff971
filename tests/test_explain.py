"""--explain and gate explain: the decision record, in words and in the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ROOT, invoke

RESPONSE = str(ROOT / "examples" / "blocked-coredns.json")
WAIVERS = """\
waivers:
  - policy: addon-status-must-pass
    addon: coredns
    reason: "drain in progress"
    owner: platform-team
    expires: 2025-08-01
  - policy: addon-status-must-pass
    addon: npd
    reason: "npd is being replaced"
    owner: platform-team
    expires: 2026-01-31
"""


def _waivers(tmp_path: Path, text: str = WAIVERS) -> str:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return str(path)


def test_explain_says_why_each_waiver_did_not_apply(tmp_path: Path) -> None:
    waivers = _waivers(tmp_path)
    code, out, _ = invoke(["explain", "-i", RESPONSE, "--waivers", waivers])
    assert code == 1
    status = out.split("risk AddonStatus (Warning) blocked the upgrade.")[1].split("\n\n")[0]
    assert f"Waiver for addon-status-must-pass ({waivers}:2" in status
    assert "did not apply: it expired on 2025-08-01." in status
    assert f"({waivers}:7, owner platform-team) did not apply: it is for add-on npd" in status
    assert 'items[0].status.riskList[0].status is "Failed"' in status
    assert "soft-mandatory as its file says" in status
    assert "this finding alone makes gate exit 1" in status
    fatal = out.split("risk AddonValidate (Fatal) blocked the upgrade.")[1]
    assert "hard-mandatory" in fatal and "policies/default/no-fatal-risks.yaml:2" in fatal
    # gate explain replaces the account; the verdict still ends it
    assert "BLOCK " not in out and "Verdict: BLOCKED (exit 1)." in out


def test_check_explain_follows_the_account_and_fills_the_json(tmp_path: Path) -> None:
    waivers = _waivers(tmp_path)
    report = tmp_path / "report.json"
    args = ["check", "-i", RESPONSE, "--waivers", waivers, "--explain", "--json", str(report)]
    code, out, _ = invoke(args)
    assert code == 1
    assert out.index("BLOCK ") < out.index("blocked the upgrade.")
    findings = json.loads(report.read_text())["findings"]
    decision = {f["policy"]: f["decision"] for f in findings}["addon-status-must-pass"]
    assert decision["evidence"] == {
        "path": "items[0].status.riskList[0].status",
        "present": True,
        "value": "Failed",
    }
    assert [w["reason"] for w in decision["waivers"]] == [
        "it expired on 2025-08-01",
        "it is for add-on npd, and this finding is for coredns",
    ]
    assert decision["match"][0]["held"] is True and decision["assert"][0]["held"] is False
    assert decision["exit_code"] == 1 and decision["outcome"] == "blocking"


def test_without_explain_the_json_has_no_decision(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, _, _ = invoke(["check", "-i", RESPONSE, "--json", str(report)])
    assert code == 1
    assert all("decision" not in f for f in json.loads(report.read_text())["findings"])


def test_a_waiver_that_applied_and_the_filters(tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, WAIVERS.replace("2025-08-01", "2025-12-01"))
    args = ["explain", "-i", RESPONSE, "--waivers", waivers, "--policy-id"]
    code, out, _ = invoke([*args, "addon-status-must-pass"])
    assert code == 1  # the Fatal risk still blocks: the filter changes what is explained only
    assert "did not block: waived by" in out and "applied, until 2025-12-01" in out
    assert "AddonValidate" not in out and "on its own this finding lets gate exit 0" in out
    code, out, _ = invoke(["explain", "-i", RESPONSE, "--addon", "npd"])
    assert code == 1 and "No finding matches --addon npd (2 other finding(s))." in out


def test_an_override_is_explained(tmp_path: Path) -> None:
    args = ["explain", "-i", RESPONSE, "--override", "addon-status-must-pass"]
    code, out, _ = invoke([*args, "--reason", "drain", "--policy-id", "addon-status-must-pass"])
    assert code == 1
    assert "did not block: overridden by ci-bot" in out and "overrode it: drain" in out


def test_a_waiver_for_another_cluster_and_a_counted_condition(tmp_path: Path) -> None:
    text = WAIVERS.replace("2025-08-01", "2025-12-01").replace(
        "    addon: coredns\n", "    addon: coredns\n    cluster: cluster-b\n"
    )
    waivers = _waivers(tmp_path, text)
    args = ["explain", "-i", RESPONSE, "--waivers", waivers, "--cluster-id", "cluster-a"]
    code, out, _ = invoke(args)
    assert code == 1
    assert "did not apply: it is for cluster cluster-b, and this run is for cluster-a." in out
    policy = str(ROOT / "policies" / "examples" / "max-warnings.yaml")
    args = ["explain", "-i", RESPONSE, "--policy", policy, "--param", "max_warnings=0"]
    code, out, _ = invoke(args)
    assert code == 1
    assert "The cluster as a whole (max-warnings) blocked the upgrade." in out
    assert "(line 12) is false: the count is 1." in out
