"""Policy unit tests (``gate test``): test files in, case results and coverage gaps out.

A test file (``*.gate-test.yaml``, checked against ``schemas/policy-test.schema.json``) names the
policies under test and lists cases: a response fixture, the run's settings, and what the run
must decide. Each case is judged the way ``gate check`` judges (:func:`gate.run.configure`, then
:func:`gate.run.judge`), with a :class:`~gate.engine.Trace` that says what each policy's
``match`` selected and which ``assert`` conditions failed, so that:

* expecting ``pass`` fails when the policy's match selected nothing (no vacuous pass; a case
  says ``notApplicable`` when that is what it means);
* every finding must be expected: a policy the case does not list makes none;
* ``--require-coverage`` can name each policy without a case where it makes a finding or one
  where it applies and passes, and each ``assert`` condition that fails in no case.

Everything a case refers to is checked when the file is loaded (schema, policies, waivers,
fixture files exist, policy IDs in expectations): such a problem is an invalid test file, a
:class:`~gate.errors.ConfigError` naming ``file:line``. The content of a fixture is read when the
case runs, so a case may expect ``invalid-input``.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate import run
from gate.display import cut, one_line
from gate.engine import Trace, check_waivers, make_config
from gate.errors import ConfigError
from gate.policy import BUILTIN_IDS, TEST_FILE_SUFFIXES, Policy, load_policies
from gate.report import EXIT_CODES, Finding, Outcome, Report, Verdict, Waiver
from gate.resources import schema_path
from gate.source import read_response
from gate.timeutil import parse_expiry
from gate.validation import load_schema, message
from gate.waivers import load_waivers
from gate.yamlfile import Document, single_document

__all__ = [
    "PASS",
    "NOT_APPLICABLE",
    "Case",
    "CaseResult",
    "Expect",
    "ExpectedFinding",
    "TestFile",
    "coverage",
    "discover",
    "exit_code",
    "load",
    "load_test_file",
    "run_case",
    "run_files",
]

PASS = "pass"
NOT_APPLICABLE = "notApplicable"
# how much of a finding's message a failure shows
MESSAGE_CHARS = 160
# how many lines of an unexpected error's detail a failure shows
MAX_DETAILS = 5


@dataclass(frozen=True)
class ExpectedFinding:
    """A finding a case expects; a field left as None matches any value."""

    addon: str | None = None
    risk: str | None = None
    outcome: Outcome | None = None
    message: str | None = None

    def fits(self, finding: Finding) -> bool:
        return (
            (self.addon is None or (finding.task is not None and finding.task.addon == self.addon))
            and (self.risk is None or (finding.risk is not None and finding.risk.name == self.risk))
            and (self.outcome is None or finding.outcome is self.outcome)
            and (self.message is None or self.message in finding.message)
        )

    def shown(self) -> str:
        parts = [
            f"{key}: {value}"
            for key, value in (
                ("addon", self.addon),
                ("risk", self.risk),
                ("outcome", self.outcome),
            )
            if value is not None
        ]
        if self.message is not None:
            parts.append(f"message contains {self.message!r}")
        return "- " + ", ".join(parts)


# per policy ID: PASS, NOT_APPLICABLE, or the findings expected
Expectation = str | tuple[ExpectedFinding, ...]


@dataclass(frozen=True)
class Expect:
    verdict: Verdict | None = None
    exit_code: int | None = None
    error: str | None = None
    policies: tuple[tuple[str, Expectation], ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    line: int
    options: run.CheckOptions
    expect: Expect
    response: Path | None  # a fixture file, or None when the response is written inline
    document: Any = None
    waivers: tuple[Waiver, ...] | None = None  # written inline in the test file


@dataclass(frozen=True)
class TestFile:
    path: str
    policies: tuple[Policy, ...]
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class CaseResult:
    file: str
    case: Case
    report: Report
    matched: dict[str, int]  # policy ID -> subjects its match selected
    failed_conditions: frozenset[tuple[str, int]]  # (policy ID, index in spec.assert)
    problems: tuple[str, ...]  # empty: the case passed
    diff: tuple[str, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def id(self) -> str:
        return f"{self.file}::{self.case.name}"


# --- finding and loading test files -----------------------------------------------------------


def discover(paths: Sequence[Path]) -> list[Path]:
    """The test files: each file given, and every ``*.gate-test.yaml`` under each folder given
    (hidden folders skipped); the current folder when nothing is given."""
    found: list[Path] = []
    for path in paths or [Path(".")]:
        if path.is_dir():
            inside = _walk(path)
            if not inside:
                raise ConfigError(
                    f"{path}: no test files ({', '.join('*' + s for s in TEST_FILE_SUFFIXES)}) "
                    "in this folder"
                )
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise ConfigError(f"{path}: no such test file or folder")
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(os.path.normpath(os.path.join(root, name)))
            for name in sorted(files)
            if name.endswith(TEST_FILE_SUFFIXES)
        )
    return found


def load(paths: Sequence[Path]) -> tuple[list[TestFile], list[str]]:
    """Every test file found, loaded; and one error line for each that is invalid."""
    files, errors = [], []
    for path in discover(paths):
        try:
            files.append(load_test_file(path))
        except ConfigError as exc:
            errors.append(exc.message)
    return files, errors


def load_test_file(path: Path) -> TestFile:
    document = single_document(path, "a test file")
    errors = load_schema(schema_path("policy-test.schema.json")).errors(document.data)
    if errors:
        raise document.error(errors[0].absolute_path, message(errors[0]))
    data, base = document.data, path.parent
    paths = tuple(
        _existing(document, ["policies", i], base, text, "policy file or folder")
        for i, text in enumerate(data["policies"])
    )
    policies = tuple(load_policies(paths))
    levels = {p.id: p.enforcement for p in policies}
    default_waivers = None
    if "waivers" in data:
        default_waivers = _existing(document, ["waivers"], base, data["waivers"], "waivers file")
        check_waivers(load_waivers(default_waivers), levels)
    known = {p.id for p in policies} | set(BUILTIN_IDS)
    cases: list[Case] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(data["cases"]):
        where: list[str | int] = ["cases", index]
        if raw["name"] in names:
            raise document.error(
                [*where, "name"],
                f"case {raw['name']!r} is already named at line {names[raw['name']]}",
            )
        names[raw["name"]] = document.line(where)
        cases.append(
            _case(document, where, raw, base, paths, data.get("now"), default_waivers, known)
        )
    return TestFile(str(path), policies, tuple(cases))


def _existing(document: Document, where: list[str | int], base: Path, text: str, what: str) -> Path:
    path = Path(os.path.normpath(base / text))
    if not path.exists():
        raise document.error(where, f"{text!r}: no such {what} ({path})")
    return path


def _case(
    document: Document,
    where: list[str | int],
    raw: dict[str, Any],
    base: Path,
    policies: tuple[Path, ...],
    now: str | None,
    default_waivers: Path | None,
    known: set[str],
) -> Case:
    response, inline = raw["response"], None
    if isinstance(response, str):
        fixture = _existing(document, [*where, "response"], base, response, "response file")
        if fixture.is_dir():
            raise document.error([*where, "response"], f"{response!r} is a folder, not a file")
    else:
        fixture, inline = None, response
    waiver_file, waivers = default_waivers, None
    if isinstance(raw.get("waivers"), str):
        waiver_file = _existing(document, [*where, "waivers"], base, raw["waivers"], "waivers file")
        load_waivers(waiver_file)
    elif "waivers" in raw:
        waiver_file, waivers = None, _inline_waivers(document, [*where, "waivers"], raw["waivers"])
    options = run.CheckOptions(
        policies=policies,
        waivers=waiver_file,
        params=tuple(f"{key}={_text(value)}" for key, value in raw.get("params", {}).items()),
        overrides=tuple(raw.get("overrides", ())),
        reason=raw.get("reason"),
        enforcement=tuple(f"{key}={value}" for key, value in raw.get("enforcement", {}).items()),
        fail_on=raw.get("fail_on", "soft-mandatory"),
        all_tasks=raw.get("all_tasks", False),
        addons=tuple(raw.get("addons", ())),
        task_type=raw.get("task_type"),
        allow_empty=raw.get("allow_empty", False),
        now=raw.get("now", now),
        cluster=raw.get("cluster"),
        environ={},
    )
    expect = _expect(document, [*where, "expect"], raw["expect"], known)
    return Case(raw["name"], document.line(where), options, expect, fixture, inline, waivers)


def _text(value: Any) -> str:
    """A parameter as the command line would give it (YAML reads true and 3 as bool and int)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _inline_waivers(
    document: Document, where: list[str | int], entries: list[Any]
) -> tuple[Waiver, ...]:
    errors = load_schema(schema_path("waivers.schema.json")).errors({"waivers": entries})
    if errors:
        raise document.error([*where, *list(errors[0].absolute_path)[1:]], message(errors[0]))
    waivers = []
    for index, entry in enumerate(entries):
        if parse_expiry(entry["expires"]) is None:
            raise document.error([*where, index, "expires"], f"not a date: {entry['expires']!r}")
        waivers.append(
            Waiver(
                policy=entry["policy"],
                reason=entry["reason"],
                owner=entry["owner"],
                expires=entry["expires"],
                file=document.file,
                line=document.line([*where, index]),
                addon=entry.get("addon", ""),
                risk=entry.get("risk", ""),
                ticket=entry.get("ticket", ""),
                cluster=entry.get("cluster", ""),
            )
        )
    return tuple(waivers)


