"""The GitHub Action (action.yml) and the workflows: validated offline (``check-jsonschema
--builtin-schema`` vendor.github-actions and vendor.github-workflows, ``zizmor --offline``), and
the action's gate step run with bash in a temporary workspace with the environment a runner gives
it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ci_support import (
    BIN,
    CI,
    EXAMPLE,
    WORKFLOWS,
    check_jsonschema,
    load_yaml,
    run_tool,
    tool,
    validate_codequality,
)
from helpers import NOW, ROOT

pytestmark = pytest.mark.process


def test_action_validates_against_the_github_actions_schema() -> None:
    result = check_jsonschema("vendor.github-actions", ROOT / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_workflow_validates_against_the_github_workflows_schema(path: Path) -> None:
    result = check_jsonschema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


ZIZMOR_TARGETS = [ROOT / "action.yml", *WORKFLOWS, ROOT / ".pre-commit-hooks.yaml"]


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    result = run_tool(
        tool("zizmor"),
        "--offline",
        "--no-ignores",
        "--min-severity",
        "medium",
        "--format",
        "json",
        *map(str, paths),
    )
    # zizmor exits non-zero when it finds something; the JSON list is the verdict either way
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_zizmor_finds_nothing_of_medium_severity_or_worse() -> None:
    findings = zizmor(*ZIZMOR_TARGETS)
    assert findings == [], [(f["ident"], f["desc"]) for f in findings]


def test_zizmor_offline_does_find_a_template_injection(tmp_path: Path) -> None:
    """A control: the audit above runs offline and would have caught what it must catch."""
    workflow = tmp_path / "bad.yml"
    workflow.write_text(
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.issue.title }}"\n',
        encoding="utf-8",
    )
    assert "template-injection" in {f["ident"] for f in zizmor(workflow)}


def action() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(ROOT / "action.yml")
    return data


def test_action_inputs_reach_scripts_only_through_env() -> None:
    spec = action()
    for step in spec["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")
    gate_step = next(s for s in spec["runs"]["steps"] if s.get("id") == "gate")
    through_env = {
        m.group(1)
        for value in gate_step["env"].values()
        if (m := re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value))
    }
    assert through_env == set(spec["inputs"]) - {"python-version"}
    for name in gate_step["env"]:
        assert f"${{{name}" in gate_step["run"] or f"${name}" in gate_step["run"], name


def test_credentials_are_never_inputs() -> None:
    inputs = action()["inputs"]
    # token-env names a variable; the token itself stays in the environment
    assert "A name, never the token itself." in inputs["token-env"]["description"]
    names = " ".join(set(inputs) - {"token-env"}).lower()
    for word in ("secret", "password", "sk", "ak", "token", "key"):
        assert not re.search(rf"(^|[ -]){word}($|[ -])", names), word


def uses_of(document: Any) -> list[str]:
    found = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [v for k, v in node.items() if k == "uses" and isinstance(v, str)]
            stack += list(node.values())
        elif isinstance(node, list):
            stack += node
    return found


@pytest.mark.parametrize(
    "path", [ROOT / "action.yml", *WORKFLOWS], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_actions_are_pinned_by_commit(path: Path) -> None:
    uses = uses_of(load_yaml(path))
    assert uses
    for ref in uses:
        assert ref == "./" or re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref


def test_workflows_have_least_privilege() -> None:
    for path in WORKFLOWS:
        assert load_yaml(path)["permissions"] == {"contents": "read"}, path


def test_ci_workflow_runs_the_checks_the_wheel_and_the_action() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    for expected in (
        "bash .ci/run",
        "pip wheel",
        "examples/blocked-coredns.json",
        "uses: ./",
        "continue-on-error: true",
        "actions/upload-artifact@",
    ):
        assert expected in text, expected


# --- the action's gate step, run as a runner would run it ---------------------------------------


def step_env(
    step: dict[str, Any], inputs: dict[str, str], outputs: dict[str, str]
) -> dict[str, str]:
    """The step's `env:` with the `${{ }}` expressions the action uses evaluated."""
    env = {}
    for name, value in step.get("env", {}).items():
        expression = re.fullmatch(r"\$\{\{ (inputs|steps\.install\.outputs)\.([\w-]+) \}\}", value)
        assert expression, f"{name}: an expression this test cannot evaluate: {value}"
        source = inputs if expression.group(1) == "inputs" else outputs
        env[name] = source[expression.group(2)]
    return env


