"""gate merge trusts nothing in a shard report it can check (happy paths: tests/test_fleet.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke
from test_baseline import _inventory


def _shards(tmp_path: Path) -> list[Path]:
    inventory = _inventory(tmp_path, {n: ("Failed", "Failed") for n in ("a", "b", "c")})
    shards = [tmp_path / f"shard{i}.json" for i in (1, 2)]
    for index, shard in enumerate(shards, 1):
        args = ["check", "--inventory", str(inventory), "--shard", f"{index}/2"]
        invoke([*args, "--json", str(shard)])
    return shards


def _edit(shard: Path, change: str) -> None:
    data = json.loads(shard.read_text())
    cluster = data["clusters"][0]
    if change == "verdict":
        cluster["verdict"], cluster["exit_code"] = "pass", 0
    elif change == "tasks":
        del cluster["tasks"]
    elif change == "finding":
        cluster["findings"][0]["policy"] = 3
    elif change == "total":
        data["fleet"]["shard"]["total"] = 10**12
    shard.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("verdict", "its report says pass but its findings and pending checks say blocked"),
        ("tasks", "not a complete fleet report: clusters[0]: 'tasks' is a required property"),
        ("finding", "clusters[0].findings[0].policy: 3 is not of type 'string'"),
        ("total", "fleet.shard.total"),
    ],
)
def test_an_edited_or_damaged_shard_is_a_named_configuration_error(
    tmp_path: Path, change: str, said: str
) -> None:
    shards = _shards(tmp_path)
    _edit(shards[0], change)
    report = tmp_path / "merged.json"
    code, _, stderr = invoke(["merge", *map(str, shards), "--json", str(report)])
    assert code == 2
    assert said in stderr
    assert json.loads(report.read_text())["exit_code"] == 2


def test_a_shard_with_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    text = shards[0].read_text()
    shards[0].write_text(text.replace('"verdict":', '"verdict": "pass", "verdict":', 1))
    code, _, stderr = invoke(["merge", *map(str, shards)])
    assert code == 2 and "twice" in stderr


@pytest.mark.parametrize("shard", ["²/3", "1/0", "4/3", "1/10001", "x"])
def test_a_shard_flag_that_is_not_i_of_n_is_a_usage_error(tmp_path: Path, shard: str) -> None:
    inventory = _inventory(tmp_path, {"a": ("Failed", "Failed")})
    code, _, stderr = invoke(["check", "--inventory", str(inventory), "--shard", shard])
    assert code == 2 and "--shard" in stderr


def test_a_shard_report_that_lost_clusters_does_not_merge_into_a_pass(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    for shard in shards:
        data = json.loads(shard.read_text())
        data["clusters"] = []
        shard.write_text(json.dumps(data))
    code, _, stderr = invoke(["merge", *map(str, shards)])
    assert code == 5 and "a shard report lost clusters" in stderr


def test_an_empty_shard_passes_and_its_report_merges(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, {"a": ("Success", "Success")})
    shards = [tmp_path / f"s{i}.json" for i in (1, 2)]
    for index, shard in enumerate(shards, 1):
        args = ["check", "--inventory", str(inventory), "--shard", f"{index}/2"]
        assert invoke([*args, "--json", str(shard)])[0] == 0
    assert invoke(["merge", *map(str, shards)])[0] == 0


def test_select_with_one_key_twice_needs_both_values(tmp_path: Path) -> None:
    inventory = _inventory(tmp_path, {"a": ("Failed", "Failed")})
    text = inventory.read_text().replace("input: a.json", "input: a.json\n    labels: {env: prod}")
    inventory.write_text(text)
    args = ["check", "--inventory", str(inventory), "--select", "env=prod"]
    assert invoke(args)[0] == 1
    assert invoke([*args, "--select", "env=dev"])[0] == 5
    assert invoke([*args[:3], "--select", "env=dev", *args[3:]])[0] == 5


def test_init_where_gate_is_a_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gate").write_text("")
    code, _, stderr = invoke(["init"])
    assert code == 2 and "cannot write it: Not a directory" in stderr


@pytest.mark.parametrize("command", [["merge"], ["check", "-i", "x.json", "--baseline"]])
def test_a_folder_as_a_report_to_read_is_refused(tmp_path: Path, command: list[str]) -> None:
    code, _, stderr = invoke([*command, str(tmp_path)])
    assert code == 2 and "not a file" in stderr


def test_a_control_character_in_a_shard_never_reaches_the_terminal(tmp_path: Path) -> None:
    shards = _shards(tmp_path)
    data = json.loads(shards[0].read_text())
    data["clusters"][0]["name"] = "a\x1b[31m"
    shards[0].write_text(json.dumps(data))
    _, stdout, stderr = invoke(["merge", *map(str, shards)])
    assert "\x1b" not in stdout + stderr
    assert "a\\x1b[31m" in stdout
