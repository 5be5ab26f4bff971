"""gate impact: a policy change judged against saved responses of past runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import ROOT, invoke

DEFAULTS = ROOT / "policies" / "default"


def _policies(tmp_path: Path, name: str, loosen: bool = False) -> str:
    folder = tmp_path / name
    folder.mkdir()
    for path in sorted(DEFAULTS.glob("*.yaml")):
        text = path.read_text()
        if loosen and path.name == "addon-status-must-pass.yaml":
            text = text.replace("enforcement: soft-mandatory", "enforcement: advisory")
        (folder / path.name).write_text(text)
    return str(folder)


def _runs(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copy(ROOT / "tests" / "cases" / "advisory-passes" / "response.json", runs / "a.json")
    return runs


def _only_addon_status(runs: Path) -> None:
    """A past run blocked by AddonStatus alone (no Fatal risk)."""
    text = (ROOT / "examples" / "blocked-coredns.json").read_text()
    (runs / "b.json").write_text(text.replace('"level": "Fatal"', '"level": "Warning"'))


def test_a_loosened_policy_that_lets_a_blocked_run_through_exits_1(tmp_path: Path) -> None:
    old, new = _policies(tmp_path, "old"), _policies(tmp_path, "new", loosen=True)
    runs = _runs(tmp_path)
    _only_addon_status(runs)
    markdown = tmp_path / "impact.md"
    args = ["impact", "--policy", new, "--against", old, str(runs), "--markdown", str(markdown)]
    code, out, _ = invoke(args)
    assert code == 1, out
    assert f"{runs / 'b.json'}: BLOCKED -> PASS (would have gone through: look)" in out
    assert "~ addon-status-must-pass on coredns (addonUpgrade), risk AddonStatus: " in out
    assert "blocking -> advisory" in out and "1 changed, 1 unchanged." in out
    table = markdown.read_text()
    assert "| blocked | pass |" in table and ":warning:" in table


def test_an_unchanged_policy_set_exits_0(tmp_path: Path) -> None:
    old, new = _policies(tmp_path, "old"), _policies(tmp_path, "new")
    runs = _runs(tmp_path)
    _only_addon_status(runs)
    code, out, _ = invoke(["impact", "--policy", new, "--against", old, str(runs)])
    assert code == 0, out
    assert "0 changed, 2 unchanged." in out and "Nothing that blocked would have passed" in out


def test_tightening_is_listed_and_exits_0(tmp_path: Path) -> None:
    old, new = _policies(tmp_path, "old", loosen=True), _policies(tmp_path, "new")
    runs = _runs(tmp_path)
    _only_addon_status(runs)
    code, out, _ = invoke(["impact", "--policy", new, "--against", old, str(runs)])
    assert code == 0, out
    assert "b.json: PASS -> BLOCKED" in out and "advisory -> blocking" in out


def test_a_waiver_that_lets_a_run_through_exits_1(tmp_path: Path) -> None:
    policies = _policies(tmp_path, "p")
    runs = _runs(tmp_path)
    _only_addon_status(runs)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - policy: addon-status-must-pass\n    addon: coredns\n"
        "    reason: drain\n    owner: me\n    expires: 2025-12-01\n"
    )
    args = ["impact", "--policy", policies, "--waivers", str(waivers), "--against", policies]
    code, out, _ = invoke([*args, "--against-waivers", str(tmp_path / "none.yaml"), str(runs)])
    assert code == 2 and "none.yaml" in _  # the old waivers file must exist
    (tmp_path / "none.yaml").write_text("waivers: []\n")
    code, out, _ = invoke([*args, "--against-waivers", str(tmp_path / "none.yaml"), str(runs)])
    assert code == 1 and "blocking -> waived" in out


def test_an_unreadable_response_is_named_and_needs_a_look(tmp_path: Path) -> None:
    policies = _policies(tmp_path, "p")
    runs = _runs(tmp_path)
    (runs / "broken.json").write_text("{nope")
    code, out, _ = invoke(["impact", "--policy", policies, "--against", policies, str(runs)])
    assert code == 1
    assert f"{runs / 'broken.json'}: cannot be judged, look at it: " in out


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    policies = _policies(tmp_path, "p")
    code, _, err = invoke(["impact", "--policy", policies, "--against", policies, str(tmp_path)])
    assert code == 2 and "no saved responses" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.json").write_text("{}")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: gate/v1\nkind: Policy\n")
    code, _, err = invoke(["impact", "--policy", str(bad), "--against", policies, str(empty)])
    assert code == 2 and "bad.yaml" in err
