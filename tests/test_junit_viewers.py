"""What the JUnit viewers people use display of gate's report, modelled on their parsers.

Each ``show_*`` function reads a report the way that consumer's public parser does (the source
named in its docstring) and returns, per test case, the status and the text it puts in front of
the reader. The tests then check the three things a platform team looks for: a blocked run names
the Fatal risk in the failure line, a waived finding shows its owner, expiry and reason, and one
running check is one error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import junitparser
import pytest
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT

from gate.cli import cli

CI = ROOT / "tests" / "ci"
RESULTS = ("failure", "error", "skipped")


@dataclass(frozen=True)
class Shown:
    suite: str
    name: str
    status: str  # passed, failed, error, skipped
    headline: str  # what the viewer shows first (a list entry, an annotation's message)
    details: str = ""


def _cases(root: ET.Element) -> list[tuple[ET.Element, ET.Element]]:
    return [(suite, case) for suite in root.iter("testsuite") for case in suite.findall("testcase")]


def _result(case: ET.Element) -> ET.Element | None:
    return next((child for child in case if child.tag in RESULTS), None)


def show_gitlab(root: ET.Element) -> list[Shown]:
    """gitlabhq lib/gitlab/ci/parsers/test/junit.rb: the status from which of failure, error,
    skipped is present; the details are that element's text; ``message`` is never read."""
    shown = []
    for suite, case in _cases(root):
        result = _result(case)
        status = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(
            result.tag if result is not None else "", "passed"
        )
        text = (result.text or "") if result is not None else ""
        shown.append(Shown(suite.get("name", ""), case.get("name", ""), status, text, text))
    return shown


def show_dorny(root: ET.Element) -> list[Shown]:
    """dorny/test-reporter src/parsers/java-junit/java-junit-parser.ts: failure and error are
    both "failed", with ``message`` as the headline and the text as details; a skipped case
    shows only its name."""
    shown = []
    for suite, case in _cases(root):
        result = _result(case)
        tag = result.tag if result is not None else ""
        status = "failed" if tag in ("failure", "error") else (tag or "passed")
        headline = result.get("message", "") if tag in ("failure", "error") else ""
        details = (result.text or "") if tag in ("failure", "error") and result is not None else ""
        shown.append(
            Shown(suite.get("name", "").strip(), case.get("name", ""), status, headline, details)
        )
    return shown


def show_enricomi(path: Path) -> list[Shown]:
    """EnricoMi/publish-unit-test-result-action reads with junitparser: a result's ``message``
    is the headline and its text the details, skipped included."""
    shown = []
    for suite in junitparser.JUnitXml.fromfile(str(path)):
        for case in suite:
            results = case.result
            status = type(results[0]).__name__.lower() if results else "passed"
            status = {"failure": "failed"}.get(status, status)
            message = results[0].message or "" if results else ""
            text = results[0].text or "" if results else ""
            shown.append(Shown(suite.name, case.name, status, message, text))
    return shown


def show_mikepenz(root: ET.Element) -> list[Shown]:
    """mikepenz/action-junit-report src/testParser.ts: an annotation per case whose message is
    the failure's or error's ``message``, else the first two lines of the text, else the case
    name; skipped cases are notices with the name."""
    shown = []
    for suite, case in _cases(root):
        result = _result(case)
        tag = result.tag if result is not None else ""
        if tag in ("failure", "error"):
            assert result is not None
            text = (result.text or "").strip()
            headline = (
                result.get("message") or "\n".join(text.split("\n")[:2]) or case.get("name", "")
            )
            status = "failed"
        else:
            headline, text, status = case.get("name", ""), "", tag or "passed"
        shown.append(
            Shown(suite.get("name", ""), case.get("name", ""), status, headline.strip(), text)
        )
    return shown


def show_xunit_viewer(root: ET.Element) -> list[Shown]:
    """lukejpreston/xunit-viewer src/cli/parse.js: the status is the first child element's tag;
    the messages are its text, its ``message`` and its ``type``, in that order."""
    shown = []
    for suite, case in _cases(root):
        children = list(case)
        tag = children[0].tag if children else ""
        status = {"failure": "failed", "skipped": "skipped", "error": "error"}.get(tag, "passed")
        messages = []
        if children:
            first = children[0]
            messages = [first.text or "", first.get("message", ""), first.get("type", "")]
        messages = [m.strip() for m in messages if m.strip()]
        shown.append(
            Shown(suite.get("name", ""), case.get("name", ""), status, " | ".join(messages))
        )
    return shown


