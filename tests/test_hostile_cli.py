"""Hostile command lines and environments: a documented code, never a traceback or a chance pass.

Hypothesis builds argument vectors from gate's real flags with hostile values (control
characters, lone surrogates, huge numbers, paths that are folders or absent, duplicate report
paths), and environments with odd values, and runs them through the real entry point. Whatever
it builds, the run ends with a documented exit code other than 6, prints no traceback, writes a
JSON report that carries the same code, and passes only where a plain reference says it may: the
bundled example holds a failed Fatal risk under a hard-mandatory policy, so nothing a command
line can say lets it pass.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from helpers import ROOT, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLE = str(ROOT / "examples" / "blocked-coredns.json")
CLEAN = str(ROOT / "tests" / "cases" / "pass-clean" / "response.json")
DOCUMENTED = {0, 1, 2, 3, 4, 5}

nasty_text = st.sampled_from(
    ["", " ", "=", "a=b", "\x00", "\x1b[2J", "\n", "\ud800", "é", "9" * 5000, "-", "--json", "%s"]
) | st.text(max_size=12)
policy_ids = st.sampled_from(
    [
        "no-fatal-risks",
        "addon-status-must-pass",
        "no-failed-warnings",
        "nope",
        "check-failed-without-risks",
    ]
)
levels = st.sampled_from(["advisory", "soft-mandatory", "hard-mandatory", "HARD", ""])


def flag_strategy(tmp: str) -> st.SearchStrategy[list[str]]:
    paths = st.sampled_from(
        [f"{tmp}/r.json", f"{tmp}/j.xml", f"{tmp}/nodir/x/r", tmp, "-", f"{tmp}/response.json"]
    )
    return st.one_of(
        st.tuples(st.just("--policy"), st.sampled_from(["policies/default", tmp, "/nonexistent"])),
        st.tuples(st.just("--waivers"), st.sampled_from([EXAMPLE, tmp, "/nonexistent"])),
        st.tuples(st.just("--param"), nasty_text),
        st.tuples(st.just("--override"), policy_ids),
        st.tuples(st.just("--reason"), nasty_text),
        st.builds(lambda p, lv: ("--enforcement", f"{p}={lv}"), policy_ids, levels),
        st.tuples(st.just("--fail-on"), st.sampled_from(["advisory", "soft-mandatory", "x"])),
        st.tuples(st.just("--addon"), st.sampled_from(["coredns", "everest", "\x1b"])),
        st.tuples(st.just("--type"), st.sampled_from(["addonUpgrade", "addonStatic", "x"])),
        st.tuples(
            st.just("--now"), st.sampled_from(["2025-08-06T00:00:00Z", "9999-12-31T23:59:59Z", "x"])
        ),
        st.tuples(st.just("--cluster-id"), nasty_text),
        st.tuples(st.sampled_from(["--junit", "--markdown", "--codequality"]), paths),
        st.sampled_from([("--allow-empty",), ("--all-tasks",), ("--strict-schema",), ("--color",)]),
        st.sampled_from([("--bogus",), ("--wait",), ("--task-id", "x"), ("-i",)]),
    ).map(list)


environments = st.dictionaries(
    st.sampled_from(["NO_COLOR", "FORCE_COLOR", "GATE_NOW", "CI", "GATE_DEBUG", "GATE_WAIVERS"]),
    st.sampled_from(["1", "", "x", "\x1b", "2025-08-06T00:00:00Z"]),
    max_size=3,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), response=st.sampled_from([EXAMPLE, CLEAN]), env=environments)
def test_any_command_line_gets_a_documented_code(
    data: st.DataObject, response: str, env: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flags = data.draw(st.lists(flag_strategy(tmp), max_size=5))
        report = Path(tmp) / "report.json"
        copy = Path(tmp) / "response.json"  # a report path may point at the input: never written
        copy.write_text(Path(response).read_text())
        args = ["check", "-i", str(copy), *[word for flag in flags for word in flag]]
        args += ["--json", str(report)]
        code, stdout, stderr = invoke(args, {k: v for k, v in env.items() if k != "GATE_DEBUG"})
        assert code in DOCUMENTED, (args, stdout, stderr)
        assert "Traceback" not in stdout + stderr
        assert copy.read_text() == Path(response).read_text(), "the input is never overwritten"
        if code == 0:
            assert response == CLEAN, (args, stdout)
        if report.exists() and report.stat().st_size:
            written = json.loads(report.read_text())
            assert written["exit_code"] == code, (args, stderr)
