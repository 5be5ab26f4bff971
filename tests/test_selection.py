"""Choosing what is judged fails closed, and configuration is checked before the input is read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import CLI_ENV, NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.cli import cli
from gate.operators import OPERATORS
from gate.timeutil import CLOCK_SKEW_SECONDS, Instant, parse_expiry, parse_instant

# --- exact times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("2025-08-05T17:10:44.648388123+08:00", "2025-08-05T17:10:44.648388124+08:00"),
        ("2025-08-05T17:10:44.9999999+08:00", "2025-08-05T09:10:45Z"),
        ("2025-08-05T23:59:59.5-01:00", "2025-08-06T00:59:59.6Z"),
        ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59"),
    ],
)
def test_instants_order_exactly_across_offsets_and_fractions(earlier: str, later: str) -> None:
    first, second = parse_instant(earlier), parse_instant(later)
    assert first is not None and second is not None
    assert first < second


def test_one_instant_written_two_ways_is_equal() -> None:
    assert parse_instant("2025-08-05T17:10:44.50+08:00") == parse_instant("2025-08-05t09:10:44.5z")


@pytest.mark.parametrize(
    "text",
    [
        "2025-08-05T17:10:44",  # no offset
        "2025-02-30T00:00:00Z",
        "2025-08-05T24:00:00Z",
        "2025-08-05T23:59:60Z",
        "2025-08-05T17:10:44+24:00",
        "0000-01-01T00:00:00Z",
        "20250805T171044Z",
        "2025-08-05T17:10:44.Z",
        "２０２５-08-05T17:10:44Z",  # full-width digits
    ],
)
def test_what_is_not_an_rfc3339_time_is_none(text: str) -> None:
    assert parse_instant(text) is None


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
@settings(max_examples=100)
def test_an_instant_is_the_datetime_it_writes(moment: datetime, offset_minutes: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert parse_instant(local.isoformat()) == Instant.of(moment)


def test_any_date_a_person_writes_expires_without_overflow() -> None:
    last = parse_expiry("9999-12-31")
    first = parse_expiry("0001-01-01")
    assert last is not None and first is not None
    days = date(9999, 12, 31).toordinal() - date(1970, 1, 1).toordinal() + 1
    assert last == Instant(days * 86_400)
    assert first < last
    assert parse_expiry("9999-12-31T23:59:59-23:59") is not None
    assert parse_expiry("2026-02-30") is None


WITHIN = OPERATORS["withinHours"]
NOW_INSTANT = parse_instant(NOW)


@pytest.mark.parametrize(
    ("created", "holds"),
    [
        ("2025-08-05T00:00:00Z", True),  # exactly 24 hours ago
        ("2025-08-04T23:59:59.999999999Z", False),  # a nanosecond too old
        ("2025-08-06T00:05:00Z", True),  # within the clock skew
        ("2025-08-06T00:05:00.000000001Z", False),  # in the future
        ("2025-08-07T00:00:00Z", False),
    ],
)
def test_within_hours_refuses_times_in_the_future(created: str, holds: bool) -> None:
    assert NOW_INSTANT is not None
    assert WITHIN.test(created, 24.0, NOW_INSTANT) is holds


# --- the newest task per add-on never hides a worse one ------------------------------------------

RISK_SETS = {
    "clean": [{"riskName": "AddonStatus", "level": "Warning", "status": "Success"}],
    "fatal": [{"riskName": "AddonValidate", "level": "Fatal", "status": "Failed"}],
    "warning": [{"riskName": "AddonStatus", "level": "Warning", "status": "Failed"}],
    "running": [{"riskName": "AddonStatus", "level": "Warning", "status": "Running"}],
}
BASE = parse_instant("2025-08-05T00:00:00Z")
assert BASE is not None


def written(nanoseconds: int, offset_minutes: int) -> str:
    """The instant BASE + nanoseconds, written in the given offset with nine fraction digits."""
    seconds, nanos = divmod(nanoseconds, 10**9)
    local = datetime(2025, 8, 5, tzinfo=UTC) + timedelta(seconds=seconds, minutes=offset_minutes)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{nanos:09d}{sign}{hours:02d}:{minutes:02d}"


drawn_tasks = st.lists(
    st.fixed_dictionaries(
        {
            "addon": st.sampled_from(["coredns", "everest"]),
            "instance": st.sampled_from(["uid-1", "uid-2", ""]),
            "type": st.sampled_from(["addonUpgrade", "addonStatic"]),
            # few distinct instants, so that ties and near-ties (a nanosecond apart) are common
            "at": st.sampled_from([0, 1, 999, 10**9, 3600 * 10**9]),
            "offset": st.sampled_from([0, 480, -60, 345]),
            "risks": st.sampled_from(sorted(RISK_SETS)),
        }
    ),
    min_size=1,
    max_size=6,
)


def as_response(drawn: list[dict[str, Any]]) -> dict[str, Any]:
    items = []
    for i, t in enumerate(drawn):
        metadata = {
            "type": t["type"],
            "taskID": f"task-{i}",
            "addonTemplateName": t["addon"],
            "createTimeStamp": written(t["at"], t["offset"]),
        }
        if t["instance"]:
            metadata["addonInstanceID"] = t["instance"]
        risks = RISK_SETS[t["risks"]]
        status = "Failed" if any(r["status"] == "Failed" for r in risks) else "Success"
        items.append(
            {"metadata": metadata, "status": {"status": status, "message": "", "riskList": risks}}
        )
    return {"kind": "AddonCheck", "apiVersion": "v3", "items": items}


def newest_per_addon(drawn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference: every task at the latest instant of its (template, instance, type)."""
    latest: dict[tuple[str, str, str], int] = {}
    for t in drawn:
        key = (t["addon"], t["instance"], t["type"])
        latest[key] = max(latest.get(key, -1), t["at"])
    return [t for t in drawn if latest[(t["addon"], t["instance"], t["type"])] == t["at"]]


