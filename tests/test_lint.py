"""`gate lint`: every problem of policy, waiver and test files, each at file:line:column.

Also the error locations as data (gate.location.Location) that lint and the reporters read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from helpers import ROOT, invoke, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- gate lint --------------------------------------------------------------------------------

FIXED_NOW = {"GATE_NOW": "2025-08-06T00:00:00Z"}

TYPOS = """apiVersion: gate/v1
kind: Policy
metdata:
  name: typo
spec:
  enforcement: soft-mandatory
  scope: task
  assert:
    - field: task.status.status
      notEqual: Failed
    - field: task.metadata.addonTemplateName
      matches: "(unclosed"
---
apiVersion: gate/v1
kind: Policy
metadata:
  name: few
spec:
  enforcement: advisory
  scope: cluster
  assert:
    - count: tasks
      atLeast: {param: min_tasks}
  message: "{addon} has {count}"
---
apiVersion: gate/v1
kind: Policy
metadata:
  name: gate-mine
spec:
  enforcement: advisory
  scope: task
  assert:
    - field: task.status.status
      equals: Success
"""

WAIVERS = """waivers:
  - policy: no-fatal-risk
    addon: coredns
    reason: r
    owner: o
    expires: "2025-08-10"
  - policy: few
    reason: r
    owner: o
    expires: "2026-01-10"
  - policy: no-fatal-risks
    risk: x
    reason: r
    owner: o
    expires: "2025-01-01"
  - policy: few
    risk: x
    reason: r
    owner: o
    expires: "2025-08-01"
"""

TEST_FILE = """apiVersion: gate/v1
kind: PolicyTest
policies: [../policies]
cases:
  - name: nothing listed
    response: {kind: AddonCheck, apiVersion: v3, items: []}
    allow_empty: true
    expect: {verdict: pass, exit_code: 0}
