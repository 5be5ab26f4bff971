"""CI integrations: the GitHub Action, the GitLab component, the workflows and the CI reporters.

Every file is validated offline: ``check-jsonschema --builtin-schema`` (vendor.github-actions,
vendor.github-workflows, vendor.gitlab-ci ship inside check-jsonschema), ``zizmor --offline``, the
Code Quality schema and the JUnit XSD vendored under ``tests/schemas/``. The action's and the
component's scripts are executed with bash in a temporary workspace with the environment a runner
gives them. ``GATE_UPDATE_GOLDEN=1`` rewrites the golden Markdown summaries under ``tests/ci/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
import yaml
from click.testing import CliRunner
from helpers import CLI_ENV, NOW, ROOT

from gate import run
from gate.cli import cli
from gate.report import (
    Enforcement,
    ErrorInfo,
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
from gate.reporters import ci_integrations, codequality, github, markdown

CI = ROOT / "tests" / "ci"
SCHEMAS = ROOT / "tests" / "schemas"
BIN = Path(sys.executable).parent
UPDATE = os.environ.get("GATE_UPDATE_GOLDEN") == "1"
EXAMPLE = ROOT / "examples" / "blocked-coredns.json"
WORKFLOWS = [
    ROOT / ".github" / "workflows" / "ci.yml",
    ROOT / "examples" / "github" / "pre-upgrade.yml",
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


# --- offline validation of every file -----------------------------------------------------------


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return run_tool(tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files))


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
    assert result.outputs["junit-path"] == ""
    # outputs, summary and annotation give the same verdict, and name the usage error
    assert "## ❌ gate: CONFIG-ERROR (exit 2)" in result.summary
    assert "gate stopped before reaching a verdict: Error: Invalid value for '--fail-on'" in (
        result.summary
    )
    (annotation,) = result.annotations
    assert annotation.startswith(
        "::error title=gate%3A config-error (exit 2)::Error: Invalid value for '--fail-on'"
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


# --- Markdown summary ---------------------------------------------------------------------------


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


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_markdown_summary_golden(name: str, tmp_path: Path) -> None:
    out = tmp_path / "summary.md"
    code, output = cli_run([*GOLDEN[name], "--markdown", str(out)])
    assert code == {"blocked": 1, "waived": 0, "config-error": 2}[name], output
    golden = CI / f"summary-{name}.md"
    text = out.read_text(encoding="utf-8")
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_markdown_is_the_same_as_the_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    out = tmp_path / "summary.md"
    cli_run(
        [*GOLDEN["blocked"], "--markdown", str(out)],
        {"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert summary.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def big_response(path: Path, tasks: int) -> None:
    long = "a|b <i>x</i> *y* `z`\n" * 40
    items = [
        {
            "metadata": {
                "type": "addonUpgrade",
                "taskID": f"task-{i}",
                "addonTemplateName": f"addon-{i}",
                "addonInstanceName": f"instance-{i}",
                "addonInstanceID": f"id-{i}",
                "createTimeStamp": "2025-08-05T17:10:44.648388+08:00",
            },
            "spec": {"addonTargetVersion": f"1.0.{i}"},
            "status": {
                "status": "Failed",
                "message": "done",
                "riskList": [
                    {
                        "riskName": "AddonStatus",
                        "status": "Failed",
                        "level": "Warning",
                        "message": long,
                    },
                    {
                        "riskName": "AddonValidate",
                        "status": "Failed",
                        "level": "Fatal",
                        "message": long,
                    },
                    {"riskName": "Other", "status": "Failed", "level": "Warning", "message": long},
                ],
            },
        }
        for i in range(tasks)
    ]
    path.write_text(json.dumps({"kind": "AddonCheck", "apiVersion": "v3", "items": items}))


@pytest.fixture(scope="module")
def huge_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = tmp_path_factory.mktemp("big") / "response.json"
    big_response(path, 10_000)
    report = run.check(run.CheckOptions(input=str(path), now=NOW))
    assert report.verdict is Verdict.BLOCKED and len(report.findings) == 30_000
    return report


def test_markdown_summary_stays_small_for_10000_tasks(huge_report: Report) -> None:
    text = markdown.render(huge_report)
    assert len(text.encode("utf-8")) < 256 * 1024  # GitHub's limit is 1 MiB per step
    assert "_… and 9950 more add-on checks (9950 with findings): see the JUnit and JSON" in text
    assert "_… and 29950 more findings (19950 blocking, 10000 advisory)" in text
    rows = [line for line in text.splitlines() if line.startswith("| **BLOCKING** |")]
    assert len(rows) == markdown.FINDING_ROWS
    assert all("hard-mandatory" in row for row in rows[: markdown.FINDING_ROWS])


def test_annotations_stay_within_githubs_limits_for_10000_tasks(huge_report: Report) -> None:
    lines = github.annotation_lines(huge_report)
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 10 + ["::warning"] * 10 + [
        "::notice"
    ]
    assert lines[-1] == (
        "::notice title=gate::29980 more not annotated (19990 blocking, 9990 advisory): see the "
        "job summary and the JUnit and JSON reports."
    )
    assert all("(hard-mandatory)" in line for line in lines[:10])


def test_markdown_cells_cannot_break_the_table() -> None:
    finding = make_finding(message="a | b\n<script>x</script> *bold* [link](http://x) `c`")
    text = markdown.render(make_report((finding,)))
    (row,) = [line for line in text.splitlines() if line.startswith("| **BLOCKING**")]
    assert "a \\| b \\<script\\>x\\</script\\> \\*bold\\* \\[link\\](http://x) \\`c\\`" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # five cells


def test_markdown_code_spans_outgrow_backticks() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x") == "`` `x ``"
    assert markdown.code("a|b") == "`a\\|b`"


# --- GitHub annotations, outputs and ci_integrations --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("50% done", "50%25 done", "50%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_annotation_escaping(raw: str, data: str, prop: str) -> None:
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop


def test_annotation_command_escapes_properties_and_message() -> None:
    line = github.command(
        "error", "100% wrong\nsecond line", file="dir,x/p:1.yaml", line=7, title="a: b, c"
    )
    assert (
        line
        == "::error file=dir%2Cx/p%3A1.yaml,line=7,title=a%3A b%2C c::100%25 wrong%0Asecond line"
    )
    assert "\n" not in line
    assert github.command("notice", "plain") == "::notice::plain"


def test_annotations_most_severe_first_then_one_notice() -> None:
    findings = (
        *(
            make_finding(Outcome.ADVISORY, Enforcement.ADVISORY, policy=f"adv{i}")
            for i in range(12)
        ),
        *(make_finding(Outcome.BLOCKING, Enforcement.SOFT, policy=f"soft{i}") for i in range(8)),
        *(make_finding(Outcome.BLOCKING, Enforcement.HARD, policy=f"hard{i}") for i in range(5)),
        make_finding(Outcome.WAIVED, Enforcement.SOFT, policy="w"),
        make_finding(Outcome.OVERRIDDEN, Enforcement.SOFT, policy="o"),
    )
    lines = github.annotation_lines(make_report(findings))
    titles = [re.search(r"title=(\w+)", line).group(1) for line in lines[:-1]]  # type: ignore[union-attr]
    assert titles == [f"hard{i}" for i in range(5)] + [f"soft{i}" for i in range(5)] + [
        f"adv{i}" for i in range(10)
    ]
    assert lines[-1] == (
        "::notice title=gate::7 more not annotated (3 blocking, 2 advisory, 1 waived, "
        "1 overridden): see the job summary and the JUnit and JSON reports."
    )


def test_annotations_point_at_user_policy_files_only() -> None:
    user = PolicyInfo("mine", "t", "risk", Enforcement.SOFT, "x", "./policies/mine.yaml", 12)
    builtin = PolicyInfo(
        "theirs", "t", "risk", Enforcement.SOFT, "x", "(built-in) policies/default/t.yaml", 2
    )
    report = make_report(
        (make_finding(policy="mine"), make_finding(policy="theirs")), policies=(user, builtin)
    )
    first, second = github.annotation_lines(report)
    assert first.startswith("::error file=policies/mine.yaml,line=12,title=mine (soft-mandatory)")
    assert second.startswith("::error title=theirs (soft-mandatory)")


def test_error_report_is_one_annotation_at_the_file_it_names() -> None:
    report = Report(
        verdict=Verdict.CONFIG_ERROR,
        error=ErrorInfo(
            Verdict.CONFIG_ERROR, "waivers.yaml:3: policy p is hard-mandatory and cannot be waived"
        ),
    )
    assert github.annotation_lines(report) == [
        "::error file=waivers.yaml,line=3,title=gate%3A config-error (exit 2)::"
        "waivers.yaml:3: policy p is hard-mandatory and cannot be waived"
    ]


def test_a_yaml_error_is_annotated_at_its_file_line_and_column() -> None:
    report = Report(
        verdict=Verdict.CONFIG_ERROR,
        source="response.json",
        error=ErrorInfo(Verdict.CONFIG_ERROR, "gate/p.yaml:4:5: invalid YAML: did not find ','"),
    )
    (line,) = github.annotation_lines(report)
    assert line.startswith("::error file=gate/p.yaml,line=4,col=5,title=gate%3A config-error")
    live = Report(
        verdict=Verdict.API_ERROR,
        source="https://cce.example.com cluster c",
        error=ErrorInfo(Verdict.API_ERROR, "the API answered 401"),
    )
    assert github.annotation_lines(live)[0].startswith("::error title=gate%3A api-error (exit 4)::")


def test_ci_integrations_appends_summary_outputs_and_echoes(tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier, no newline", encoding="utf-8")
    outputs.write_text("other=1\n", encoding="utf-8")
    echoed: list[str] = []
    report = make_report((make_finding(),))
    code = ci_integrations(
        report,
        {
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_ACTIONS": "true",
        },
        echoed.append,
    )
    assert code is None
    assert summary.read_text(encoding="utf-8") == "earlier, no newline\n" + markdown.render(report)
    assert outputs.read_text() == (
        "other=1\nverdict=blocked\nexit-code=1\nblocking=1\nadvisory=0\nwaived=0\noverridden=0\n"
    )
    assert echoed == github.annotation_lines(report)


def test_ci_integrations_does_nothing_outside_github() -> None:
    echoed: list[str] = []
    assert ci_integrations(make_report((make_finding(),)), {"CI": "true"}, echoed.append) is None
    assert echoed == []


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [(Verdict.PASS, 2), (Verdict.BLOCKED, 2), (Verdict.INCOMPLETE, 2), (Verdict.INTERNAL_ERROR, 6)],
)
def test_ci_integrations_reports_a_failed_write(
    verdict: Verdict, expected: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = Report(verdict=verdict)
    missing = tmp_path / "no-such-dir" / "summary.md"
    code = ci_integrations(report, {"GITHUB_STEP_SUMMARY": str(missing)}, print)
    assert code == expected
    assert f"gate: cannot write the job summary to {missing}" in capsys.readouterr().err


def test_annotations_go_to_stderr_when_stdout_carries_json(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(
            cli, [*GOLDEN["blocked"], "--json", "-"], env={**CLI_ENV, "GITHUB_ACTIONS": "true"}
        )
    finally:
        os.chdir(cwd)
    assert json.loads(result.stdout)["verdict"] == "blocked"
    assert result.stderr.count("::error ") == 2


# --- GitLab Code Quality ------------------------------------------------------------------------

CODEQUALITY_SCHEMA = json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text())


def validate_codequality(path: Path) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(CODEQUALITY_SCHEMA).validate(issues)
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints), "GitLab would merge duplicates"
    return issues


CODEQUALITY_CASES = {
    "blocked": (GOLDEN["blocked"], 1),
    "waived": (GOLDEN["waived"], 0),
    "passing": (["check", "-i", "tests/ci/passing-response.json"], 0),
    "config-error": (GOLDEN["config-error"], 2),
    "examples": (
        [
            "check",
            "-i",
            "examples/blocked-coredns.json",
            "--policy",
            "policies/examples",
            "--param",
            "target_version=3.0.4",
        ],
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(CODEQUALITY_CASES))
def test_codequality_report_validates(name: str, tmp_path: Path) -> None:
    args, expected = CODEQUALITY_CASES[name]
    out = tmp_path / "cq.json"
    code, output = cli_run([*args, "--codequality", str(out)])
    assert code == expected, output
    issues = validate_codequality(out)
    if name == "passing":
        assert issues == []
    else:
        assert issues


def test_codequality_of_the_blocked_example() -> None:
    report = run.check(run.CheckOptions(input=str(EXAMPLE), now=NOW))
    issues = json.loads(codequality.render(report))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        (
            "no-fatal-risks",
            "blocker",
            {"path": "gate/policies/default/no-fatal-risks.yaml", "lines": {"begin": 2}},
        ),
        (
            "addon-status-must-pass",
            "critical",
            {"path": "gate/policies/default/addon-status-must-pass.yaml", "lines": {"begin": 2}},
        ),
    ]
    assert all(re.fullmatch("[0-9a-f]{64}", i["fingerprint"]) for i in issues)


def test_codequality_fingerprints_ignore_task_ids_times_and_messages(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    first = tmp_path / "first.json"
    first.write_text(json.dumps(data))
    item = data["items"][0]
    item["metadata"]["taskID"] = "another-task-id"
    item["metadata"]["createTimeStamp"] = "2025-08-06T09:00:00+08:00"
    for risk in item["status"]["riskList"]:
        risk["message"] = "a different message"
    second = tmp_path / "second.json"
    second.write_text(json.dumps(data))

    def fingerprints(path: Path) -> dict[str, str]:
        report = run.check(run.CheckOptions(input=str(path), now=NOW))
        return {i["check_name"]: i["fingerprint"] for i in codequality.as_data(report)}

    assert fingerprints(first) == fingerprints(second)
    item["metadata"]["addonInstanceName"] = "cceaddon-coredns-2"
    second.write_text(json.dumps(data))
    changed = fingerprints(second)
    assert all(changed[name] != value for name, value in fingerprints(first).items())

    def in_cluster(cluster: str) -> dict[str, str]:
        report = run.check(run.CheckOptions(input=str(first), now=NOW, cluster=cluster))
        return {i["check_name"]: i["fingerprint"] for i in codequality.as_data(report)}

    assert in_cluster("cluster-a") == in_cluster("cluster-a")
    assert all(in_cluster("cluster-b")[k] != v for k, v in in_cluster("cluster-a").items())


@pytest.mark.parametrize(
    ("outcome", "enforcement", "level", "severity"),
    [
        (Outcome.BLOCKING, Enforcement.HARD, "Fatal", "blocker"),
        (Outcome.BLOCKING, Enforcement.SOFT, "Warning", "critical"),
        (Outcome.BLOCKING, Enforcement.ADVISORY, "Warning", "critical"),
        (Outcome.ADVISORY, Enforcement.ADVISORY, "Warning", "minor"),
        (Outcome.ADVISORY, Enforcement.ADVISORY, "Fatal", "major"),
        (Outcome.WAIVED, Enforcement.SOFT, "Fatal", "info"),
        (Outcome.OVERRIDDEN, Enforcement.SOFT, "Warning", "info"),
    ],
)
def test_codequality_severity(
    outcome: Outcome, enforcement: Enforcement, level: str, severity: str
) -> None:
    assert codequality.severity(make_finding(outcome, enforcement, level=level)) == severity


def test_codequality_keeps_findings_with_the_same_identity_apart() -> None:
    twice = (make_finding(risk=False), make_finding(risk=False))
    issues = codequality.as_data(make_report(twice))
    assert len({i["fingerprint"] for i in issues}) == 2


def test_codequality_of_an_incomplete_result_is_not_empty() -> None:
    report = Report(
        verdict=Verdict.INCOMPLETE, pending=(Pending("coredns: still Running", "items[0]"),)
    )
    (issue,) = codequality.as_data(report)
    assert issue["check_name"] == "gate/incomplete"
    assert issue["severity"] == "critical"


# --- the vendored JUnit XSD ---------------------------------------------------------------------

JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


@pytest.mark.parametrize("name", ["blocked", "waived", "config-error"])
def test_gate_junit_validates_against_junit_10_xsd(name: str, tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    cli_run([*GOLDEN[name], "--junit", str(out)])
    JUNIT_XSD.validate(str(out))


def test_junit_10_xsd_rejects_junit_xml_raw_output() -> None:
    """The traps CI-CONVENTIONS.md records: `disabled` on suites and float sums as times."""
    raw = (
        '<testsuites disabled="0" tests="2" time="0.015"><testsuite disabled="0" name="s" '
        'tests="2" time="0.015000000000000003"><testcase name="a" time="0.005000"/>'
        "</testsuite></testsuites>"
    )
    errors = list(JUNIT_XSD.iter_errors(raw))
    reasons = " ".join(str(e.reason) for e in errors)
    assert "disabled" in reasons
    assert any("0.015000000000000003" in str(e) for e in errors)


# --- gate validate and the pre-commit hook ------------------------------------------------------


def hook() -> dict[str, Any]:
    (only,) = load_yaml(ROOT / ".pre-commit-hooks.yaml")
    assert isinstance(only, dict)
    return only


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


# --- docs ---------------------------------------------------------------------------------------


def test_docs_cover_every_exit_code_and_both_ci_systems() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for code in range(7):
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE), code
    for needle in ("uses: cce-addon-gate/gate@", "component: $CI_SERVER_FQDN/", "exit_codes"):
        assert needle in text, needle


# --- helpers ------------------------------------------------------------------------------------

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
