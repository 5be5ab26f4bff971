"""What gate itself gives a GitHub job: the Markdown job summary (goldens under tests/ci/,
``GATE_UPDATE_GOLDEN=1`` rewrites them), annotations and step outputs, within GitHub's limits."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from ci_support import (
    CI,
    GOLDEN,
    UPDATE,
    cli_run,
    make_finding,
    make_report,
)
from click.testing import CliRunner
from helpers import CLI_ENV, NOW, ROOT

from gate import run
from gate.cli import cli
from gate.report import (
    Enforcement,
    ErrorInfo,
    Outcome,
    PolicyInfo,
    Report,
    Verdict,
)
from gate.reporters import github, markdown


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


# --- GitHub annotations and outputs --------------------------------------------------------------


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
