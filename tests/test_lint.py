"""`gate lint`: every problem of policy, waiver and test files, each at file:line:column.

Also the error locations as data (gate.location.Location) that lint and the reporters read.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ROOT, invoke

DEFAULT = ROOT / "policies" / "default"
NO_FATAL = (DEFAULT / "no-fatal-risks.yaml").read_text()


# --- locations as data ------------------------------------------------------------------------


def test_a_policy_error_carries_its_location_and_reporters_read_the_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(NO_FATAL.replace("enforcement: hard-mandatory", "enforcement: mandatory"))
    line = NO_FATAL.splitlines().index("  enforcement: hard-mandatory") + 1
    sarif = tmp_path / "gate.sarif"
    code, _, err = invoke(
        ["check", "--input", "examples/blocked-coredns.json", "--policy", str(bad)]
        + ["--sarif", str(sarif)]
    )
    assert code == 2
    assert f"{bad}:{line}: spec.enforcement: 'mandatory' is not one of" in err  # text unchanged
    (note,) = json.loads(sarif.read_text())["runs"][0]["invocations"][0][
        "toolExecutionNotifications"
    ]
    region = note["locations"][0]["physicalLocation"]["region"]
    # the column is not in the message: it can only come from the error's Location
    assert region == {"startLine": line, "startColumn": len("  enforcement: ") + 1}


def test_a_json_error_carries_line_and_column(tmp_path: Path) -> None:
    from gate.errors import InvalidInput
    from gate.location import Location
    from gate.source import parse

    try:
        parse(b'{"items": [\n  1,,\n]}', "r.json")
    except InvalidInput as exc:
        assert exc.location == Location("r.json", 2, 5)
        assert exc.message.startswith("r.json:2:5: not valid JSON")
    else:
        raise AssertionError("no error")