class ActionRun:
    def __init__(self, code: int, stdout: str, stderr: str, workspace: Path, outputs: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.workspace = workspace
        self.outputs_text = outputs

    @property
    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.outputs_text.splitlines())

    @property
    def annotations(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::")]

    @property
    def summary(self) -> str:
        return (self.workspace / "runner" / "summary.md").read_text(encoding="utf-8")


def run_action(
    tmp_path: Path, files: dict[str, Path], bin_dir: Path = BIN, **given: str
) -> ActionRun:
    """Run the action's gate step with bash; the install step is replaced by this test's venv."""
    spec = action()
    inputs = {name: str(item.get("default", "")) for name, item in spec["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    workspace = tmp_path / "workspace"
    runner = workspace / "runner"
    runner.mkdir(parents=True)
    for name, source in files.items():
        target = workspace / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    (runner / "summary.md").write_text("Output of an earlier step\n", encoding="utf-8")
    (runner / "output").write_text("", encoding="utf-8")
    step = next(s for s in spec["runs"]["steps"] if s.get("id") == "gate")
    assert step["shell"] == "bash"
    script = runner / "gate-step.sh"
    script.write_text(step["run"], encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTOR": "ci-bot",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "RUNNER_TEMP": str(runner),
        "GATE_NOW": NOW,
        **step_env(step, inputs, {"bin": str(bin_dir)}),
    }
    # GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = (runner / "output").read_text(encoding="utf-8")
    return ActionRun(result.returncode, result.stdout, result.stderr, workspace, outputs)


def test_action_on_the_blocked_example(tmp_path: Path) -> None:
    result = run_action(
        tmp_path,
        {"response.json": EXAMPLE, "policies": ROOT / "policies" / "default"},
        response="response.json",
        policies="policies",
        markdown="gate-report/summary.md",
        codequality="gate-report/codequality.json",
        sarif="gate-report/report.sarif",
    )
    assert result.code == 1, result.stderr
    assert result.outputs_text == (
        "verdict=blocked\nexit-code=1\nblocking=2\nadvisory=0\nwaived=0\noverridden=0\n"
        "junit-path=gate-report/junit.xml\njson-path=gate-report/report.json\n"
        "sarif-path=gate-report/report.sarif\n"
    )
    assert result.summary.startswith("Output of an earlier step\n## ⛔ gate: BLOCKED (exit 1)\n")
    written = (result.workspace / "gate-report" / "summary.md").read_text(encoding="utf-8")
    assert result.summary == "Output of an earlier step\n" + written
    fatal, status = result.annotations
    assert fatal.startswith(
        "::error file=policies/no-fatal-risks.yaml,line=2,"
        "title=no-fatal-risks (hard-mandatory) coredns (addonUpgrade)::"
        "coredns: Fatal risk AddonValidate failed: configmap coredns had been modified, "
    )
    assert "%0Aevidence: items[0].status.riskList[1]%0Aremediation: Fix the cause" in fatal
    assert status == (
        "::error file=policies/addon-status-must-pass.yaml,line=2,"
        "title=addon-status-must-pass (soft-mandatory) coredns (addonUpgrade)::"
        "coredns: AddonStatus failed (Warning): addon status(abnormal) is not running"
        "%0Aevidence: items[0].status.riskList[0]"
        "%0Aremediation: Check the add-on's Pods and Services (kubectl -n kube-system get pods), "
        "bring them to Running, then run the add-on checks again."
    )
    report = json.loads((result.workspace / "gate-report" / "report.json").read_text())
    assert report["verdict"] == "blocked"
    validate_codequality(result.workspace / "gate-report" / "codequality.json")


def test_action_on_a_waived_case(tmp_path: Path) -> None:
    result = run_action(
        tmp_path,
        {"checks/response.json": CI / "waived-response.json", "waivers.yaml": CI / "waivers.yaml"},
        response="checks/response.json",
        waivers="waivers.yaml",
    )
    assert result.code == 0, result.stderr
    assert result.outputs == {
        "verdict": "pass",
        "exit-code": "0",
        "blocking": "0",
        "advisory": "0",
        "waived": "1",
        "overridden": "0",
        "junit-path": "gate-report/junit.xml",
        "json-path": "gate-report/report.json",
        "sarif-path": "",
    }
    # A waived finding is no annotation of its own: one notice counts it.
    assert result.annotations == [
        "::notice title=gate::1 more not annotated (1 waived): see the job summary and the JUnit "
        "and JSON reports."
    ]
    assert "## ✅ gate: PASS (exit 0)" in result.summary
    assert "| applied | `addon-status-must-pass` | coredns, AddonStatus | platform-team |" in (
        result.summary
    )


def test_action_on_a_passing_case(tmp_path: Path) -> None:
    result = run_action(
        tmp_path,
        {"response.json": CI / "passing-response.json"},
        response="response.json",
        json="",
    )
    assert result.code == 0, result.stderr
    assert result.outputs == {
        "verdict": "pass",
        "exit-code": "0",
        "blocking": "0",
        "advisory": "0",
        "waived": "0",
        "overridden": "0",
        "junit-path": "gate-report/junit.xml",
        "json-path": "",
        "sarif-path": "",
    }
    assert result.annotations == []
    assert "| everest (addonUpgrade) | 2.4.50 | Success | 0 | 0 | 0 | 0 |" in result.summary
    assert "- Go ahead with the upgrade." in result.summary


def test_action_with_an_override_records_the_actor(tmp_path: Path) -> None:
    result = run_action(
        tmp_path,
        {"response.json": CI / "waived-response.json"},
        response="response.json",
        overrides="addon-status-must-pass",
        **{"override-reason": "drain in progress, OPS-1, approved by on-call"},
    )
    assert result.code == 0, result.stderr
    assert result.outputs["overridden"] == "1"
    assert "| `addon-status-must-pass` | ci-bot (GITHUB\\_ACTOR) | drain in progress" in (
        result.summary
    )


def test_action_lets_an_incomplete_result_pass_only_when_asked(tmp_path: Path) -> None:
    response = tmp_path / "running.json"
    data = json.loads((CI / "passing-response.json").read_text())
    data["items"][0]["status"]["status"] = "Running"
    response.write_text(json.dumps(data))
    failing = run_action(tmp_path / "a", {"r.json": response}, response="r.json")
    assert failing.code == 5
    assert failing.outputs["verdict"] == "incomplete"
    assert failing.annotations[0].startswith("::error title=gate%3A 1 check(s) not finished::")
    passing = run_action(
        tmp_path / "b", {"r.json": response}, response="r.json", **{"fail-on-incomplete": "false"}
    )
    assert passing.code == 0
    assert passing.outputs["verdict"] == "incomplete"
    assert passing.outputs["exit-code"] == "5"
    # the step passes, so nothing in it is an error: the same annotations, as warnings
    assert passing.annotations[0].startswith("::warning title=gate%3A 1 check(s) not finished::")
    assert [a.split("::")[2] for a in passing.annotations[:-1]] == [
        a.split("::")[2] for a in failing.annotations
    ]
    assert not [a for a in passing.annotations if a.startswith("::error")]
    assert passing.annotations[-1].startswith("::warning title=gate::The check results are")
    assert "## ⏳ gate: INCOMPLETE (exit 5)" in passing.summary


def test_action_writes_outputs_when_gate_stops_before_a_verdict(tmp_path: Path) -> None:
    result = run_action(
        tmp_path, {"response.json": EXAMPLE}, response="response.json", **{"fail-on": "never"}
    )
    assert result.code == 2
    assert result.outputs["verdict"] == "config-error"
    assert result.outputs["exit-code"] == "2"
    # a usage error writes its reports too: no earlier run's report can stand in for this one
    junit = (result.workspace / result.outputs["junit-path"]).read_text()
    assert 'type="ConfigError"' in junit
    # outputs, summary and annotation give the same verdict, and name the usage error
    assert "## ❌ gate: CONFIG-ERROR (exit 2)" in result.summary
    # gate itself writes them for a command line it refused; the action adds nothing
    assert "**Error:** Invalid value for '--fail-on'" in result.summary
    (annotation,) = result.annotations
    assert annotation.startswith(
        "::error title=gate%3A config-error (exit 2)::Invalid value for '--fail-on'"
    )
    assert "Error: Invalid value for '--fail-on'" in result.stderr  # still in the log, as it came


def test_action_reports_a_failed_install_as_what_it_is(tmp_path: Path) -> None:
    result = run_action(
        tmp_path, {"response.json": EXAMPLE}, bin_dir=tmp_path / "no-venv", response="response.json"
    )
    assert result.code == 7
    assert result.outputs["verdict"] == "install-error"
    assert result.outputs["exit-code"] == "7"
    assert "## ❌ gate: INSTALL-ERROR (exit 7)" in result.summary
    (annotation,) = result.annotations
    assert annotation == (
        "::error title=gate%3A install-error (exit 7)::gate could not be installed (see the "
        "install step)"
    )


def test_action_passes_list_inputs_as_separate_arguments(tmp_path: Path) -> None:
    """Blanks, commas and lines separate names; a value with spaces and shell syntax stays one
    argument and is never run."""
    marker = tmp_path / "pwned"
    result = run_action(
        tmp_path,
        {"response.json": EXAMPLE},
        response="response.json",
        addons="coredns, everest\n  kube-proxy",
        params=f"note=a b $(touch {marker}) `touch {marker}`\n\n",
    )
    assert result.code == 1, result.stderr
    assert not marker.exists()
    assert "--addon coredns --addon everest --addon kube-proxy" in result.stdout
    report = json.loads((result.workspace / "gate-report" / "report.json").read_text())
    assert report["params"] == {"note": f"a b $(touch {marker}) `touch {marker}`"}
