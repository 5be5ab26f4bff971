"""Golden cases: each folder under tests/cases/ is one run of the real CLI.

A case folder holds ``args`` (one argument per line; ``{case}`` is the case folder, paths are
relative to the repository root), optional ``env`` (KEY=VALUE lines), ``exit`` (the exit code the
issue's rules call for, written by hand) and the golden outputs ``stdout.txt``, ``stderr.txt`` and
``report.json``.
``GATE_UPDATE_GOLDEN=1 pytest tests/test_cases.py`` rewrites the golden outputs after an intended
change; the exit code is never rewritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from helpers import CLI_ENV, ROOT, invoke

REPORT_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "schemas" / "report.schema.json").read_text())
)
CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir() if p.is_dir())
UPDATE = os.environ.get("GATE_UPDATE_GOLDEN") == "1"


def run_case(case: Path, tmp_path: Path) -> tuple[int, str, str, dict[str, object]]:
    relative = case.relative_to(ROOT).as_posix()
    args = [
        line.replace("{case}", relative)
        for line in (case / "args").read_text().splitlines()
        if line.strip()
    ]
    report = tmp_path / "report.json"
    env = dict(CLI_ENV)
    if (case / "env").exists():
        for line in (case / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code, stdout, stderr = invoke([*args, "--json", str(report)], env)
    finally:
        os.chdir(cwd)
    data = json.loads(report.read_text())
    return code, stdout, stderr, data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path) -> None:
    code, stdout, stderr, data = run_case(case, tmp_path)
    expected_exit = int((case / "exit").read_text())
    assert code == expected_exit, stdout + stderr
    # every run writes its report, a command line that click refused included
    assert data["exit_code"] == expected_exit
    REPORT_SCHEMA.validate(data)
    data.pop("gate_version", None)
    if UPDATE:
        (case / "stdout.txt").write_text(stdout)
        (case / "stderr.txt").write_text(stderr)
        (case / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    assert stdout == (case / "stdout.txt").read_text()
    assert stderr == (case / "stderr.txt").read_text()
    assert data == json.loads((case / "report.json").read_text())
    assert "Traceback" not in stdout + stderr
