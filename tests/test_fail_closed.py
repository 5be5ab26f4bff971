"""Properties of the verdict over random responses: nothing unfinished or Fatal ever passes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.engine import Settings, evaluate, make_config
from gate.policy import load_policies
from gate.report import Verdict
from gate.schema import prepare
from gate.timeutil import Instant

POLICIES = load_policies([])
STATUSES = ["Init", "Running", "Failed", "Success"]

risks = st.lists(
    st.fixed_dictionaries(
        {
            "riskName": st.sampled_from(["AddonStatus", "AddonValidate", "HelmTemplateCheck"]),
            "level": st.sampled_from(["Warning", "Fatal"]),
            "status": st.sampled_from(STATUSES),
        }
    ),
    max_size=4,
)
tasks = st.lists(
    st.fixed_dictionaries(
        {
            "addon": st.sampled_from(["coredns", "everest"]),
            "instance": st.sampled_from(["a", "b", ""]),
            "type": st.sampled_from(["addonUpgrade", "addonStatic"]),
            "status": st.sampled_from(STATUSES),
            "hour": st.integers(min_value=0, max_value=23),
            "risks": risks,
        }
    ),
    max_size=6,
)


def response(drawn: list[dict[str, Any]]) -> dict[str, Any]:
    items = []
    for i, t in enumerate(drawn):
        metadata = {
            "type": t["type"],
            "taskID": f"task-{i}",
            "addonTemplateName": t["addon"],
            "createTimeStamp": f"2025-08-05T{t['hour']:02d}:00:00+08:00",
        }
        if t["instance"]:
            metadata["addonInstanceID"] = t["addon"] + t["instance"]
        items.append(
            {
                "metadata": metadata,
                "status": {"status": t["status"], "message": "", "riskList": t["risks"]},
            }
        )
    return {"kind": "AddonCheck", "apiVersion": "v3", "items": items}


@settings(max_examples=120, deadline=None)
@given(tasks, st.booleans())
def test_verdict_never_passes_what_it_should_not(
    drawn: list[dict[str, Any]], all_tasks: bool
) -> None:
    prepared = prepare(response(drawn), "r.json", strict=False)
    now = Instant.of(datetime(2025, 8, 6, tzinfo=UTC))
    config = make_config(POLICIES, [], Settings(now=now, all_tasks=all_tasks))
    report = evaluate(prepared.tasks, prepared.layout, config)
    judged = [prepared.tasks[int(t.task_id.split("-")[1])] for t in report.judged]
    judged_risks = [r for t in judged for r in t["status"]["riskList"]]

    fatal = any(r["level"] == "Fatal" and r["status"] == "Failed" for r in judged_risks)
    silent_failure = any(
        t["status"]["status"] == "Failed"
        and not any(r["status"] == "Failed" for r in t["status"]["riskList"])
        for t in judged
    )
    unfinished = not judged or any(
        status in ("Init", "Running")
        for status in [t["status"]["status"] for t in judged] + [r["status"] for r in judged_risks]
    )
    if fatal or silent_failure:
        assert report.verdict is Verdict.BLOCKED
    elif unfinished:
        assert report.verdict in (Verdict.BLOCKED, Verdict.INCOMPLETE)
    if report.verdict is Verdict.PASS:
        assert judged and not fatal and not unfinished and not silent_failure
    # every task is judged or superseded, never lost
    assert len(report.judged) + len(report.superseded) == len(drawn)
    if all_tasks:
        assert len(report.judged) == len(drawn)
    # by default: every task at the newest instant of its add-on (template, instance, type)
    if not all_tasks:
        newest: dict[tuple[str, str, str], int] = {}
        for t in drawn:
            key = (t["addon"], t["instance"], t["type"])
            newest[key] = max(newest.get(key, -1), t["hour"])
        expected = sum(
            1 for t in drawn if newest[(t["addon"], t["instance"], t["type"])] == t["hour"]
        )
        assert len(report.judged) == expected
