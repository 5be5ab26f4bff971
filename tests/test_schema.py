"""The response schema: generated from the spec, enforced by two validators that agree."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from helpers import mutated
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.cli import cli
from gate.schema import RESPONSE_SCHEMA_FILE, SPEC_FILE, generate_from_file, prepare
from gate.validation import SchemaValidator

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLE = json.loads((ROOT / "examples" / "blocked-coredns.json").read_text())


def test_committed_schema_is_what_the_generator_produces() -> None:
    assert (SCHEMAS / RESPONSE_SCHEMA_FILE).read_text() == generate_from_file(SCHEMAS / SPEC_FILE)


def test_schema_command_prints_it_and_check_detects_drift(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((SCHEMAS / RESPONSE_SCHEMA_FILE).read_text())

    spec = tmp_path / SPEC_FILE
    spec.write_text(
        (SCHEMAS / SPEC_FILE)
        .read_text()
        .replace("enum: [Warning, Fatal]", "enum: [Warning, Fatal, Critical]")
    )
    stale = tmp_path / RESPONSE_SCHEMA_FILE
    stale.write_text((SCHEMAS / RESPONSE_SCHEMA_FILE).read_text())
    check = CliRunner().invoke(cli, ["schema", "generate", "--spec", str(spec), "--check"])
    assert check.exit_code == 1 and "out of date" in check.stderr
    regenerate = CliRunner().invoke(cli, ["schema", "generate", "--spec", str(spec)])
    assert regenerate.exit_code == 0
    assert "Critical" in json.dumps(json.loads(stale.read_text())["$defs"]["RiskLevel"])


def to_reference_page_shape(document: dict[str, Any]) -> dict[str, Any]:
    """The reference page's example shape of a one-task response."""
    variant = copy.deepcopy(document)
    task = variant["items"][0]
    task["riskList"] = task["status"].pop("riskList")
    task["metadata"]["createTimestamp"] = task["metadata"].pop("createTimeStamp")
    variant["items"] = task
    return variant


risk_strategy = st.fixed_dictionaries(
    {
        "riskName": st.text(min_size=1, max_size=12),
        "level": st.sampled_from(["Warning", "Fatal"]),
        "status": st.sampled_from(["Init", "Running", "Failed", "Success"]),
        "message": st.text(max_size=20),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(risk_strategy, max_size=8))
def test_normalising_the_reference_page_shape_keeps_every_risk(risks: list[dict[str, str]]) -> None:
    document = copy.deepcopy(EXAMPLE)
    document["items"][0]["status"]["riskList"] = risks
    prepared = prepare(to_reference_page_shape(document), "r.json", strict=False)
    assert prepared.tasks == document["items"]
    assert prepared.layout.risk_path(0, 0) == "items.riskList[0]"
    assert any("riskList" in note for note in prepared.notes)


VALIDATOR = SchemaValidator(json.loads((SCHEMAS / RESPONSE_SCHEMA_FILE).read_text()))
mutations = st.sampled_from(
    [
        ("items", 0, "status", "riskList", 1, "level"),
        ("items", 0, "status", "status"),
        ("items", 0, "metadata", "type"),
        ("items", 0, "metadata", "createTimeStamp"),
        ("items", 0, "metadata", "taskID"),
        ("pageInfo", "currentCount"),
        ("kind",),
    ]
)
values = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(["Fatal", "Success", "addonUpgrade", "2025-08-05T17:10:44+08:00", ""]),
)


@settings(max_examples=200, deadline=None)
@given(mutations, values, st.booleans())
def test_fast_and_explaining_validators_agree(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    import jsonschema

    document = mutated(EXAMPLE, path, value, delete)
    slow = jsonschema.Draft202012Validator(VALIDATOR.schema).is_valid(document)
    assert (VALIDATOR.errors(document) == []) == slow


def test_problems_name_path_value_and_expectation() -> None:
    document = copy.deepcopy(EXAMPLE)
    document["items"][0]["status"]["riskList"][1]["level"] = "Critical"
    del document["items"][0]["metadata"]["addonTemplateName"]
    document["surprise"] = {"extra": True}  # unknown fields are tolerated
    assert VALIDATOR.problems(document) == [
        "items[0].metadata: 'addonTemplateName' is a required property",
        "items[0].status.riskList[1].level: 'Critical' is not one of ['Warning', 'Fatal']",
    ]
