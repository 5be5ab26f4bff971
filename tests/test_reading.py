"""Reading the response: every odd input gets its documented answer through the real CLI."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import CLI_ENV, ROOT, mutated
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gate import source
from gate.cli import cli
from gate.errors import InvalidInput
from gate.schema import prepare, response_validator
from gate.source import MAX_DEPTH
from gate.validation import MAX_PROBLEMS, MAX_SHOWN, SchemaValidator

EXAMPLE_TEXT = (ROOT / "examples" / "blocked-coredns.json").read_text()
EXAMPLE = json.loads(EXAMPLE_TEXT)


def passing() -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    task = document["items"][0]
    task["status"]["status"] = "Success"
    for risk in task["status"]["riskList"]:
        risk["status"] = "Success"
    return document


def run(data: bytes, *flags: str, tmp: Path) -> tuple[int, str, dict[str, Any]]:
    """(exit code, all output, the JSON report) of ``gate check`` on ``data``."""
    path, report = tmp / "response.json", tmp / "report.json"
    path.write_bytes(data)
    result = CliRunner().invoke(
        cli, ["check", "-i", str(path), "--json", str(report), *flags], env=CLI_ENV
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    return result.exit_code, output, json.loads(report.read_text())


def error_of(data: bytes, tmp: Path, *flags: str) -> str:
    code, _, report = run(data, *flags, tmp=tmp)
    assert code == 3, report
    return "\n".join([report["error"]["message"], *report["error"]["details"]])


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


# --- bytes and text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "response.json: empty, not a JSON response"),
        (b" \n\t\n", "response.json: empty, not a JSON response"),
        (b'{"a": 1,\n "b": \x00}', "response.json:2:7: a NUL byte: not JSON text"),
        (
            b'{"kind": "AddonCheck",\n  "x": "caf\xe9"}',
            "response.json:2:12: byte 0xe9 is not UTF-8: JSON must be UTF-8",
        ),
        (
            '{"k": "\u00e9\u00e9"}\n'.encode() + b"\xff",
            "response.json:2:1: byte 0xff is not UTF-8",
        ),
        (b"\xef\xbb\xbf{}", "response.json: starts with a UTF-8 byte-order mark"),
        ('{"kind": 1}'.encode("utf-16"), "response.json: is UTF-16-LE text (with a byte-order"),
        ('{"kind": 1}'.encode("utf-16-be"), "response.json: is UTF-16-BE text: JSON must be"),
        ('{"kind": 1}'.encode("utf-16-le"), "response.json: is UTF-16-LE text: JSON must be"),
        ('{"kind": 1}'.encode("utf-32"), "response.json: is UTF-32-LE text (with a byte-order"),
        ('{"kind": 1}'.encode("utf-32-be"), "response.json: is UTF-32-BE text: JSON must be"),
        ("7".encode("utf-16-le"), "response.json: is UTF-16-LE text: JSON must be"),
        (b"[\x00]", "response.json:1:2: a NUL byte: not JSON text"),
        (b"[1,\n NaN]", "response.json:2:2: NaN is not a JSON number"),
        (b'{"a": -Infinity}', "response.json:1:7: -Infinity is not a JSON number"),
        (b'{"a": "NaN", "b": Infinity}', "response.json:1:19: Infinity is not a JSON number"),
        (b'{"a": 1e400}', "response.json:1:7: the number '1e400' is too large to read"),
        (b'{"a": [0.5, -2E+999]}', "response.json:1:13: the number '-2E+999' is too large"),
        (b'{"a": ' + b"7" * 5000 + b"}", "response.json:1:7: an integer of 5000 digits is too"),
        (b'{"a": "\\ud800"}', "response.json:1:8: a lone surrogate escape (\\ud800)"),
        (b'{"a": "x\\udc00y"}', "response.json:1:9: a lone surrogate escape (\\udc00)"),
        (b'{"a": "\\udc00\\ud800"}', "response.json:1:8: a lone surrogate escape (\\udc00)"),
        (b'{"a": "\\ud83d x"}', "response.json:1:8: a lone surrogate escape (\\ud83d)"),
        (b'{"\\uDBFF": 1}', "response.json:1:3: a lone surrogate escape (\\uDBFF)"),
        (b'{"a": 1,}', "response.json:1:9: not valid JSON: Expecting property name"),
        (b'{"a": "x\ty"}', "response.json:1:9: not valid JSON: Invalid control character"),
        (
            b"\n  <html><body>502 Bad Gateway</body></html>",
            "response.json:2:3: not valid JSON: Expecting value (it looks like HTML or XML: a "
            "proxy's or gateway's page?)",
        ),
    ],
)
def test_odd_bytes_are_invalid_input_with_where(data: bytes, expected: str, tmp_path: Path) -> None:
    assert error_of(data, tmp_path).startswith(str(tmp_path / expected))


def test_escapes_that_are_no_lone_surrogates_are_read(tmp_path: Path) -> None:
    document = passing()
    risk = document["items"][0]["status"]["riskList"][0]
    risk["message"] = "\U0001f600, \x1b[31m and a backslash before u: \\ud800"
    data = json.dumps(document).encode()  # ensure_ascii: the emoji is a \ud83d\ude00 pair
    assert b"\\ud83d\\ude00" in data and b"\\\\ud800" in data
    code, _, report = run(data, tmp=tmp_path)
    assert (code, report["verdict"]) == (0, "pass")


def nested(depth: int) -> Any:
    """A value with ``depth`` levels of arrays and objects, the innermost an object."""
    value: Any = {"x": 1}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"deeper": value}
    return value


def level_opening(text: str, level: int) -> int:
    """The column of the bracket that opens ``level`` (the example has no bracket in a string)."""
    depth = 0
    for offset, char in enumerate(text):
        depth += (char in "[{") - (char in "]}")
        if depth == level:
            return offset + 1
    raise AssertionError(f"no level {level}")


def test_nesting_is_read_to_the_bound_and_refused_beyond_it(tmp_path: Path) -> None:
    document = passing()
    # the value sits one level below the document object
    document["extra"] = nested(MAX_DEPTH - 1)
    code, _, report = run(compact(document), tmp=tmp_path)
    assert (code, report["verdict"]) == (0, "pass")

    # the parser's own count may let one or two levels more through, never three
    document["extra"] = nested(MAX_DEPTH + 2)
    text = compact(document).decode()
    assert error_of(text.encode(), tmp_path) == (
        f"{tmp_path / 'response.json'}:1:{level_opening(text, MAX_DEPTH + 1)}: "
        f"nested more than {MAX_DEPTH} levels deep"
    )


@pytest.mark.parametrize("innermost", [{"x": 1}, [1]])
def test_where_the_parser_ignores_the_recursion_limit_a_walk_keeps_the_bound_exactly(
    innermost: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "PARSER_HONOURS_RECURSION_LIMIT", False)  # CPython 3.12+
    document = passing()
    value = innermost
    for _ in range(MAX_DEPTH - 2):
        value = [value]
    document["extra"] = value  # MAX_DEPTH levels with the document's own
    code, _, report = run(compact(document), tmp=tmp_path)
    assert (code, report["verdict"]) == (0, "pass")
    document["extra"] = [value]
    text = compact(document).decode()
    assert error_of(text.encode(), tmp_path) == (
        f"{tmp_path / 'response.json'}:1:{level_opening(text, MAX_DEPTH + 1)}: "
        f"nested more than {MAX_DEPTH} levels deep"
    )


def test_deeper_than_counts_the_document_as_level_one() -> None:
    assert not source.deeper_than(1, 0)
    assert not source.deeper_than({}, 1) and source.deeper_than({}, 0)
    assert not source.deeper_than({"a": [[], {"b": 1}]}, 3)
    assert source.deeper_than({"a": [[], {"b": {}}]}, 3)


def test_very_deep_nesting_costs_no_recursion(tmp_path: Path) -> None:
    data = b"[" * 200_000 + b"]" * 200_000
    assert error_of(data, tmp_path).endswith(
        f":1:{MAX_DEPTH + 1}: nested more than 100 levels deep"
    )


def test_a_folder_and_a_terminal_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = CliRunner().invoke(cli, ["check", "-i", str(tmp_path)], env=CLI_ENV)
    assert folder.exit_code == 2 and "is a folder, not a response file" in folder.output
    monkeypatch.setattr(source, "stdin_is_terminal", lambda: True)
    terminal = CliRunner().invoke(cli, ["check", "-i", "-"], env=CLI_ENV)
    assert terminal.exit_code == 2
    assert "<stdin>: is a terminal, not a response: pipe one in" in terminal.output


# --- nothing is read two ways -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"level": "Fatal"',
            '"level": "Fatal", "level": "Warning"',
            "items[0].status.riskList[1]: the key 'level' appears twice in one object",
        ),
        ('"kind": "AddonCheck"', '"kind": "AddonCheck", "kind": "AddonCheck"', "$: the key 'kind'"),
        ('"spec": {', '"spec": {"x": 1, "x": 1, ', "items[0].spec: the key 'x' appears twice"),
    ],
)
def test_a_key_twice_is_invalid_input_naming_path_and_key(
    old: str, new: str, expected: str, tmp_path: Path
) -> None:
    assert old in EXAMPLE_TEXT
    message = error_of(EXAMPLE_TEXT.replace(old, new, 1).encode(), tmp_path)
    assert message.startswith(f"{tmp_path / 'response.json'}: {expected}")


def test_the_first_duplicate_in_document_order_is_named(tmp_path: Path) -> None:
    data = b'{"a": [{"b": {"c": 1, "c": 2}}, {"d": 1, "d": 1}], "a": 1}'
    assert error_of(data, tmp_path).endswith(
        ": $: the key 'a' appears twice in one object (which of the two counts would be a guess)"
    )
    data = b'{"a": [{"b": {"c": 1, "c": 2}}, {"d": 1, "d": 1}]}'
    assert ": a[0].b: the key 'c' appears twice" in error_of(data, tmp_path)


# --- a response is a response -----------------------------------------------------------------


def gate_report(tmp_path: Path) -> bytes:
    code, _, _ = run(EXAMPLE_TEXT.encode(), tmp=tmp_path)
    assert code == 1
    return (tmp_path / "report.json").read_bytes()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"error_code": "APIGW.0301", "error_msg": "token expires", "request_id": "r1"},
            "this is an API error body: APIGW.0301 token expires",
        ),
        (
            {"errorCode": "CCE.01400001", "errorMessage": "Invalid request."},
            "this is an API error body: CCE.01400001 Invalid request.",
        ),
        (
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "message": "not found",
                "reason": "NotFound",
                "code": 404,
            },
            "this is an API error body: 404 not found",
        ),
        (
            {"kind": "Addon", "apiVersion": "v3", "items": []},
            "kind is 'Addon', not AddonCheck: another API's answer (the add-on instance listing, "
            "GET /api/v3/addons)",
        ),
        (
            {"kind": "AddonCheck", "apiVersion": "v3", "status": {"items": []}},
            "it has a top-level spec or status, as one check has (the answer of "
            "BatchCreateAddonPrecheck, a cluster upgrade precheck), not a list of check tasks",
        ),
        ([], "the document is an array, not an object"),
        (None, "the document is null, not an object"),
        ("items", "the document is a string, not an object"),
    ],
)
def test_other_documents_are_invalid_input_with_a_hint(
    document: Any, expected: str, tmp_path: Path
) -> None:
    message = error_of(compact(document), tmp_path, "--allow-empty")
    assert message == (
        f"{tmp_path / 'response.json'}: not a ListAddonPrecheckTasks response: {expected}"
    )


def test_a_gate_report_is_not_a_response(tmp_path: Path) -> None:
    message = error_of(gate_report(tmp_path), tmp_path, "--allow-empty")
    assert message.endswith(
        "not a ListAddonPrecheckTasks response: this is a gate report, not a response"
    )


def test_allow_empty_needs_a_response_that_lists_no_task(tmp_path: Path) -> None:
    message = error_of(b"{}", tmp_path, "--allow-empty")
    assert message.splitlines()[1:] == [
        "$: 'kind' is a required property",
        "$: 'apiVersion' is a required property",
    ]
    empty = {"kind": "AddonCheck", "apiVersion": "v3", "items": []}
    code, _, report = run(compact(empty), "--allow-empty", tmp=tmp_path)
    assert (code, report["verdict"]) == (0, "pass")
    code, _, report = run(compact(empty), tmp=tmp_path)
    assert (code, report["verdict"]) == (5, "incomplete")


# --- the reference page's shape, without loss -------------------------------------------------


def page_shape(
    inside: Any = "absent", outside: Any = "absent", single: bool = True
) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    task = document["items"][0]
    risks = task["status"].pop("riskList")
    if inside == "risks":
        inside = risks[:1]
    if outside == "risks":
        outside = risks[1:]
    if inside != "absent":
        task["status"]["riskList"] = inside
    if outside != "absent":
        task["riskList"] = outside
    task["metadata"]["createTimestamp"] = task["metadata"].pop("createTimeStamp")
    if single:
        document["items"] = task
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            page_shape(outside={"riskName": "x"}),
            "items.riskList: {'riskName': 'x'} is not a list of risks",
        ),
        (
            page_shape(outside="Fatal", single=False),
            "items[0].riskList: 'Fatal' is not a list of risks",
        ),
        (
            page_shape(inside={"riskName": "x"}, outside="risks"),
            "items: risks beside status and a status.riskList that is {'riskName': 'x'}, not a "
            "list: they cannot be read together without losing one",
        ),
    ],
)
def test_misplaced_risks_that_cannot_be_read_are_refused(
    document: dict[str, Any], expected: str, tmp_path: Path
) -> None:
    assert error_of(compact(document), tmp_path) == f"{tmp_path / 'response.json'}: {expected}"


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("riskList",), "riskList"),
        (("items", 0, "metadata", "riskList"), "items[0].metadata.riskList"),
        (("items", 0, "spec", "riskList"), "items[0].spec.riskList"),
    ],
)
def test_risks_where_no_reader_looks_are_refused(
    path: tuple[Any, ...], where: str, tmp_path: Path
) -> None:
    document = mutated(passing(), path, EXAMPLE["items"][0]["status"]["riskList"], delete=False)
    assert error_of(compact(document), tmp_path) == (
        f"{tmp_path / 'response.json'}: {where}: risks here are read by no one (they belong in "
        "items[].status.riskList)"
    )


def test_two_create_times_are_one_or_refused(tmp_path: Path) -> None:
    document = page_shape(outside="risks", inside="risks")
    metadata = document["items"]["metadata"]
    metadata["createTimeStamp"] = metadata["createTimestamp"]
    code, _, report = run(compact(document), tmp=tmp_path)
    assert code == 1
    assert "normalised: items.metadata.createTimestamp equals createTimeStamp" in report["notes"]
    # both risks are judged, each at the place it was received
    assert {f["path"] for f in report["findings"]} == {
        "items.status.riskList[0]",
        "items.riskList[0]",
    }
    metadata["createTimeStamp"] = "2025-08-05T17:10:45+08:00"
    assert error_of(compact(document), tmp_path).endswith(
        "items.metadata: createTimestamp '2025-08-05T17:10:44.648388+08:00' and createTimeStamp "
        "'2025-08-05T17:10:45+08:00' differ: which is the task's time is a guess"
    )


def test_error_paths_name_the_place_as_received(tmp_path: Path) -> None:
    document = page_shape(outside="risks", inside="risks")
    task = document["items"]
    task["riskList"][0]["level"] = "Critical"
    task["riskList"][0]["riskName"] = ""
    task["status"]["riskList"][0]["status"] = "Passed"
    task["metadata"]["createTimestamp"] = "yesterday"
    assert error_of(compact(document), tmp_path).splitlines()[1:] == [
        "items.metadata.createTimestamp: 'yesterday' does not match "
        "'^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]{1,9})?([Zz]|[+-]"
        "[0-9]{2}:[0-9]{2})$'",
        "items.status.riskList[0].status: 'Passed' is not one of ['Init', 'Running', 'Failed', "
        "'Success']",
        "items.riskList[0].level: 'Critical' is not one of ['Warning', 'Fatal']",
        "items.riskList[0].riskName: '' should be non-empty",
    ]
    task = page_shape(outside="risks")["items"]
    task["metadata"]["createTimestamp"] = "2025-02-30T00:00:00Z"
    assert error_of(compact({**EXAMPLE, "items": task}), tmp_path).splitlines()[1:] == [
        "items.metadata.createTimestamp: '2025-02-30T00:00:00Z' is not a valid time"
    ]


# --- bounded messages -------------------------------------------------------------------------


def test_errors_are_capped_and_values_clipped(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE)
    task = document["items"][0]
    document["items"] = [copy.deepcopy(task) for _ in range(400)]
    for each in document["items"]:
        for risk in each["status"]["riskList"]:
            risk["level"] = "L" * 10_000
    lines = error_of(compact(document), tmp_path).splitlines()
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert (
        lines[1] == f"items[0].status.riskList[0].level: '{'L' * MAX_SHOWN}…' is not one of "
        "['Warning', 'Fatal']"
    )
    assert (
        lines[MAX_PROBLEMS] == f"items[24].status.riskList[1].level: '{'L' * MAX_SHOWN}…' "
        "is not one of ['Warning', 'Fatal']"
    )
    assert lines[-1] == f"... and more (only the first {MAX_PROBLEMS} are listed)"


def test_one_bad_task_among_many_is_found_at_its_place(tmp_path: Path) -> None:
    document = copy.deepcopy(EXAMPLE)
    document["items"] = [copy.deepcopy(document["items"][0]) for _ in range(3000)]
    document["items"][2999]["status"]["riskList"][1]["level"] = ["Fatal"] * 1000
    assert error_of(compact(document), tmp_path).splitlines()[1:] == [
        "items[2999].status.riskList[1].level: ['Fatal', 'Fatal', 'Fatal', 'Fatal', ...] is not "
        "of type 'string'",
        "items[2999].status.riskList[1].level: ['Fatal', 'Fatal', 'Fatal', 'Fatal', ...] is not "
        "one of ['Warning', 'Fatal']",
    ]


# --- properties -------------------------------------------------------------------------------

risk = st.fixed_dictionaries(
    {
        "riskName": st.sampled_from(["AddonStatus", "AddonValidate", "HelmTemplateCheck"]),
        "level": st.sampled_from(["Warning", "Fatal"]),
        "status": st.sampled_from(["Init", "Running", "Failed", "Success"]),
    }
)
risk_lists = st.one_of(st.just("absent"), st.none(), st.lists(risk, max_size=3))
task_shapes = st.tuples(risk_lists, st.one_of(st.just("absent"), st.lists(risk, max_size=3)))


def received(shapes: list[tuple[Any, Any]], single: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document with risks inside and beside status, and each risk by its received path."""
    items, risks = [], {}
    for index, (inside, outside) in enumerate(shapes):
        task = copy.deepcopy(EXAMPLE["items"][0])
        task["metadata"]["addonInstanceID"] = f"instance-{index}"
        del task["status"]["riskList"]
        where = "items" if single else f"items[{index}]"
        for key, value, base in (
            ("inside", inside, f"{where}.status.riskList"),
            ("outside", outside, f"{where}.riskList"),
        ):
            if value == "absent":
                continue
            (task["status"] if key == "inside" else task)["riskList"] = value
            risks.update({f"{base}[{j}]": r for j, r in enumerate(value or [])})
        items.append(task)
    document = {"kind": "AddonCheck", "apiVersion": "v3", "items": items[0] if single else items}
    return document, risks


