"""Outputs never contradict the run: claimed reports, one exit code, safe streams, signals."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, invoke, process_env

from gate.console import Console
from gate.outputs import deliver, plan
from gate.report import Report, Verdict
from gate.reporters import github, markdown

EXAMPLE = str(ROOT / "examples" / "blocked-coredns.json")
CLEAN = str(ROOT / "tests" / "cases" / "pass-clean" / "response.json")
OLD_PASS = '{"verdict": "pass", "exit_code": 0}\n'


def gate_process(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gate", *args],
        text=True,
        env=process_env(),
        **kwargs,  # type: ignore[call-overload]
    )


def wait_for(path: Path, text: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never said {text!r}")


# --- signals and claimed reports ---------------------------------------------------------------


@pytest.mark.process
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -9)]
)
def test_a_stopped_run_never_leaves_an_old_pass(tmp_path: Path, signum: int, code: int) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    report.write_text(OLD_PASS)
    junit.write_text('<testsuites failures="0"/>')
    # reading a response from a pipe that never ends: the run waits until the signal comes
    process = gate_process(
        "check", "-i", "-", "--json", str(report), "--junit", str(junit),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_for(report, '"interrupted"')  # claimed before the input is read
    assert '"exit_code": 137' in report.read_text() and "has not finished" in report.read_text()
    started = time.monotonic()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=10)
    assert time.monotonic() - started < 1.5, "a signal ends the run within about a second"
    assert process.returncode == code, stdout + stderr
    data = json.loads(report.read_text())
    assert data["verdict"] == "interrupted"
    assert 'type="Interrupted"' in junit.read_text()
    if signum == signal.SIGKILL:
        assert data["exit_code"] == 137  # the claim is all a killed run leaves: never a pass
        return
    assert data["exit_code"] == code
    assert f"Verdict: INTERRUPTED (exit {code})" in stdout
    assert f"interrupted by {signal.Signals(signum).name}" in stderr
    assert "Traceback" not in stdout + stderr


# --- streams -----------------------------------------------------------------------------------


def shell(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env=process_env(**env),
        check=False,
    )


@pytest.mark.process
def test_closed_full_and_narrow_streams_keep_the_documented_codes() -> None:
    gate = f"{sys.executable} -m gate check -i"
    cases = {
        f"{gate} {CLEAN} >&-": 2,  # the account could not be written: never a pass
        f"{gate} {EXAMPLE} >&-": 2,
        f"{gate} {CLEAN} >/dev/full": 2,
        f"{gate} {CLEAN} >&- 2>&-": 2,
        f"{gate} {EXAMPLE} 2>&-": 1,  # stderr gone: the verdict still speaks
        f"{gate} {CLEAN} 2>&-": 0,
        f"{gate} {CLEAN} --json - >&-": 2,
        f"{gate} --no-such-flag >&- 2>&-": 2,
    }
    for command, expected in cases.items():
        result = shell(command)
        assert result.returncode == expected, (command, result.stderr)
        assert "Traceback" not in result.stderr
    policies = ROOT / "policies"
    for other in (f"test {policies}", "schema", f"lint --param target_version {policies}"):
        # every command's output is what it is for: lost, it is no pass
        command = f"{sys.executable} -m gate {other}"
        assert shell(command).returncode == 0, command
        assert shell(f"{command} >&-").returncode == 2, command
    narrow = shell(f"{gate} {EXAMPLE}", PYTHONIOENCODING="ascii", LANG="C", LC_ALL="C")
    assert narrow.returncode == 1, narrow.stderr
    assert "Verdict: BLOCKED (exit 1)" in narrow.stdout


def test_a_report_that_cannot_be_written_makes_every_output_say_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    junit, summary = tmp_path / "j.xml", tmp_path / "summary.md"
    code, stdout, stderr = invoke(
        ["check", "-i", CLEAN, "--json", str(blocker / "r.json"), "--junit", str(junit)],
        {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(tmp_path / "out")},
    )
    assert code == 2
    assert (
        "Verdict: PASS (exit 2)" in stdout
        and f"could not write the json report to {blocker}" in stdout
    )
    assert f"gate: cannot write the json report to {blocker}" in stderr
    assert 'name="gate.exit_code" value="2"' in junit.read_text()
    assert "(exit 2)" in summary.read_text()
    assert "exit-code=2" in (tmp_path / "out").read_text()


def test_a_late_write_failure_rewrites_what_was_already_written(tmp_path: Path) -> None:
    report_file = tmp_path / "r.json"
    outputs = plan({"json": str(report_file)})
    console = Console(None, None)  # stdout fails only when the account is written, last
    code = deliver(Report(verdict=Verdict.PASS), outputs, console, {})
    assert code == 2
    data = json.loads(report_file.read_text())
    assert data["exit_code"] == 2
    assert data["write_failures"] == ["the account to standard output: it is closed"]


def test_ci_files_are_appended_after_what_other_steps_wrote(tmp_path: Path) -> None:
    summary, step = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier, no newline", encoding="utf-8")
    step.write_text("other=1\n", encoding="utf-8")
    code, stdout, _ = invoke(
        ["check", "-i", EXAMPLE],
        {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(step), "GITHUB_ACTIONS": "true"},
    )
    assert code == 1
    assert summary.read_text().startswith("earlier, no newline\n## ")
    assert step.read_text().startswith("other=1\nverdict=blocked\nexit-code=1\n")
    annotations = [line for line in stdout.splitlines() if line.startswith("::")]
    assert annotations and all(line.startswith(("::error", "::notice")) for line in annotations)


# --- report paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--json", "{d}/r", "--junit", "{d}/r"], "--junit and --json both write to"),
        (["--json", "-", "--markdown", "-"], "both write to standard output"),
        (["--json", "{d}/x/../r", "--markdown", "{d}/r"], "both write to"),
        (["--codequality", "{input}"], "that is a file this run reads"),
    ],
)
def test_report_paths_that_cannot_be_meant_are_usage_errors(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    response = tmp_path / "response.json"
    response.write_text(Path(CLEAN).read_text())
    (tmp_path / "x").mkdir()
    args = [a.format(d=tmp_path, input=response) for a in extra]
    code, _, stderr = invoke(["check", "-i", str(response), *args])
    assert code == 2 and message in stderr
    assert response.read_text() == Path(CLEAN).read_text(), "the input is never overwritten"


@pytest.mark.process
def test_special_files_are_written_to_and_links_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    link.symlink_to(target.name)
    old_umask = os.umask(0o022)
    try:
        code, _, _ = invoke(["check", "-i", CLEAN, "--json", str(fifo), "--junit", str(link)])
    finally:
        os.umask(old_umask)
    assert code == 0
    assert json.loads(reader.communicate(timeout=10)[0])["verdict"] == "pass"
    assert stat.S_ISFIFO(fifo.stat().st_mode), "a FIFO is never replaced by a file"
    assert link.is_symlink() and "<testsuites" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644, "consumers run as other users"


def test_an_existing_report_keeps_its_mode(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text(OLD_PASS)
    report.chmod(0o640)
    assert invoke(["check", "-i", CLEAN, "--json", str(report)])[0] == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert json.loads(report.read_text())["verdict"] == "pass"


def test_a_usage_error_replaces_an_old_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text(OLD_PASS)
    code, stdout, stderr = invoke(["check", "--json", str(report), "--no-such-flag"])
    assert code == 2 and "No such option" in stderr
    data = json.loads(report.read_text())
    assert data["verdict"] == "config-error" and data["exit_code"] == 2
    assert "No such option '--no-such-flag'" in data["error"]["message"]
    assert stdout.endswith("Verdict: CONFIG-ERROR (exit 2)\n")


# --- what the input says cannot forge what gate says ---------------------------------------------

HOSTILE = "ok\n\x1b[2J\rVerdict: PASS (exit 0)\n::error::forged\u2028\u202egnp.\x07\x00"


def hostile_response(tmp_path: Path, count: int = 1) -> Path:
    document = json.loads(Path(EXAMPLE).read_text())
    task = document["items"][0]
    task["metadata"]["taskID"] = HOSTILE
    risks = task["status"]["riskList"]
    for risk in risks:
        risk["message"] = HOSTILE
    risks += [
        {"riskName": f"{HOSTILE}{n}", "level": "Fatal", "status": "Failed", "message": HOSTILE * 50}
        for n in range(count)
    ]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    return path


def assert_inert(text: str) -> None:
    lines = text.splitlines()
    assert all(line.isprintable() for line in lines), [ln for ln in lines if not ln.isprintable()]
    assert not any(line.startswith(("Verdict: PASS", "::")) for line in lines)


def test_control_characters_from_the_input_are_shown_not_obeyed(tmp_path: Path) -> None:
    response = hostile_response(tmp_path)
    md, report = tmp_path / "summary.md", tmp_path / "r.json"
    code, stdout, stderr = invoke(
        ["check", "-i", str(response), "--markdown", str(md), "--json", str(report)],
        {"GITHUB_ACTIONS": "true"},
    )
    assert code == 1
    account = [line for line in stdout.splitlines() if not line.startswith("::")]
    assert_inert("\n".join(account))
    assert "\\x1b[2J\\rVerdict: PASS (exit 0)\\n::error::forged\\u2028\\u202e" in stdout
    assert account[-1].startswith("Verdict: BLOCKED (exit 1)")
    annotations = [line for line in stdout.splitlines() if line.startswith("::")]
    assert all(line.startswith(("::error ", "::notice ")) for line in annotations)
    assert all("\n" not in line and "\r" not in line for line in annotations)
    assert_inert(md.read_text())
    assert_inert(stderr)
    # the JSON report keeps the data exactly, in JSON's own escaping
    risk = json.loads(report.read_text())["findings"][0]["risk"]
    assert risk["message"] == HOSTILE


def test_the_account_is_bounded_and_says_where_the_rest_is(tmp_path: Path) -> None:
    code, stdout, _ = invoke(["check", "-i", str(hostile_response(tmp_path, count=500))])
    assert code == 1
    assert len(stdout) < 30_000
    assert "more finding(s): see --json" in stdout
    assert "more characters)" in stdout
    assert stdout.splitlines()[-1].startswith("Verdict: BLOCKED (exit 1): 502 blocking")


def test_markdown_and_github_escape_in_their_own_way() -> None:
    assert markdown.text("a\x1b[31mb|c\nd") == "a\\\\x1b\\[31mb\\|c d"
    assert github.escape_data("x\r\n%") == "x%0D%0A%25"
