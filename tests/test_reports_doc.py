"""docs/reports.md states the bounds the reporters use; this keeps the two the same."""

from __future__ import annotations

import re

from helpers import ROOT

from gate.reporters import codequality, junit, sarif

# whitespace-normalised, so re-wrapping the page does not break the test
TEXT = " ".join((ROOT / "docs" / "reports.md").read_text(encoding="utf-8").split())


def number(value: int) -> str:
    return f"{value:,}"


def test_the_documented_bounds_are_the_ones_used() -> None:
    assert f"cut at **{number(junit.MESSAGE_CHARS)} characters**" in TEXT
    assert f"at most {number(sarif.MAX_RESULTS)} results per run" in TEXT
    assert f"messages cut at {number(sarif.MESSAGE_CHARS)}" in TEXT
    assert f"cut at {number(codequality.DESCRIPTION_CHARS)} characters" in TEXT
    assert f'`partialFingerprints."{sarif.FINGERPRINT_KEY}"`' in TEXT
    assert f"a suite `{junit.COMPLETENESS_SUITE}`" in TEXT


def test_the_ci_page_links_the_reports_page() -> None:
    ci = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "(reports.md#sarif)" in ci and "(reports.md#code-quality)" in ci
    assert "## SARIF (`--sarif`)" in TEXT and "## Code Quality (`--codequality`)" in TEXT


def test_docs_cover_every_exit_code_and_both_ci_systems() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for code in range(7):
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE), code
    for needle in ("uses: cce-addon-gate/gate@", "component: $CI_SERVER_FQDN/", "exit_codes"):
        assert needle in text, needle
