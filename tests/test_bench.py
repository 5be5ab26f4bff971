"""The benchmark's pieces still run, and the minimal script and gate agree on what they judge."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import junitparser
import pytest
from click.testing import CliRunner

from gate.cli import cli
from gate.reporters.junit import COMPLETENESS_SUITE

pytestmark = pytest.mark.process

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


def test_the_refused_documents_the_bench_measures_are_refused_for_their_reason(
    tmp_path: Path,
) -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    VARIANTS, broken = bench.VARIANTS, bench.broken
    valid = tmp_path / "tasks.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "20", str(valid)], check=True
    )
    reasons = {
        "errors": "... and more (only the first 50 are listed)",
        "duplicate-last": "items[19].status.riskList[5]: the key 'level' appears twice",
        "deep": "nested more than 100 levels deep",
    }
    assert set(VARIANTS) == set(reasons)
    for name in VARIANTS:
        path = tmp_path / f"{name}.json"
        path.write_text(broken(valid.read_text(), name))
        result = CliRunner().invoke(cli, ["check", "-i", str(path)])
        assert result.exit_code == 3 and reasons[name] in result.output, result.output