def _expect(
    document: Document, where: list[str | int], raw: dict[str, Any], known: set[str]
) -> Expect:
    verdict = Verdict(raw["verdict"]) if "verdict" in raw else None
    code = raw.get("exit_code")
    if verdict is not None and code is not None and EXIT_CODES[verdict] != code:
        raise document.error(
            [*where, "exit_code"],
            f"exit code {code} does not go with verdict {verdict.value} "
            f"(exit {EXIT_CODES[verdict]})",
        )
    policies: list[tuple[str, Expectation]] = []
    for policy_id, value in raw.get("policies", {}).items():
        if policy_id not in known:
            close = difflib.get_close_matches(policy_id, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise document.error(
                [*where, "policies", policy_id],
                f"{policy_id!r} is not a policy under test{hint} "
                f"(known: {', '.join(sorted(known))})",
            )
        if isinstance(value, str):
            policies.append((policy_id, value))
            continue
        findings = tuple(
            ExpectedFinding(
                addon=item.get("addon"),
                risk=item.get("risk"),
                outcome=Outcome(item["outcome"]) if "outcome" in item else None,
                message=item.get("message"),
            )
            for item in value
        )
        policies.append((policy_id, findings))
    return Expect(verdict, code, raw.get("error"), tuple(policies))


# --- running cases ----------------------------------------------------------------------------


def run_files(files: Iterable[TestFile]) -> list[CaseResult]:
    return [run_case(test_file, case) for test_file in files for case in test_file.cases]


def run_case(test_file: TestFile, case: Case) -> CaseResult:
    trace = Trace()
    name = str(case.response) if case.response is not None else f"{test_file.path}:{case.line}"

    def work() -> Report:
        config = run.configure(case.options)
        if case.waivers is not None:
            config = make_config(config.policies, case.waivers, config.settings)
        document = case.document if case.response is None else read_response(name)
        return run.judge(document, name, case.options, config, trace)

    started = time.perf_counter()
    report = run.guarded(work, name)
    seconds = time.perf_counter() - started
    matched = dict(trace.matched)
    # a built-in rule has no match: it applies to every judged task
    matched.update(dict.fromkeys(BUILTIN_IDS, len(report.judged)))
    problems, diff = compare(case.expect, report, matched)
    return CaseResult(
        test_file.path,
        case,
        report,
        matched,
        frozenset(trace.failed),
        tuple(problems),
        tuple(diff),
        seconds,
    )


def compare(expect: Expect, report: Report, matched: dict[str, int]) -> tuple[list[str], list[str]]:
    """What is wrong with the run, in plain words, and a diff of expected against actual."""
    problems: list[str] = []
    wanted: list[str] = []
    got: list[str] = []
    if expect.verdict is not None:
        wanted.append(f"verdict: {expect.verdict.value}")
        got.append(f"verdict: {report.verdict.value}")
        if report.verdict is not expect.verdict:
            problems.append(f"verdict: expected {expect.verdict.value}, got {report.verdict.value}")
    if expect.exit_code is not None:
        wanted.append(f"exit_code: {expect.exit_code}")
        got.append(f"exit_code: {report.exit_code}")
        if report.exit_code != expect.exit_code:
            problems.append(f"exit code: expected {expect.exit_code}, got {report.exit_code}")
    _compare_error(expect, report, problems, wanted, got)
    if report.error is not None:
        # nothing was judged: what each policy would have found is unknown, not "nothing"
        return _finish(problems, wanted, got)

    findings: dict[str, list[Finding]] = {}
    for finding in report.findings:
        findings.setdefault(finding.policy, []).append(finding)
    wanted_policies: list[str] = []
    got_policies: list[str] = []
    expected_ids = {policy_id for policy_id, _ in expect.policies}
    for policy_id, expectation in expect.policies:
        made = findings.get(policy_id, [])
        applied = matched.get(policy_id, 0)
        wanted_policies.extend(_expectation_lines(policy_id, expectation))
        got_policies.extend(_compare_policy(policy_id, expectation, made, applied, problems))
    for policy_id in sorted(set(findings) - expected_ids):
        got_policies.append(f"  {policy_id}:")
        for finding in findings[policy_id]:
            got_policies.append("    " + _finding_line(finding))
            problems.append(f"unexpected finding of {policy_id}: {_finding_line(finding)[2:]}")
    if wanted_policies:
        wanted += ["policies:", *wanted_policies]
    if got_policies:
        got += ["policies:", *got_policies]
    return _finish(problems, wanted, got)


def _finish(problems: list[str], wanted: list[str], got: list[str]) -> tuple[list[str], list[str]]:
    if not problems:
        return [], []
    diff = [
        line
        for line in difflib.unified_diff(
            wanted, got, "expected", "actual", lineterm="", n=len(wanted) + len(got)
        )
        if not line.startswith("@@")
    ]
    return problems, diff


def _compare_error(
    expect: Expect, report: Report, problems: list[str], wanted: list[str], got: list[str]
) -> None:
    actual = report.error.message if report.error is not None else None
    if expect.error is not None:
        wanted.append(f"error: contains {expect.error!r}")
        if actual is not None and expect.error in actual:
            got.append(f"error: contains {expect.error!r}")
        else:
            got.append(f"error: {_clip(actual) if actual else 'none'}")
            problems.append(
                f"error: expected one containing {expect.error!r}, got "
                + (repr(_clip(actual)) if actual else "none")
            )
    elif actual is not None and expect.verdict is not report.verdict:
        got.append(f"error: {_clip(actual)}")
        problems.append(f"the run stopped with an error: {_clip(actual)}")
        assert report.error is not None
        problems.extend(f"  {_clip(detail)}" for detail in report.error.details[:MAX_DETAILS])


def _expectation_lines(policy_id: str, expectation: Expectation) -> list[str]:
    if isinstance(expectation, str):
        return [f"  {policy_id}: {expectation}"]
    return [f"  {policy_id}:", *("    " + e.shown() for e in expectation)]


def _compare_policy(
    policy_id: str,
    expectation: Expectation,
    made: list[Finding],
    applied: int,
    problems: list[str],
) -> list[str]:
    """The actual side of one policy's lines; the problems found are appended."""
    if not made:
        state = PASS if applied else NOT_APPLICABLE
        if expectation == PASS and not applied:
            problems.append(
                f"{policy_id}: expected to pass, but its match selected nothing in the response "
                f"(a vacuous pass; expect {NOT_APPLICABLE} if that is meant)"
            )
        elif expectation == NOT_APPLICABLE and applied:
            problems.append(
                f"{policy_id}: expected {NOT_APPLICABLE}, but its match selected {applied} "
                f"subject(s), and it passed"
            )
        elif not isinstance(expectation, str):
            problems.append(
                f"{policy_id}: expected {len(expectation)} finding(s), got none "
                f"({'it passed' if applied else 'its match selected nothing'})"
            )
        return [f"  {policy_id}: {state}"]
    lines = [f"  {policy_id}:"]
    expected = () if isinstance(expectation, str) else expectation
    pairs = _pair(expected, made)
    for index, entry in enumerate(expected):
        if index in pairs:
            lines.append("    " + entry.shown())
        else:
            problems.append(f"{policy_id}: expected finding not made: {entry.shown()[2:]}")
    taken = set(pairs.values())
    for index, finding in enumerate(made):
        if index not in taken:
            lines.append("    " + _finding_line(finding))
            if isinstance(expectation, str):
                problems.append(
                    f"{policy_id}: expected {expectation}, but it made a finding: "
                    f"{_finding_line(finding)[2:]}"
                )
            else:
                problems.append(f"{policy_id}: unexpected finding: {_finding_line(finding)[2:]}")
    return lines


def _pair(expected: Sequence[ExpectedFinding], made: Sequence[Finding]) -> dict[int, int]:
    """A largest pairing of expected entries with findings (entry index -> finding index):
    an entry that leaves fields open must not take the finding a stricter entry needs."""
    owner: dict[int, int] = {}

    def assign(entry: int, seen: set[int]) -> bool:
        for index, finding in enumerate(made):
            if index in seen or not expected[entry].fits(finding):
                continue
            seen.add(index)
            if index not in owner or assign(owner[index], seen):
                owner[index] = entry
                return True
        return False

    for entry in range(len(expected)):
        assign(entry, set())
    return {entry: index for index, entry in owner.items()}


def _finding_line(finding: Finding) -> str:
    parts = []
    if finding.task is not None:
        parts.append(f"addon: {one_line(finding.task.addon)}")
    if finding.risk is not None:
        parts.append(f"risk: {one_line(finding.risk.name)}")
    parts.append(f"outcome: {finding.outcome.value}")
    parts.append(f"message: {_clip(finding.message)!r}")
    return "- " + ", ".join(parts)


def _clip(text: str) -> str:
    return cut(one_line(text), MESSAGE_CHARS)


# --- coverage ---------------------------------------------------------------------------------


def coverage(files: Sequence[TestFile], results: Sequence[CaseResult]) -> list[str]:
    """One line per gap, ``file:line: ...``: each policy under test without a case where it
    makes a finding, or without one where it applies and passes, and each ``assert`` condition
    that fails in no case. Cases that stopped with an error prove nothing either way."""
    policies: dict[tuple[str, str], Policy] = {}
    for test_file in files:
        for policy in test_file.policies:
            policies.setdefault((os.path.realpath(policy.file), policy.id), policy)
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        if result.report.error is None:
            by_file.setdefault(result.file, []).append(result)
    seen: dict[tuple[str, str], list[CaseResult]] = {key: [] for key in policies}
    for test_file in files:
        for policy in test_file.policies:
            key = (os.path.realpath(policy.file), policy.id)
            seen[key].extend(by_file.get(test_file.path, []))
    gaps: list[tuple[str, int, str]] = []
    for key, policy in policies.items():
        gaps.extend(_gaps(policy, seen[key]))
    return [f"{file}:{line}: {text}" for file, line, text in sorted(gaps)]


def _gaps(policy: Policy, results: list[CaseResult]) -> list[tuple[str, int, str]]:
    found = passed = False
    failed: set[int] = set()
    for result in results:
        makes = any(f.policy == policy.id for f in result.report.findings)
        found = found or makes
        passed = passed or (not makes and result.matched.get(policy.id, 0) > 0)
        failed.update(index for pid, index in result.failed_conditions if pid == policy.id)
    name = f"policy {policy.id}"
    gaps = []
    if not found:
        gaps.append((policy.file, policy.line, f"{name}: no case where it makes a finding"))
    if not passed:
        gaps.append((policy.file, policy.line, f"{name}: no case where it applies and passes"))
    for index, condition in enumerate(policy.assertions):
        if index not in failed:
            gaps.append(
                (
                    policy.file,
                    condition.line,
                    f"{name}: assert condition {index + 1} ({condition.text}) fails in no case",
                )
            )
    return gaps


def exit_code(results: Sequence[CaseResult], gaps: Sequence[str]) -> int:
    return 1 if gaps or any(not r.passed for r in results) else 0
