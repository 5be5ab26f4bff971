"""The command line as a pipeline meets it: processes, exit codes, streams, files."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT, process_env

from gate.cli import cli

EXAMPLE = str(ROOT / "examples" / "blocked-coredns.json")
CLEAN = str(ROOT / "tests" / "cases" / "pass-clean" / "response.json")


def run(*args: str, **env: str | None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={**CLI_ENV, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.process
def test_real_process_exit_codes_and_no_http_stack_offline(tmp_path: Path) -> None:
    env = process_env()
    blocked = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "gate",
            "check",
            "-i",
            EXAMPLE,
            "--junit",
            str(tmp_path / "j.xml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert blocked.returncode == 1
    assert "no-fatal-risks" in blocked.stdout
    imported = {line.split("|")[-1].strip() for line in blocked.stderr.splitlines() if "|" in line}
    assert "gate.engine" in imported and not {"httpx", "gate.api.client"} & imported
    clean = subprocess.run(
        [sys.executable, "-m", "gate", "check", "-i", CLEAN],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad_flag = subprocess.run(
        [sys.executable, "-m", "gate", "check", "--no-such-flag"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad_flag.returncode == 2 and "No such option" in bad_flag.stderr


def test_a_bug_is_exit_6_with_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("gate.run.evaluate", broken)
    out = tmp_path / "r.json"
    code, stdout, stderr = run(
        "check", "-i", EXAMPLE, "--json", str(out), "--junit", str(tmp_path / "j.xml")
    )
    assert code == 6
    assert "internal error: RuntimeError: boom" in stderr and "please report it" in stderr
    assert "Verdict: INTERNAL-ERROR (exit 6)" in stdout
    assert "Traceback" not in stdout + stderr
    assert json.loads(out.read_text())["verdict"] == "internal-error"
    with_debug = run("check", "-i", EXAMPLE, GATE_DEBUG="1")[2]
    assert "Traceback" in with_debug and 'raise RuntimeError("boom")' in with_debug
    assert 'type="InternalError"' in (tmp_path / "j.xml").read_text()


def test_json_to_stdout_moves_the_account_to_stderr() -> None:
    code, stdout, stderr = run("check", "-i", EXAMPLE, "--json", "-")
    assert code == 1
    assert json.loads(stdout)["verdict"] == "blocked"
    assert "Verdict: BLOCKED" in stderr


def test_input_from_stdin() -> None:
    result = CliRunner().invoke(
        cli, ["check", "-i", "-"], input=Path(CLEAN).read_text(), env=CLI_ENV
    )
    assert result.exit_code == 0 and "<stdin>" in result.stdout, result.stdout


def test_reports_are_replaced_whole_and_unwritable_paths_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "report.json"
    assert run("check", "-i", CLEAN, "--json", str(target))[0] == 0
    assert json.loads(target.read_text())["verdict"] == "pass"
    assert run("check", "-i", EXAMPLE, "--json", str(target))[0] == 1
    assert json.loads(target.read_text())["verdict"] == "blocked"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temporary left over
    code, _, stderr = run("check", "-i", EXAMPLE, "--junit", str(tmp_path))
    assert code == 2 and "cannot write the junit report" in stderr


@pytest.mark.parametrize(
    ("flags", "env", "coloured"),
    [
        ((), {}, False),
        (("--color",), {"NO_COLOR": "1"}, True),
        ((), {"NO_COLOR": "", "FORCE_COLOR": "1"}, True),
        ((), {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        (("--no-color",), {"NO_COLOR": "", "FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_precedence(flags: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    _, stdout, _ = run("check", "-i", EXAMPLE, *flags, **env)
    assert ("\x1b[" in stdout) is coloured


def test_help_documents_every_exit_code() -> None:
    _, stdout, _ = run("check", "--help")
    for code in range(7):
        assert f"\n    {code}  " in stdout


@pytest.mark.process
def test_wheel_ships_schemas_and_default_policies(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in (
        "gate/_data/schemas/list-addon-precheck-tasks.schema.json",
        "gate/_data/schemas/policy.schema.json",
        "gate/_data/policies/default/no-fatal-risks.yaml",
        "gate/_data/policies/examples/max-warnings.yaml",
    ):
        assert name in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = process_env(PYTHONPATH=str(unpacked))
    result = subprocess.run(
        [sys.executable, "-m", "gate", "check", "-i", EXAMPLE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "(built-in) policies/default/no-fatal-risks.yaml"
        in run("check", "-i", EXAMPLE, "--json", "-")[1]
    )
