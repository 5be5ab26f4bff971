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