@settings(max_examples=60, deadline=None)
@given(st.lists(task_shapes, min_size=1, max_size=3), st.booleans())
def test_every_risk_received_is_judged_at_its_received_place(
    shapes: list[tuple[Any, Any]], single: bool
) -> None:
    document, risks = received(shapes[:1] if single else shapes, single)
    prepared = prepare(copy.deepcopy(document), "r.json", strict=False)
    judged = {
        prepared.layout.risk_path(i, j): r
        for i, task in enumerate(prepared.tasks)
        for j, r in enumerate(task["status"].get("riskList") or [])
    }
    assert judged == risks


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(task_shapes, min_size=1, max_size=3), st.booleans())
def test_every_failed_fatal_or_unfinished_risk_reaches_the_report(
    tmp_path: Path, shapes: list[tuple[Any, Any]], single: bool
) -> None:
    document, risks = received(shapes[:1] if single else shapes, single)
    code, _, report = run(compact(document), tmp=tmp_path)
    fatal = {p for p, r in risks.items() if r["level"] == "Fatal" and r["status"] == "Failed"}
    running = {p for p, r in risks.items() if r["status"] in ("Init", "Running")}
    findings = {f["path"] for f in report["findings"] if f["policy"] == "no-fatal-risks"}
    assert findings == fatal
    assert {p["path"] for p in report["pending"]} >= running
    if fatal:
        assert code == 1


