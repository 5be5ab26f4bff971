"""``gate validate`` and the pre-commit hook: which files are gate's, and what the hook refuses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ci_support import (
    CI,
    cli_run,
    load_yaml,
    tool,
)
from helpers import ROOT

pytestmark = pytest.mark.process


def hook(hook_id: str = "gate-validate") -> dict[str, Any]:
    hooks = load_yaml(ROOT / ".pre-commit-hooks.yaml")
    (found,) = [h for h in hooks if h["id"] == hook_id]
    assert isinstance(found, dict)
    return found


def test_both_hooks_match_the_same_files() -> None:
    assert hook("gate-lint")["files"] == hook("gate-validate")["files"]
    assert hook("gate-lint")["entry"].split() == ["gate", "lint"]


def test_pre_commit_hook_matches_gate_files_only() -> None:
    """gate's files by convention: under a `gate/` folder or named `*.gate.yaml`; another tool's
    `policies/` folder (Kyverno, OPA) is not gate's."""
    pattern = re.compile(hook()["files"])
    for path in (
        "gate/policies/x.yaml",
        "ops/gate/policies/y.yml",
        "gate/waivers.yaml",
        "ci/prod.gate.yml",
        "coredns.gate.yaml",
    ):
        assert pattern.search(path), path
    for path in (
        "policies/require-labels.yaml",  # Kyverno
        "k8s/policies/disallow-latest-tag.yml",
        "opa/policies/data.yaml",
        "waivers.yaml",
        "templates/gate.yml",
        "action.yml",
        ".github/workflows/ci.yml",
        "gate/policies/notes.md",
        "policies/gate.yaml.bak",
    ):
        assert not pattern.search(path), path


KYVERNO = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
spec:
  validationFailureAction: Enforce
  rules: []
"""


def test_pre_commit_as_it_runs_leaves_other_tools_policies_alone(tmp_path: Path) -> None:
    """The files pre-commit would pass (the hook's `files` and `types: [yaml]`), then the entry."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "require-labels.yaml").write_text(KYVERNO)
    (tmp_path / "gate" / "policies").mkdir(parents=True)
    shutil.copy(
        ROOT / "policies" / "default" / "addon-status-must-pass.yaml",
        tmp_path / "gate" / "policies",
    )
    shutil.copy(CI / "waivers.yaml", tmp_path / "gate" / "waivers.yaml")
    pattern = re.compile(hook()["files"])

    def commit(*changed: str) -> subprocess.CompletedProcess[str]:
        files = [f for f in changed if pattern.search(f) and f.endswith((".yaml", ".yml"))]
        entry = hook()["entry"].split()
        return subprocess.run(
            [tool(entry[0]), *entry[1:], "--policy", "gate/policies/", *files],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    result = commit("policies/require-labels.yaml", "gate/waivers.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: 1 policies, 1 waiver(s)\n"
    shutil.copy(CI / "hard-waiver.yaml", tmp_path / "gate" / "waivers.yaml")
    shutil.copy(
        ROOT / "policies" / "default" / "no-fatal-risks.yaml", tmp_path / "gate" / "policies"
    )
    result = commit("policies/require-labels.yaml", "gate/waivers.yaml")
    assert result.returncode == 2
    assert "gate/waivers.yaml:7: policy no-fatal-risks is hard-mandatory" in result.stderr


def test_pre_commit_hook_switches_command_in_one_word() -> None:
    entry = hook()["entry"].split()
    assert entry == ["gate", "validate"]


def run_hook(*files: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    entry = hook()["entry"].split()
    assert entry[0] == "gate"
    return subprocess.run(
        [tool("gate"), *entry[1:], *args, *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hook_accepts_good_policy_and_waiver_files() -> None:
    result = run_hook(
        "policies/examples/max-warnings.yaml",
        "tests/ci/waivers.yaml",
        args=("--policy", "policies/examples", "--policy", "policies/default"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: 9 policies, 1 waiver(s)\n"


def test_hook_rejects_a_waiver_for_a_hard_mandatory_policy() -> None:
    result = run_hook("tests/ci/hard-waiver.yaml")
    assert result.returncode == 2
    assert result.stderr == (
        "tests/ci/hard-waiver.yaml:7: policy no-fatal-risks is hard-mandatory and cannot be "
        "waived\n"
    )


def test_hook_rejects_a_waiver_for_the_built_in_check() -> None:
    code, output = cli_run(["validate", "tests/ci/builtin-waiver.yaml"])
    assert code == 2
    assert "check-failed-without-risks is hard-mandatory and cannot be waived" in output


def test_hook_reports_file_line_path_message(tmp_path: Path) -> None:
    bad = tmp_path / "policies" / "bad.yaml"
    bad.parent.mkdir()
    text = (ROOT / "policies" / "default" / "no-fatal-risks.yaml").read_text()
    bad.write_text(text.replace("enforcement: hard-mandatory", "enforcement: mandatory"))
    result = run_hook(str(bad))
    assert result.returncode == 2
    assert re.fullmatch(rf"{re.escape(str(bad))}:\d+: spec\.enforcement: .+\n", result.stderr)


def test_validate_loads_each_file_once() -> None:
    code, output = cli_run(
        ["validate", "--policy", "policies/default", "policies/default/no-fatal-risks.yaml"]
    )
    assert code == 0, output
    assert output == "ok: 3 policies, 0 waiver(s)\n"


EXPIRED = """waivers:
  - policy: no-failed-warnings
    addon: coredns
    reason: an old exception nobody removed
    owner: platform-team
    expires: "2025-01-31"
"""


def test_the_lint_hook_refuses_an_expired_waiver_and_leaves_kyverno_alone(tmp_path: Path) -> None:
    """As pre-commit runs it: the hook's `files` pattern picks the files, then its entry runs."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "require-labels.yaml").write_text(KYVERNO)
    (tmp_path / "gate" / "policies").mkdir(parents=True)
    for name in ("no-failed-warnings.yaml", "addon-status-must-pass.yaml"):
        shutil.copy(ROOT / "policies" / "default" / name, tmp_path / "gate" / "policies")
    waivers = tmp_path / "gate" / "waivers.yaml"
    waivers.write_text(EXPIRED.replace("2025-01-31", "2025-12-31"))
    lint_hook = hook("gate-lint")
    pattern = re.compile(lint_hook["files"])

    def commit(*changed: str) -> subprocess.CompletedProcess[str]:
        files = [f for f in changed if pattern.search(f) and f.endswith((".yaml", ".yml"))]
        entry = lint_hook["entry"].split()
        return subprocess.run(
            [tool(entry[0]), *entry[1:], "--policy", "gate/policies/", *files],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "GATE_NOW": "2025-08-06T00:00:00Z"},
        )

    result = commit("policies/require-labels.yaml", "gate/waivers.yaml")
    assert result.returncode == 0, result.stdout
    assert result.stdout == "0 problems in 3 files (2 policies, 1 waiver)\n"
    waivers.write_text(EXPIRED)
    result = commit("policies/require-labels.yaml", "gate/waivers.yaml")
    assert result.returncode == 2
    assert result.stdout == (
        "gate/waivers.yaml:6:14: waiver for no-failed-warnings expired on 2025-01-31\n"
        "1 error, 0 warnings in 3 files (2 policies, 1 waiver)\n"
    )
