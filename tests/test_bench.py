"""The benchmark's pieces still run, and the minimal script and gate agree on what they judge."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import junitparser
from click.testing import CliRunner

from gate.cli import cli
from gate.reporters.junit import COMPLETENESS_SUITE

ROOT = Path(__file__).resolve().parent.parent


def test_generated_response_is_judged_alike_by_gate_and_the_minimal_script(tmp_path: Path) -> None:
    response = tmp_path / "tasks.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "300", str(response)], check=True
    )
    minimal_xml = tmp_path / "minimal.xml"
    minimal = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "minimal.py"), str(response), str(minimal_xml)],
        check=False,
    )
    gate_xml = tmp_path / "gate.xml"
    result = CliRunner().invoke(cli, ["check", "-i", str(response), "--junit", str(gate_xml)])
    assert result.exit_code == minimal.returncode == 1, result.stdout

    def outcomes(path: Path) -> dict[str, list[str]]:
        """Per suite, the outcome of each case in document order (the script's names repeat)."""
        return {
            suite.name: [type(case.result[0]).__name__ if case.result else "pass" for case in suite]
            for suite in junitparser.JUnitXml.fromfile(str(path))
        }

    ours, theirs = outcomes(gate_xml), outcomes(minimal_xml)
    # gate's own suite of whether each check finished: every generated check has
    assert ours.pop(COMPLETENESS_SUITE) == ["pass"] * 300
    assert set(ours) == set(theirs) and all(len(cases) == 300 for cases in ours.values())
    # the minimal script fails advisory findings too; gate shows them as skipped
    advisory = ["Skipped" if o == "Failure" else o for o in theirs["no-failed-warnings"]]
    assert ours == {**theirs, "no-failed-warnings": advisory}