def reference_passes(data: bytes) -> bool:
    """A plain judgement: strict UTF-8 JSON, one value per key, every task and risk Success."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate")
        return dict(pairs)

    def finite(literal: str) -> float:
        if not math.isfinite(float(literal)):
            raise ValueError(literal)
        return float(literal)

    try:
        document = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=unique,
            parse_constant=finite,
            parse_float=finite,
        )
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # lone surrogates fail here
        items = document["items"]
        items = [items] if isinstance(items, dict) else items
        tasks_pass = [
            task["status"]["status"] == "Success"
            and all(
                r["status"] == "Success"
                for r in [*(task.get("riskList") or []), *(task["status"].get("riskList") or [])]
            )
            for task in items
        ]
    except (ValueError, RecursionError, TypeError, KeyError, AttributeError):
        return False
    return document.get("kind") == "AddonCheck" and bool(tasks_pass) and all(tasks_pass)


PASSING_TEXT = json.dumps(passing(), indent=1).encode()
HOSTILE = [
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"NaN",
    b"1e999",
    b"\\ud800",
    b'"',
    b"{",
    b"[" * 150,
    b'"status": "Success", ',
    b'"kind": "Addon", ',
    b"9" * 5000,
    b"\r\n",
    b"\\",
]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(PASSING_TEXT)),
            st.integers(0, 8),
            st.one_of(st.sampled_from(HOSTILE), st.binary(max_size=6)),
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["utf-8", "utf-16", "utf-32-be", "latin-1"]),
)
def test_hostile_bytes_never_crash_and_pass_only_when_a_plain_reading_passes(
    tmp_path: Path, edits: list[tuple[int, int, bytes]], encoding: str
) -> None:
    data = PASSING_TEXT
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    if encoding != "utf-8":
        data = data.decode("utf-8", errors="replace").encode(encoding, errors="replace")
    code, output, report = run(data, tmp=tmp_path)
    event(f"exit {code}")
    assert code in (0, 1, 3, 5) and report["exit_code"] == code, output
    if code == 0:
        assert reference_passes(data), output


def test_an_input_beyond_the_size_bound_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_BYTES", 1000)
    monkeypatch.setattr(source, "_CHUNK", 64)
    message = error_of(b" " * 1001, tmp_path)
    assert message == f"{tmp_path / 'response.json'}: more than 1,000 bytes: refused unread"
    assert error_of(b" " * 1000, tmp_path).endswith("response.json: empty, not a JSON response")


# Objects as lists of pairs, so that a key may come twice, as it can in a text.
trees = st.recursive(
    st.none() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.builds(tuple, st.lists(st.tuples(st.sampled_from("abc"), inner), max_size=3))
    ),
    max_leaves=10,
)


def dumped(tree: Any) -> str:
    if isinstance(tree, tuple):
        return "{" + ",".join(f"{json.dumps(k)}:{dumped(v)}" for k, v in tree) + "}"
    if isinstance(tree, list):
        return "[" + ",".join(dumped(v) for v in tree) + "]"
    return json.dumps(tree)


def first_twice(tree: Any, path: str = "$") -> str | None:
    """The reference: the first object, in document order, that holds a key twice."""
    children: list[tuple[str, Any]] = []
    if isinstance(tree, tuple):
        keys = [k for k, _ in tree]
        twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if twice is not None:
            return f"{path}: the key {twice!r}"
        children = [(k if path == "$" else f"{path}.{k}", v) for k, v in tree]
    elif isinstance(tree, list):
        children = [(f"{'' if path == '$' else path}[{i}]", v) for i, v in enumerate(tree)]
    for child_path, child in children:
        found = first_twice(child, child_path)
        if found:
            return found
    return None


@settings(max_examples=60, deadline=None)
@given(trees)
def test_a_duplicate_anywhere_is_named_by_its_first_path(tree: Any) -> None:
    text = dumped(tree).encode()
    expected = first_twice(tree)
    if expected is None:
        assert source.parse(text, "r.json") == json.loads(text)
        return
    with pytest.raises(InvalidInput) as refused:
        source.parse(text, "r.json")
    assert refused.value.message.startswith(f"r.json: {expected} appears twice in one object")


def test_without_jsonschema_rs_the_answers_are_the_same() -> None:
    validator = response_validator()
    slow = SchemaValidator(validator.schema)
    slow._fast = None
    document = copy.deepcopy(EXAMPLE)
    assert slow.is_valid(document) and validator.is_valid(document)
    document["items"][0]["status"]["riskList"][0]["level"] = "Critical"
    assert not slow.is_valid(document)
    assert (
        slow.problems(document)
        == validator.problems(document)
        == ["items[0].status.riskList[0].level: 'Critical' is not one of ['Warning', 'Fatal']"]
    )


def test_a_task_field_finding_names_the_field_as_received(tmp_path: Path) -> None:
    policy = ROOT / "policies" / "examples" / "results-fresh.yaml"
    flags = ("--policy", str(policy), "--param", "max_age_hours=12")
    code, _, report = run(compact(page_shape(outside="risks")), *flags, tmp=tmp_path)
    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["items.metadata.createTimestamp"]


def test_a_huge_task_count_is_clipped_in_its_note(tmp_path: Path) -> None:
    text = EXAMPLE_TEXT.replace('"currentCount": 1', '"currentCount": ' + "9" * 4000)
    code, _, report = run(text.encode(), tmp=tmp_path)
    assert code == 1
    note = next(n for n in report["notes"] if n.startswith("pageInfo"))
    assert len(note) < 200 and note.endswith("9 but 1 tasks are listed")
