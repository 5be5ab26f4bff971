"""Shared by the CI integration tests: the test environment's tools, the golden CLI runs, the
Code Quality schema and small report builders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT

from gate.cli import cli
from gate.report import (
    Enforcement,
    Finding,
    Outcome,
    Override,
    PolicyInfo,
    Report,
    RiskRef,
    TaskRef,
    Verdict,
    Waiver,
)

CI = ROOT / "tests" / "ci"
SCHEMAS = ROOT / "tests" / "schemas"
BIN = Path(sys.executable).parent
UPDATE = os.environ.get("GATE_UPDATE_GOLDEN") == "1"
EXAMPLE = ROOT / "examples" / "blocked-coredns.json"
WORKFLOWS = [
    ROOT / ".github" / "workflows" / "ci.yml",
    ROOT / "examples" / "github" / "pre-upgrade.yml",
    ROOT / "examples" / "github" / "fleet.yml",
]


def tool(name: str) -> str:
    """A console script of the test environment; a missing one fails the test, never skips it."""
    path = BIN / name
    assert path.exists(), f"{name} is not installed in {BIN}: pip install -e '.[test]'"
    return str(path)


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return run_tool(tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files))


def cli_run(args: list[str], env: dict[str, str | None] | None = None) -> tuple[int, str]:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, args, env={**CLI_ENV, **(env or {})})
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout + result.stderr


GOLDEN = {
    "blocked": ["check", "-i", "examples/blocked-coredns.json"],
    "waived": [
        "check",
        "-i",
        "tests/ci/waived-response.json",
        "--waivers",
        "tests/ci/waivers.yaml",
    ],
    "config-error": [
        "check",
        "-i",
        "examples/blocked-coredns.json",
        "--waivers",
        "tests/ci/hard-waiver.yaml",
    ],
}


CODEQUALITY_SCHEMA = json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text())


def validate_codequality(path: Path) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(CODEQUALITY_SCHEMA).validate(issues)
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints), "GitLab would merge duplicates"
    return issues


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


def make_finding(
    outcome: Outcome = Outcome.BLOCKING,
    enforcement: Enforcement = Enforcement.SOFT,
    *,
    policy: str = "p",
    level: str = "Warning",
    message: str = "coredns: something failed",
    risk: bool = True,
) -> Finding:
    return Finding(
        policy=policy,
        enforcement=enforcement,
        outcome=outcome,
        message=message,
        path="items[0].status.riskList[0]",
        task=TASK,
        risk=RiskRef("AddonStatus", level, "Failed", "x", "items[0].status.riskList[0]")
        if risk
        else None,
        waiver=Waiver("p", "r", "o", "2099-01-01", "w.yaml", 2)
        if outcome is Outcome.WAIVED
        else None,
        override=Override("p", "r", "a", "GITHUB_ACTOR") if outcome is Outcome.OVERRIDDEN else None,
    )


def make_report(findings: tuple[Finding, ...], policies: tuple[PolicyInfo, ...] = ()) -> Report:
    blocking = any(f.outcome is Outcome.BLOCKING for f in findings)
    return Report(
        verdict=Verdict.BLOCKED if blocking else Verdict.PASS,
        source="response.json",
        policies=policies,
        judged=(TASK,),
        findings=findings,
    )
