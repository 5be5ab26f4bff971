"""`gate init`: scaffolds gate's files in the current folder, and never overwrites one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, invoke


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


@pytest.mark.parametrize(
    ("ci", "snippet", "source"),
    [
        ("github", ".github/workflows/gate-pre-upgrade.yml", "github/pre-upgrade.yml"),
        ("gitlab", "gate-pre-upgrade.gitlab-ci.yml", "gitlab/pre-upgrade.gitlab-ci.yml"),
    ],
)
def test_init_then_lint_passes(tmp_path: Path, ci: str, snippet: str, source: str) -> None:
    with inside(tmp_path):
        code, out, err = invoke(["init", "--ci", ci])
        assert code == 0, err
        assert f"created: {snippet}" in out.splitlines()
        # no PATH: lint takes the gate/ folder init made
        assert invoke(["lint"]) == (0, "0 problems in 5 files (3 policies, 0 waivers)\n", "")
        assert invoke(["lint", "gate/"])[0] == 0
        code, out, err = invoke(["test", "--require-coverage", "gate/tests"])
        assert code == 0, out + err
        assert out.splitlines()[-1] == "2 passed, 0 failed"
    assert (tmp_path / snippet).read_text() == (ROOT / "examples" / source).read_text()
    for policy in (ROOT / "policies" / "default").glob("*.yaml"):
        if policy.name.endswith(".gate-test.yaml"):
            assert not (tmp_path / "gate" / "policies" / policy.name).exists()
            continue
        assert (tmp_path / "gate" / "policies" / policy.name).read_text() == policy.read_text()
    assert yaml.safe_load((tmp_path / "gate" / "waivers.yaml").read_text()) == {"waivers": []}


def test_the_scaffolded_tests_say_what_a_run_of_their_responses_gives(tmp_path: Path) -> None:
    """Each case's expected verdict and findings are what `gate check` finds in its response."""
    with inside(tmp_path):
        invoke(["init"])
    tests = tmp_path / "gate" / "tests"
    document = yaml.safe_load((tests / "default.gate-test.yaml").read_text())
    assert document["kind"] == "PolicyTest"
    for case in document["cases"]:
        report = tmp_path / "report.json"
        code, _, _ = invoke(
            ["check", "--input", str(tests / case["response"]), "--now", case["now"]]
            + ["--policy", str(tests / document["policies"][0]), "--json", str(report)]
        )
        result = json.loads(report.read_text())
        assert (result["verdict"], code) == (case["expect"]["verdict"], case["expect"]["exit_code"])
        found: dict[str, object] = {}
        for finding in result["findings"]:
            entry = {"addon": "coredns", "risk": finding["risk"]["name"]}
            entry["outcome"] = finding["outcome"]
            found.setdefault(finding["policy"], []).append(entry)  # type: ignore[union-attr]
        expected = {
            policy: value for policy, value in case["expect"]["policies"].items() if value != "pass"
        }
        assert found == expected


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    waivers = tmp_path / "gate" / "waivers.yaml"
    waivers.parent.mkdir()
    waivers.write_text("waivers: []  # mine\n")
    with inside(tmp_path):
        code, out, _ = invoke(["init"])
        assert code == 0
        assert "skipped (exists): gate/waivers.yaml" in out.splitlines()
        again = invoke(["init"])[1].splitlines()
    assert waivers.read_text() == "waivers: []  # mine\n"
    assert not [line for line in again if line.startswith("created")]


def test_lint_with_nothing_to_lint_is_no_pass(tmp_path: Path) -> None:
    with inside(tmp_path):
        code, out, _ = invoke(["lint"])
    assert code == 2
    assert out.splitlines()[0] == "gate:1:1: no such file or folder"
