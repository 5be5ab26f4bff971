"""The policy language: documented operators, and errors that point at the line."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gate.errors import ConfigError
from gate.operators import MISSING, OPERATORS, coerce, reference
from gate.policy import load_policies
from gate.timeutil import Instant

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "policies.md"
MARKER = "<!-- generated from gate/operators.py"
NOW = Instant.of(datetime(2025, 8, 6, tzinfo=UTC))


def test_operator_reference_in_the_docs_is_generated_from_the_code() -> None:
    text = DOC.read_text()
    head = text[: text.index(MARKER)]
    generated = head + text[text.index(MARKER) :].split("\n", 1)[0] + "\n" + reference()
    if os.environ.get("GATE_UPDATE_GOLDEN") == "1":
        DOC.write_text(generated)
        text = generated
    assert text == generated


def test_every_operator_is_documented_and_in_the_policy_schema() -> None:
    schema = json.loads((ROOT / "schemas" / "policy.schema.json").read_text())
    keys = set(schema["$defs"]["condition"]["properties"])
    assert set(OPERATORS) == keys - {"field", "count", "where", "any", "message"}
    for op in OPERATORS.values():
        assert re.search(r"^\s*Passes: ", op.doc, re.M), op.name
        assert re.search(r"^\s*Fails: ", op.doc, re.M), op.name


# (operator, found value, policy value, holds): the docstrings' examples and the edges around them
EXAMPLES: list[tuple[str, Any, Any, bool]] = [
    ("equals", "Fatal", "Fatal", True),
    ("equals", "Warning", "Fatal", False),
    ("equals", MISSING, "Fatal", False),
    ("notEquals", "Success", "Failed", True),
    ("notEquals", "Failed", "Failed", False),
    ("notEquals", MISSING, "Failed", True),
    ("in", "Running", ["Success", "Failed"], False),
    ("in", "Failed", ["Success", "Failed"], True),
    ("notIn", "AddonValidate", ["AddonStatus"], True),
    ("notIn", "AddonStatus", ["AddonStatus"], False),
    ("matches", "set parameterSyncStrategy to force", "parameterSyncStrategy", True),
    ("matches", "addon status(abnormal)", "parameterSyncStrategy", False),
    ("matches", MISSING, ".*", False),
    ("exists", "1.30.33", True, True),
    ("exists", MISSING, True, False),
    ("exists", MISSING, False, True),
    ("atLeast", 1, 1, True),
    ("atLeast", 0, 1, False),
    ("atLeast", "3", 1, False),
    ("atMost", 3, 3, True),
    ("atMost", 4, 3, False),
    ("withinHours", "2025-08-05T23:00:00Z", 24, True),
    ("withinHours", "2025-08-04T00:00:00+08:00", 24, False),
    ("withinHours", "yesterday", 24, False),
    ("withinHours", "2025-08-05T23:00:00", 24, False),
]


@pytest.mark.parametrize(("name", "actual", "value", "holds"), EXAMPLES)
def test_operator_semantics(name: str, actual: Any, value: Any, holds: bool) -> None:
    op = OPERATORS[name]
    assert op.test(actual, coerce(op, value), NOW) is holds


def test_every_operator_has_a_passing_and_a_failing_example() -> None:
    for name in OPERATORS:
        assert {holds for op, _, _, holds in EXAMPLES if op == name} == {True, False}, name


POLICY = """apiVersion: gate/v1
kind: Policy
metadata:
  name: sample
spec:
  enforcement: soft-mandatory
  scope: {scope}
  assert:
    - {condition}
"""


@pytest.mark.parametrize(
    ("scope", "condition", "error"),
    [
        (
            "task",
            "{field: risk.level, equals: Fatal}",
            ":9: spec.assert[0].field: 'risk.level': in this scope a field starts with task",
        ),
        (
            "task",
            "{count: tasks, atLeast: 1}",
            ":9: spec.assert[0].count: 'count: tasks' needs a cluster-scope policy",
        ),
        (
            "risk",
            "{field: risk.level, equals: Fatal, in: [Fatal]}",
            ":9: spec.assert[0]: a condition needs exactly one operator",
        ),
        (
            "risk",
            "{field: risk.level, where: [], equals: Fatal}",
            ":9: spec.assert[0]: 'where' belongs to a 'count' condition",
        ),
        (
            "risk",
            "{field: risk.message, matches: '(unclosed'}",
            ":9: spec.assert[0].matches: matches: invalid regular expression",
        ),
        (
            "risk",
            "{field: risk.level, startsWith: F}",
            ":9: spec.assert[0]: Additional properties are not allowed "
            "('startsWith' was unexpected)",
        ),
        (
            "cluster",
            "{field: task.metadata.type, equals: addonUpgrade}",
            ":9: spec.assert[0]: a cluster-scope policy tests 'count' conditions",
        ),
        (
            "risk",
            "{count: risks, atMost: many}",
            ":9: spec.assert[0].atMost: atMost needs a number, got 'many'",
        ),
    ],
)
def test_policy_errors_name_file_line_and_path(
    tmp_path: Path, scope: str, condition: str, error: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.format(scope=scope, condition=condition))
    with pytest.raises(ConfigError) as caught:
        load_policies([path])
    assert caught.value.message.startswith(str(path) + error)


def test_a_policy_cannot_build_python_objects(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("!!python/object/apply:os.system ['touch /tmp/gate-pwned']\n")
    with pytest.raises(ConfigError) as caught:
        load_policies([path])
    assert caught.value.message == (
        f"{path}:1: tag !!python/object/apply:os.system is not allowed: gate reads plain data only"
    )
    assert not Path("/tmp/gate-pwned").exists()


def test_one_file_may_hold_several_policies_but_ids_are_unique(tmp_path: Path) -> None:
    one = POLICY.format(scope="risk", condition="{field: risk.level, notEquals: Fatal}")
    path = tmp_path / "p.yaml"
    path.write_text(one + "---\n" + one.replace("name: sample", "name: other"))
    assert [p.id for p in load_policies([path])] == ["sample", "other"]
    path.write_text(one + "---\n" + one)
    with pytest.raises(ConfigError, match="policy 'sample' is already defined at .*p.yaml:1"):
        load_policies([path])