def run_check(tmp: Path, document: dict[str, Any], *flags: str) -> int:
    path = tmp / "response.json"
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(cli, ["check", "-i", str(path), *flags], env=CLI_ENV)
    assert "Traceback" not in result.output
    return result.exit_code


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn_tasks)
def test_the_default_selection_judges_like_all_tasks_on_the_newest_instants(
    tmp_path_factory: pytest.TempPathFactory, drawn: list[dict[str, Any]]
) -> None:
    tmp = tmp_path_factory.mktemp("r")
    default = run_check(tmp, as_response(drawn))
    reference = run_check(tmp, as_response(newest_per_addon(drawn)), "--all-tasks")
    assert default == reference
    # and a blocking risk at a newest instant always blocks
    if any(t["risks"] == "fatal" for t in newest_per_addon(drawn)):
        assert default == 1


def test_the_reference_is_not_trivial() -> None:
    # a nanosecond apart: only the later one is newest; the same instant in two offsets: both
    drawn = [
        {"addon": "coredns", "instance": "", "type": "addonUpgrade", "at": 0, "offset": 0},
        {"addon": "coredns", "instance": "", "type": "addonUpgrade", "at": 1, "offset": 0},
        {"addon": "coredns", "instance": "", "type": "addonUpgrade", "at": 1, "offset": 480},
    ]
    assert [t["at"] for t in newest_per_addon(drawn)] == [1, 1]
    assert written(1, 480) == "2025-08-05T08:00:00.000000001+08:00"
    assert parse_instant(written(1, 480)) == Instant(BASE.seconds, "000000001")


def test_a_task_created_beyond_the_clock_skew_is_invalid_input(tmp_path: Path) -> None:
    assert BASE is not None
    now = parse_instant(NOW)
    assert now is not None
    skew = now.seconds - BASE.seconds + CLOCK_SKEW_SECONDS
    ok = [
        {
            "addon": "coredns",
            "instance": "",
            "type": "addonUpgrade",
            "at": skew * 10**9,
            "offset": 0,
            "risks": "clean",
        }
    ]
    assert run_check(tmp_path, as_response(ok)) == 0
    late = [{**ok[0], "at": skew * 10**9 + 1}]
    assert run_check(tmp_path, as_response(late)) == 3


# --- configuration before input ------------------------------------------------------------------

MAX_WARNINGS = "policies/examples/max-warnings.yaml"
BAD_CONFIG = {
    "bad param value": ["--policy", MAX_WARNINGS, "--param", "max_warnings=abc"],
    "infinite param value": ["--policy", MAX_WARNINGS, "--param", "max_warnings=inf"],
    "missing param": ["--policy", "policies/examples/target-version-matches.yaml"],
    "unknown --enforcement policy": ["--enforcement", "nope=advisory"],
    "lowering a hard policy": ["--enforcement", "no-fatal-risks=advisory"],
    "unknown --override policy": ["--override", "nope", "--reason", "r"],
    "overriding a hard policy": ["--override", "no-fatal-risks", "--reason", "r"],
    "overriding a raised policy": [
        "--enforcement", "addon-status-must-pass=hard-mandatory",
        "--override", "addon-status-must-pass", "--reason", "r",
    ],
    "waiving a hard policy": ["--waivers", "tests/cases/waiver-hard-mandatory/waivers.yaml"],
    "reserved policy ID": ["--policy", "tests/cases/policy-reserved-prefix/policy.yaml"],
}  # fmt: skip
BAD_INPUT = {
    "missing file": None,
    "not JSON": "{",
    "not the schema": '{"kind": "AddonCheck", "apiVersion": "v3", "items": [{"metadata": 1}]}',
    "created in the future": json.dumps(
        as_response(
            [
                {
                    "addon": "coredns",
                    "instance": "",
                    "type": "addonUpgrade",
                    "at": 10**18,
                    "offset": 0,
                    "risks": "fatal",
                }
            ]
        )
    ),
    "nothing to judge": '{"kind": "AddonCheck", "apiVersion": "v3", "items": []}',
    "blocking": json.dumps(
        as_response(
            [
                {
                    "addon": "coredns",
                    "instance": "",
                    "type": "addonUpgrade",
                    "at": 0,
                    "offset": 0,
                    "risks": "fatal",
                }
            ]
        )
    ),
}


@pytest.mark.parametrize("config", sorted(BAD_CONFIG))
@pytest.mark.parametrize("document", sorted(BAD_INPUT))
def test_a_configuration_error_wins_whatever_is_wrong_with_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, document: str
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    path = tmp_path / "response.json"
    if BAD_INPUT[document] is not None:
        path.write_text(BAD_INPUT[document] or "")
    args = ["check", "-i", str(path), *BAD_CONFIG[config], "--allow-empty"]
    result = CliRunner().invoke(cli, args, env=CLI_ENV)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