"""


def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "gate"
    (folder / "policies").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "policies" / "bad.yaml").write_text(TYPOS)
    (folder / "policies" / "a.yaml").write_text(NO_FATAL)
    (folder / "policies" / "b.yaml").write_text(NO_FATAL)
    (folder / "waivers.yaml").write_text(WAIVERS)
    (folder / "tests" / "x.gate-test.yaml").write_text(TEST_FILE)
    return folder


def line_of(text: str, needle: str, start: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def test_lint_reports_every_problem_sorted_with_file_line_column(tmp_path: Path) -> None:
    folder = tree(tmp_path)
    code, out, err = invoke(["lint", str(folder)], FIXED_NOW)
    assert code == 2, err
    lines = out.splitlines()
    bad, waivers = f"{folder}/policies/bad.yaml", f"{folder}/waivers.yaml"
    expected = [
        f"{folder}/policies/b.yaml:2:1: policy 'no-fatal-risks' is already defined at "
        f"{folder}/policies/a.yaml:2",
        f"{bad}:3:1: metdata: unknown key 'metdata': did you mean 'metadata'?",
        f"{bad}:10:7: spec.assert[0].notEqual: unknown operator 'notEqual': did you mean "
        "'notEquals'?",
        f"{bad}:{line_of(TYPOS, 'unclosed')}:16: spec.assert[1].matches: matches: invalid "
        "regular expression '(unclosed': missing ), unterminated subpattern at position 0",
        f"{bad}:{line_of(TYPOS, 'min_tasks')}:24: spec.assert[0].atLeast: --param min_tasks has "
        "no default, so every run must give it: add a default, or declare it with "
        "'gate lint --param min_tasks'",
        f"{bad}:{line_of(TYPOS, '{addon}')}:12: spec.message: {{addon}} cannot resolve in a "
        "cluster-scope policy (it judges all tasks at once): use {count}, {expected}, "
        "{actual}, {policy} or {param.NAME}",
        f"{bad}:{line_of(TYPOS, 'gate-mine')}:9: metadata.name: 'gate-mine' is reserved for "
        "gate's built-in rules (check-failed-without-risks, precheck-target-version and every "
        "ID starting with 'gate-')",
        f"{waivers}:2:13: waivers[0].policy: no policy 'no-fatal-risk': did you mean "
        "'no-fatal-risks'?",
        f"{waivers}:6:14: warning: waiver for no-fatal-risk expires on 2025-08-10 (in 5 day(s), "
        "within --warn-days 14)",
        f"{waivers}:7:5: warning: waiver for few names neither an addon nor a risk: it waives "
        "the policy everywhere (too broad)",
        f"{waivers}:11:13: policy no-fatal-risks is hard-mandatory and cannot be waived",
        f"{waivers}:15:14: waiver for no-fatal-risks expired on 2025-01-01",
        f"{waivers}:20:14: waiver for few expired on 2025-08-01",
        "11 errors, 2 warnings in 5 files (5 policies, 4 waivers)",
    ]
    assert lines == expected
    assert lines[:-1] == sorted(lines[:-1], key=lambda x: (x.split(":")[0], int(x.split(":")[1])))


def test_lint_json_is_the_same_as_data(tmp_path: Path) -> None:
    folder = tree(tmp_path)
    _, text, _ = invoke(["lint", str(folder)], FIXED_NOW)
    code, out, _ = invoke(["lint", "--format", "json", str(folder)], FIXED_NOW)
    document = json.loads(out)
    assert code == 2 == document["exit_code"]
    assert (document["errors"], document["warnings"]) == (11, 2)
    shown = [f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in document["problems"]]
    assert shown == text.splitlines()[:-1]
    assert {p["rule"] for p in document["problems"]} >= {
        "unknown-key",
        "duplicate-id",
        "reserved-id",
        "waiver-expired",
        "waiver-broad",
    }


def test_warnings_pass_unless_strict_and_warn_days_moves_the_horizon(tmp_path: Path) -> None:
    waivers = tmp_path / "gate" / "waivers.yaml"
    waivers.parent.mkdir()
    waivers.write_text(
        "waivers:\n  - policy: no-failed-warnings\n    addon: coredns\n    reason: r\n"
        '    owner: o\n    expires: "2025-08-10"\n'
    )
    code, out, _ = invoke(["lint", str(waivers)], FIXED_NOW)
    assert code == 0 and "warning: waiver for no-failed-warnings expires on 2025-08-10" in out
    assert invoke(["lint", "--strict", str(waivers)], FIXED_NOW)[0] == 2
    code, out, _ = invoke(["lint", "--warn-days", "3", str(waivers)], FIXED_NOW)
    assert (code, out) == (0, "0 problems in 1 file (0 policies, 1 waiver)\n")
    code, out, _ = invoke(["lint", "--now", "2025-08-11T00:00:00Z", str(waivers)])
    assert code == 2 and "expired on 2025-08-10" in out


def test_lint_is_clean_on_the_shipped_policies_with_their_parameter_declared() -> None:
    code, out, _ = invoke(
        ["lint", "--param", "target_version", "policies/default", "policies/examples"], FIXED_NOW
    )
    shipped = [*ROOT.glob("policies/default/*.yaml"), *ROOT.glob("policies/examples/*.yaml")]
    policies = [p for p in shipped if not p.name.endswith(".gate-test.yaml")]
    expected = f"0 problems in {len(shipped)} files ({len(policies)} policies, 0 waivers)\n"
    assert (code, out) == (0, expected)


def test_a_file_lint_cannot_read_is_one_problem_and_the_others_are_still_linted(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: &x 1\nb: *x\n")
    good = tmp_path / "good.yaml"
    good.write_text(NO_FATAL.replace("hard-mandatory", "soft"))
    code, out, _ = invoke(["lint", str(broken), str(good), str(tmp_path / "none.yaml")])
    assert code == 2
    assert out.splitlines() == [
        f"{broken}:1:4: anchor &x is not allowed: write the value out",
        f"{good}:{line_of(NO_FATAL, 'enforcement:')}:16: spec.enforcement: 'soft' is not one of "
        "['advisory', 'soft-mandatory', 'hard-mandatory']",
        f"{tmp_path / 'none.yaml'}:1:1: no such file or folder",
        "3 errors, 0 warnings in 2 files (1 policy, 0 waivers)",
    ]


def test_validate_stays_as_it_was() -> None:
    code, out, _ = invoke(["validate", "--policy", "policies/default"])
    assert (code, out) == (0, "ok: 3 policies, 0 waiver(s)\n")


NO_FATAL_DATA = yaml.safe_load(NO_FATAL)
PLACES = [
    ("metadata", "name"),
    ("spec", "scope"),
    ("spec", "enforcement"),
    ("spec", "message"),
    ("spec", "match"),
    ("spec", "match", 0),
    ("spec", "match", 0, "field"),
    ("spec", "assert", 0, "notEquals"),
    ("spec", "assert", 0, "matches"),
    ("spec", "assert", 0, "any"),
    ("spec", "assert", 0, "count"),
    ("spec", "typo"),
    ("kind",),
]
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["(", "{addon}", "{param.x}", "risks", "tasks", "cluster", "gate-x", ""])
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.sampled_from(PLACES), value=VALUES, delete=st.booleans())
def test_lint_never_crashes_and_is_never_laxer_than_a_run(
    tmp_path: Path, place: tuple[Any, ...], value: Any, delete: bool
) -> None:
    """Whatever a policy holds: exit 0 or 2 with one line per problem, never a traceback; and
    a file lint finds clean loads as a run loads it."""
    from gate.errors import ConfigError
    from gate.policy import load_policies

    try:
        document = mutated(NO_FATAL_DATA, place, value, delete and place[-1] != 0)
    except (KeyError, IndexError, TypeError):
        return
    policy = tmp_path / "p.yaml"
    policy.write_text(yaml.safe_dump(document))
    code, out, err = invoke(["lint", "--format", "json", str(policy)], FIXED_NOW)
    assert code in (0, 2), err
    assert err == ""
    problems = json.loads(out)["problems"]
    assert all(p["file"] == str(policy) and p["line"] >= 1 for p in problems)
    try:
        load_policies([policy])
    except ConfigError:
        assert code == 2, out
    else:  # what only lint refuses: what a run would accept but render empty or need a flag for
        assert {p["rule"] for p in problems} <= {"placeholder", "param"}, out


WAIVER_DATA = {
    "waivers": [
        {
            "policy": "no-failed-warnings",
            "addon": "coredns",
            "reason": "r",
            "owner": "o",
            "expires": "2025-09-30",
        }
    ]
}
WAIVER_PLACES = [
    ("waivers",),
    ("waivers", 0),
    *(("waivers", 0, key) for key in ("policy", "addon", "risk", "expires", "owner", "typo")),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.sampled_from(WAIVER_PLACES), value=VALUES, delete=st.booleans())
def test_lint_of_any_waivers_file_is_problems_not_a_crash(
    tmp_path: Path, place: tuple[Any, ...], value: Any, delete: bool
) -> None:
    from gate.errors import ConfigError
    from gate.waivers import load_waivers

    try:
        document = mutated(WAIVER_DATA, place, value, delete and place[-1] != 0)
    except (KeyError, IndexError, TypeError):
        return
    waivers = tmp_path / "gate" / "waivers.yaml"
    waivers.parent.mkdir(exist_ok=True)
    waivers.write_text(yaml.safe_dump(document))
    code, out, err = invoke(["lint", "--format", "json", "--waivers", str(waivers)], FIXED_NOW)
    assert code in (0, 2) and err == "", err
    try:
        load_waivers(waivers)
    except ConfigError:
        assert code == 2, out


def test_lint_checks_a_test_file_as_gate_test_loads_it(tmp_path: Path) -> None:
    test_file = tmp_path / "broken.gate-test.yaml"
    test_file.write_text(
        "apiVersion: gate/v1\nkind: PolicyTest\npolicies: [missing/]\ncases: []\n",
        encoding="utf-8",
    )
    code, out, _ = invoke(["lint", str(test_file)], FIXED_NOW)
    assert code == 2
    assert out.startswith(f"{test_file}:4:8: cases: [] should be non-empty")