def show_junit2html(root: ET.Element) -> list[Shown]:
    """inorton/junit2html junit2htmlreport/parser.py: failure and error are "failed" with
    ``failure_msg`` (the ``message``) above the text; skipped keeps ``skipped_msg`` the same way."""
    shown = []
    for suite, case in _cases(root):
        result = _result(case)
        tag = result.tag if result is not None else ""
        status = {"failure": "failed", "error": "failed", "skipped": "skipped"}.get(tag, "passed")
        headline = result.get("message", "") if result is not None else ""
        details = (result.text or "") if result is not None else ""
        shown.append(Shown(suite.get("name", ""), case.get("name", ""), status, headline, details))
    return shown


def viewers(path: Path) -> dict[str, list[Shown]]:
    root = ET.parse(path).getroot()
    models: dict[str, Callable[[ET.Element], list[Shown]]] = {
        "gitlab": show_gitlab,
        "dorny": show_dorny,
        "mikepenz": show_mikepenz,
        "xunit-viewer": show_xunit_viewer,
        "junit2html": show_junit2html,
    }
    return {"enricomi": show_enricomi(path), **{name: show(root) for name, show in models.items()}}


def junit_of(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "junit.xml"
    result = CliRunner().invoke(cli, [*args, "--junit", str(out)], env=CLI_ENV)
    assert out.exists(), result.output
    return out


VIEWERS = ["gitlab", "dorny", "enricomi", "mikepenz", "xunit-viewer", "junit2html"]


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_blocked_run_names_the_fatal_risk_in_the_failure_line(
    viewer: str, tmp_path: Path
) -> None:
    shown = viewers(junit_of(tmp_path, "check", "-i", "examples/blocked-coredns.json"))[viewer]
    (fatal,) = [s for s in shown if s.suite == "no-fatal-risks" and s.status == "failed"]
    first_line = fatal.headline.split("\n")[0]
    assert "Fatal risk AddonValidate failed" in first_line
    assert "configmap coredns had been modified" in first_line


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("viewer", ["gitlab", "enricomi", "xunit-viewer", "junit2html"])
def test_a_waived_finding_shows_owner_expiry_and_reason(viewer: str, tmp_path: Path) -> None:
    path = junit_of(
        tmp_path,
        "check",
        "-i",
        "tests/ci/waived-response.json",
        "--waivers",
        "tests/ci/waivers.yaml",
    )
    shown = viewers(path)[viewer]
    (waived,) = [s for s in shown if s.status == "skipped" and "waived" in s.headline.lower()]
    waiver = (CI / "waivers.yaml").read_text(encoding="utf-8")
    assert "platform-team" in waiver
    # GitLab and xunit-viewer show the whole text; the others lead with the message
    for needle in (
        "waived by platform-team until 2025-12-31: nodes of the coredns pods",
        "CHG-1234",
    ):
        assert needle in waived.headline, (needle, waived.headline)


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("viewer", VIEWERS)
def test_one_running_check_is_one_error(viewer: str, tmp_path: Path) -> None:
    path = junit_of(tmp_path, "check", "-i", "tests/cases/incomplete-running/response.json")
    shown = viewers(path)[viewer]
    red = [s for s in shown if s.status in ("failed", "error", "failure")]
    assert [(s.suite, s.name) for s in red] == [("check-completeness", "coredns (addonUpgrade)")]
    assert "still Running" in red[0].headline
    # the policies' cases for the running check are not shown as passes either
    assert {s.status for s in shown if s.name == "coredns (addonUpgrade)"} == {
        "skipped",
        red[0].status,
    }


@pytest.mark.usefixtures("at_root")
def test_gitlab_test_identities_are_unique(tmp_path: Path) -> None:
    """GitLab drops a case whose suite, classname and name repeat another's."""
    path = junit_of(tmp_path, "check", "-i", "tests/cases/all-tasks/response.json", "--all-tasks")
    root = ET.parse(path).getroot()
    keys = [(s.get("name"), c.get("classname"), c.get("name")) for s, c in _cases(root)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
