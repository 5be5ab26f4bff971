"""Whatever arrives, gate answers with a documented verdict: never a crash, never a chance pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from helpers import NOW, ROOT, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.errors import ConfigError
from gate.policy import load_policies
from gate.report import Verdict
from gate.run import CheckOptions, configure, guarded, judge

EXAMPLE = json.loads((ROOT / "examples" / "blocked-coredns.json").read_text())
OPTIONS = CheckOptions(now=NOW)
CONFIG = configure(OPTIONS)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


EXAMPLE_PATHS = paths(EXAMPLE)[1:]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLE_PATHS), json_values, st.booleans())
def test_any_mutation_of_a_response_gets_a_documented_verdict(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    document = mutated(EXAMPLE, path, value, delete)
    report = guarded(lambda: judge(document, "r.json", OPTIONS, CONFIG))
    assert report.verdict is not Verdict.INTERNAL_ERROR, report.error
    # the example holds a failed Fatal risk: unless the mutation reached it, it still blocks
    if report.verdict is Verdict.PASS:
        risks = document["items"][0]["status"]["riskList"]
        assert not any(r["level"] == "Fatal" and r["status"] == "Failed" for r in risks)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_document_gets_a_documented_verdict(document: Any) -> None:
    report = guarded(lambda: judge(document, "r.json", OPTIONS, CONFIG))
    assert report.verdict in (Verdict.INVALID_INPUT, Verdict.INCOMPLETE), report.error


POLICY = yaml.safe_load((ROOT / "policies" / "examples" / "required-checks.yaml").read_text())
POLICY_PATHS = paths(POLICY)[1:]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(POLICY_PATHS), json_values, st.booleans())
def test_any_mutation_of_a_policy_loads_or_is_a_config_error(
    tmp_path_factory: Any, path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    policy = mutated(POLICY, path, value, delete)
    file: Path = tmp_path_factory.mktemp("p") / "policy.yaml"
    file.write_text(yaml.safe_dump(policy))
    try:
        load_policies([file])
    except ConfigError as exc:
        assert exc.message.startswith(str(file))
