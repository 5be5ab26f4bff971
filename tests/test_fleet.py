"""Fleet runs: an inventory of clusters, saved responses and the fake CCE API mixed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fake_cce import DEFAULT_CLUSTER_ID, DEFAULT_PROJECT_ID, FakeCCE
from helpers import ROOT, invoke

from gate.fleet import shard_of

TOKEN = "LEAKTOKEN-fleet-0123456789abcdef"
FAST = {"GATE_POLL_INTERVAL": "0.01", "GATE_RETRY_DELAY": "0.001", "GATE_HTTP_TIMEOUT": "2"}


def inventory(tmp_path: Path, endpoint: str = "http://127.0.0.1:9") -> Path:
    shutil.copy(ROOT / "examples" / "blocked-coredns.json", tmp_path / "blocked.json")
    shutil.copy(ROOT / "tests/cases/advisory-passes/response.json", tmp_path / "pass.json")
    (tmp_path / "inv.yaml").write_text(
        f"""apiVersion: gate/v1
kind: Inventory
defaults:
  endpoint: {endpoint}
  projectId: {DEFAULT_PROJECT_ID}
  tokenEnv: FLEET_TOKEN
  labels: {{env: prod}}
clusters:
  - name: prod-eu-1
    input: blocked.json
  - name: prod-eu-2
    input: pass.json
  - name: dev-1
    input: pass.json
    labels: {{env: dev}}
  - name: live-ok
    clusterId: {DEFAULT_CLUSTER_ID}
  - name: live-no-token
    clusterId: {DEFAULT_CLUSTER_ID}
    tokenEnv: UNSET_TOKEN_VARIABLE
