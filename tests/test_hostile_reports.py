"""Text from the API in the reports people look at: whatever a risk message or an add-on name
holds, each report parses and validates, counts exactly the findings there are, writes no control
character raw and keeps one-line fields on one line (a property test through the CLI)."""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ci_support import validate_codequality
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sarif import validate

from gate.cli import cli

HOSTILE = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            "\n",
            "\r",
            "\t",
            "\x00",
            "\x1b",
            "[31m",
            "\x7f",
            "\x85",
            "\u202e",
            "\u2028",
            # no lone surrogate: reading refuses it as invalid input (tests/test_reading.py)
            "\ufffe",
            "<",
            "&",
            '"',
            "]]>",
            "</failure>",
            "<testcase name='x'>",
            "::error::forged",
            "%0A",
        ]
    ),
    max_size=12,
).map("".join)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff\ufffe]")


@settings(max_examples=25, deadline=None)
@given(message=HOSTILE, addon=HOSTILE)
def test_text_from_the_api_cannot_break_or_forge_a_report(message: str, addon: str) -> None:
    data = json.loads((ROOT / "examples" / "blocked-coredns.json").read_text())
    item = data["items"][0]
    item["metadata"]["addonTemplateName"] = "coredns" + addon
    item["status"]["riskList"] = [item["status"]["riskList"][1]]  # the Fatal one
    item["status"]["riskList"][0]["message"] = message
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        response = folder / "r.json"
        response.write_text(json.dumps(data), encoding="utf-8")
        result = CliRunner().invoke(
            cli,
            [
                "check",
                "-i",
                str(response),
                *("--junit", str(folder / "junit.xml")),
                *("--sarif", str(folder / "report.sarif")),
                *("--codequality", str(folder / "cq.json")),
            ],
            env=CLI_ENV,
        )
        assert result.exit_code == 1, result.output
        junit = (folder / "junit.xml").read_text(encoding="utf-8")
        sarif = json.loads((folder / "report.sarif").read_text(encoding="utf-8"))
        issues = validate_codequality(folder / "cq.json")

    assert not CONTROL.search(junit)
    root = ET.fromstring(junit.encode("utf-8"))
    failures = list(root.iter("failure"))
    assert len(failures) == 1 and root.get("failures") == "1"
    assert len(list(root.iter("testcase"))) == 4  # three policies and check completeness
    assert "\n" not in failures[0].get("message", "x\n")
    assert failures[0].get("message", "").startswith("coredns")

    validate(sarif)
    (result_,) = sarif["runs"][0]["results"]
    assert result_["level"] == "error" and "suppressions" not in result_
    assert not CONTROL.search(result_["message"]["text"].replace("\n", " "))

    (issue,) = issues
    assert issue["severity"] == "blocker"
    assert not CONTROL.search(issue["description"]) and "\n" not in issue["description"]
