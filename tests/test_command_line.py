"""A command line that could mean two things is refused, and leaves no old report behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import ROOT, invoke

EXAMPLE = ROOT / "examples" / "blocked-coredns.json"


@pytest.mark.parametrize(
    ("twice", "named"),
    [
        (["-i", "{other}"], "-i / --input given more than once"),
        (["--input={other}"], "-i / --input given more than once"),
        (["--reason", "a", "--reason", "b"], "--reason given more than once"),
        (["--now", "2025-08-06T00:00:00Z", "--now", "2030-01-01T00:00:00Z"], "--now"),
    ],
)
def test_a_value_flag_given_twice_is_a_usage_error(
    tmp_path: Path, twice: list[str], named: str
) -> None:
    other = tmp_path / "other.json"
    shutil.copy(EXAMPLE, other)
    report = tmp_path / "report.json"
    args = ["check", "-i", str(EXAMPLE), *[w.format(other=other) for w in twice]]
    code, _, stderr = invoke([*args, "--json", str(report)])
    assert code == 2
    assert named in stderr
    assert json.loads(report.read_text())["verdict"] == "config-error"


def test_a_report_flag_given_twice_replaces_both_old_reports(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for old in (first, second):
        old.write_text('{"verdict": "pass", "exit_code": 0}')
    code, _, stderr = invoke(
        ["check", "-i", str(EXAMPLE), "--json", str(first), f"--json={second}"]
    )
    assert code == 2
    assert "--json given more than once" in stderr
    for written in (first, second):
        assert json.loads(written.read_text())["exit_code"] == 2


def test_an_input_named_once_then_replaced_is_still_never_written(tmp_path: Path) -> None:
    response = tmp_path / "response.json"
    shutil.copy(EXAMPLE, response)
    # click would take --allow-empty as the second -i's value and judge a file of that name
    args = ["check", "-i", str(response), "--junit", str(response), "-i", "--allow-empty"]
    code, _, _ = invoke(args)
    assert code == 2
    assert response.read_bytes() == EXAMPLE.read_bytes()


def test_repeatable_and_flag_options_stay_repeatable(tmp_path: Path) -> None:
    code, stdout, _ = invoke(
        [
            "check",
            "-i",
            str(EXAMPLE),
            "--addon",
            "coredns",
            "--addon",
            "everest",
            "--all-tasks",
            "--all-tasks",
        ]
    )
    assert code == 1, stdout