"""
    )
    return tmp_path / "inv.yaml"


def run(args: list[str], tmp_path: Path) -> tuple[int, dict, str]:
    out = tmp_path / "out.json"
    out.unlink(missing_ok=True)
    code, stdout, stderr = invoke(
        ["check", *args, "--json", str(out)], {**FAST, "FLEET_TOKEN": TOKEN}
    )
    return code, json.loads(out.read_text()), stdout + stderr


@pytest.mark.socket
def test_five_clusters_one_decision_each_its_own_verdict(fake_cce: FakeCCE, tmp_path: Path) -> None:
    fake_cce.token = TOKEN
    path = inventory(tmp_path, fake_cce.url)
    code, report, output = run(["--inventory", str(path)], tmp_path)
    verdicts = {c["name"]: (c["verdict"], c["exit_code"]) for c in report["clusters"]}
    assert verdicts == {
        "prod-eu-1": ("blocked", 1),
        "prod-eu-2": ("pass", 0),
        "dev-1": ("pass", 0),
        "live-ok": ("incomplete", 5),  # reached over HTTP: the fake lists no task yet
        "live-no-token": ("config-error", 2),
    }
    assert code == report["exit_code"] == 2 and report["verdict"] == "config-error"
    assert "[5/5]" in output and "prod-eu-1: BLOCKED (2 blocking)" in output
    assert TOKEN not in output and TOKEN not in json.dumps(report)
    assert report["format_version"] == 2 and report["fleet"]["inventory_digest"].startswith("sha")


@pytest.mark.socket
def test_three_shards_merged_equal_the_unsharded_run(fake_cce: FakeCCE, tmp_path: Path) -> None:
    fake_cce.token = TOKEN
    path = inventory(tmp_path, fake_cce.url)
    whole_code, whole, _ = run(["--inventory", str(path)], tmp_path)
    shards = []
    for index in (1, 2, 3):
        _, report, _ = run(["--inventory", str(path), "--shard", f"{index}/3"], tmp_path)
        shard = tmp_path / f"shard{index}.json"
        shard.write_text(json.dumps(report))
        shards.append(str(shard))
    merged_path = tmp_path / "merged.json"
    code, _, _ = invoke(["merge", *shards, "--json", str(merged_path)])
    merged = json.loads(merged_path.read_text())
    assert code == whole_code == merged["exit_code"]
    for data in (whole, merged):
        data["fleet"].pop("shard"), data["fleet"].pop("merged_shards")
    assert merged == whole

    dropped = tmp_path / "dropped.json"
    code, _, stderr = invoke(["merge", shards[0], shards[2], "--json", str(dropped)])
    assert code != 0 and json.loads(dropped.read_text())["exit_code"] == code
    assert "shard(s) 2 of 3 missing" in stderr


def test_selection_matching_nothing_is_incomplete(tmp_path: Path) -> None:
    path = inventory(tmp_path)
    code, report, output = run(["--inventory", str(path), "--select", "env=none"], tmp_path)
    assert code == 5 and report["verdict"] == "incomplete" and "matches no cluster" in output


def test_select_and_cluster_narrow_the_set(tmp_path: Path) -> None:
    path = inventory(tmp_path)
    code, report, _ = run(["--inventory", str(path), "--select", "env=dev"], tmp_path)
    assert [c["name"] for c in report["clusters"]] == ["dev-1"] and code == 0
    code, report, _ = run(["--inventory", str(path), "--cluster", "prod-eu-1"], tmp_path)
    assert [c["name"] for c in report["clusters"]] == ["prod-eu-1"] and code == 1


def test_shards_are_disjoint_and_cover_whatever_the_order() -> None:
    names = [f"cluster-{i}" for i in range(37)]
    for total in (1, 2, 5, 40):
        parts = [shard_of(names, i, total) for i in range(1, total + 1)]
        assert set().union(*parts) == set(names)
        assert sum(len(p) for p in parts) == len(names)
        assert parts == [shard_of(list(reversed(names)), i, total) for i in range(1, total + 1)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  - name: a\n    input: x.json\n  - name: a\n    input: y.json\n", ":6: "),
        ("  - name: a\n    input: x.json\n    token: s3cr3t-value\n", "no secret value"),
        ("  - name: a\n    clusterId: c\n", "needs endpoint or region"),
        ("  - name: a\n    input: x.json\n    tokenEnv: 'not a name!'\n", ":6: "),
    ],
)
def test_bad_inventories_are_config_errors_with_a_line(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text("apiVersion: gate/v1\nkind: Inventory\nclusters:\n" + body)
    code, report, output = run(["--inventory", str(path)], tmp_path)
    assert code == 2 and expected in output
    assert "s3cr3t-value" not in output and "not a name!" not in output


def test_hard_mandatory_is_never_lowered_by_an_inventory(tmp_path: Path) -> None:
    path = inventory(tmp_path)
    text = path.read_text().replace(
        "    input: blocked.json\n",
        "    input: blocked.json\n    enforcement: {no-fatal-risks: advisory}\n",
    )
    path.write_text(text)
    code, report, _ = run(["--inventory", str(path), "--cluster", "prod-eu-1"], tmp_path)
    [cluster] = report["clusters"]
    assert (
        cluster["verdict"] == "config-error" and "cannot be lowered" in cluster["error"]["message"]
    )
    assert code == 2


@pytest.mark.process
def test_the_gitlab_fleet_example_validates_and_shards_on_the_node_index() -> None:
    from ci_support import check_jsonschema, load_yaml

    path = ROOT / "examples" / "gitlab" / "fleet.gitlab-ci.yml"
    result = check_jsonschema("vendor.gitlab-ci", path)
    assert result.returncode == 0, result.stdout + result.stderr
    pipeline = load_yaml(path)
    assert pipeline["gate-shard"]["parallel"] == 3
    assert any("${CI_NODE_INDEX}/${CI_NODE_TOTAL}" in s for s in pipeline["gate-shard"]["script"])
    assert pipeline["gate-merge"]["needs"][0]["job"] == "gate-shard"
    assert any("gate merge" in s for s in pipeline["gate-merge"]["script"])
