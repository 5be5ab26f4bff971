"""The account on stdout, exactly."""

from __future__ import annotations

from dataclasses import replace

from gate import __version__
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
from gate.reporters import text

TASK = TaskRef(
    "items[0]",
    "coredns (addonUpgrade)",
    "coredns",
    "cceaddon-coredns",
    "addonUpgrade",
    "t-1",
    "Failed",
    "2025-08-05T17:10:44+08:00",
    "1.30.33",
)
RISK = RiskRef("AddonStatus", "Warning", "Failed", "not running", "items[0].status.riskList[0]")
POLICY = PolicyInfo(
    "addon-status-must-pass", "t", "risk", Enforcement.SOFT, "--enforcement", "p.yaml", 2
)
OVERRIDE = Override("addon-status-must-pass", "CHG-7", "alice", "GITHUB_ACTOR")
EXPIRED = Waiver("addon-status-must-pass", "old", "ops", "2025-01-01", "w.yaml", 2)


def test_exact_account_of_an_overridden_run() -> None:
    report = Report(
        verdict=Verdict.PASS,
        source="r.json",
        cluster="c-1",
        policies=(POLICY,),
        judged=(TASK, replace(TASK, name="everest (addonUpgrade)", addon="everest")),
        findings=(
            Finding(
                POLICY.id,
                Enforcement.SOFT,
                Outcome.OVERRIDDEN,
                "coredns: AddonStatus failed",
                RISK.path,
                TASK,
                RISK,
                remediation="fix it",
                override=OVERRIDE,
            ),
        ),
        waivers_expired=(EXPIRED,),
        overrides=(OVERRIDE,),
        notes=("normalised: items was a single object",),
    )
    assert text.render(report) == (
        f"gate {__version__}: r.json (cluster c-1)\n"
        "  policies: addon-status-must-pass (soft-mandatory)\n"
        "  enforcement of addon-status-must-pass set to soft-mandatory by --enforcement\n"
        "  note: normalised: items was a single object\n"
        "\n"
        "coredns (addonUpgrade) -> 1.30.33: task t-1, Failed, created 2025-08-05T17:10:44+08:00\n"
        "  OVERRIDE addon-status-must-pass [soft-mandatory]: coredns: AddonStatus failed\n"
        "           evidence: items[0].status.riskList[0]\n"
        "           overridden by alice: CHG-7\n"
        "           remediation: fix it\n"
        "\n"
        "1 task(s) passed every policy: everest (addonUpgrade)\n"
        "waiver expired on 2025-01-01 and was not applied: addon-status-must-pass (w.yaml:2)\n"
        "override: addon-status-must-pass by alice (GITHUB_ACTOR): CHG-7\n"
        "\n"
        "Verdict: PASS (exit 0): 0 blocking, 0 advisory, 0 waived, 1 overridden; 2 task(s) judged\n"
    )


def test_colour_only_when_asked() -> None:
    report = Report(verdict=Verdict.INCOMPLETE, pending=(Pending("nothing to judge", "items"),))
    plain, coloured = text.render(report), text.render(report, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[33;1mVerdict: INCOMPLETE (exit 5)\x1b[0m" in coloured
    assert "\x1b[33mWAIT\x1b[0m  nothing to judge" in coloured


def test_long_runs_show_blocked_tasks_first_and_count_the_rest() -> None:
    tasks = [replace(TASK, name=f"addon-{i:03} (addonUpgrade)") for i in range(150)]
    findings = tuple(
        Finding(
            POLICY.id,
            Enforcement.SOFT,
            Outcome.BLOCKING if i >= 140 else Outcome.ADVISORY,
            f"finding {i}",
            "p",
            task,
        )
        for i, task in enumerate(tasks)
    )
    report = Report(
        verdict=Verdict.BLOCKED, policies=(POLICY,), judged=tuple(tasks), findings=findings
    )
    lines = text.render(report).splitlines()
    headings = [line for line in lines if line.startswith("addon-")]
    assert len(headings) == text.TASKS_SHOWN
    assert headings[0].startswith("addon-140") and headings[9].startswith("addon-149")
    assert "... and 50 more task(s) with findings or unfinished checks" in "\n".join(lines)
