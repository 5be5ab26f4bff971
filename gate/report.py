"""The result model: what gate decided and why. Everything here is frozen data.

The verdict and the exit code are computed here, from the findings and the pending checks, so
every reporter and the CLI agree on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.decision import Decision, Scope

from gate.location import Location


class Enforcement(StrEnum):
    """Sentinel's enforcement levels."""

    ADVISORY = "advisory"
    SOFT = "soft-mandatory"
    HARD = "hard-mandatory"


class Outcome(StrEnum):
    """What a finding does to the verdict."""

    BLOCKING = "blocking"
    ADVISORY = "advisory"
    WAIVED = "waived"
    OVERRIDDEN = "overridden"


class Verdict(StrEnum):
    PASS = "pass"
    BLOCKED = "blocked"
    INCOMPLETE = "incomplete"
    CONFIG_ERROR = "config-error"
    INVALID_INPUT = "invalid-input"
    API_ERROR = "api-error"
    INTERNAL_ERROR = "internal-error"
    INTERRUPTED = "interrupted"


# The one precedence table: when several outcomes apply (a run that is both blocked and unable to
# write a report, the clusters of a fleet), the first in this order wins. Everything else (exit
# codes, the help text, worst()) derives from it.
PRECEDENCE: tuple[tuple[Verdict, int, str], ...] = (
    (Verdict.INTERRUPTED, 130, "interrupted: 130 by SIGINT, 143 by SIGTERM (reports say so)"),
    (Verdict.INTERNAL_ERROR, 6, "internal error (a bug in gate: please report it)"),
    (
        Verdict.CONFIG_ERROR,
        2,
        "usage or configuration error (bad flag, missing file, invalid policy or waiver file,\n"
        "       a report or the account that cannot be written)",
    ),
    (Verdict.API_ERROR, 4, "API or network error (live mode)"),
    (Verdict.INVALID_INPUT, 3, "invalid input (not JSON, not the schema, unknown enum value)"),
    (Verdict.BLOCKED, 1, "blocked by policy"),
    (Verdict.INCOMPLETE, 5, "incomplete (checks still running, nothing to judge)"),
    (Verdict.PASS, 0, "pass (advisory, waived and overridden findings allowed)"),
)
EXIT_CODES: dict[Verdict, int] = {verdict: code for verdict, code, _ in PRECEDENCE}
SIGNAL_EXIT_BASE = 128  # the shell's convention: 128 + the signal's number
_RANK = {code: rank for rank, (_, code, _) in enumerate(PRECEDENCE)}
_RANK.update({SIGNAL_EXIT_BASE + 15: 0, SIGNAL_EXIT_BASE + 9: 0})

# Shown by `gate --help` and the README; the order of the rows is the precedence order.
EXIT_CODE_HELP = "Exit codes (when several apply, the first in this list wins):\n" + "\n".join(
    f"  {code:<5}{text}" for _, code, text in PRECEDENCE
)


def worst(codes: Iterable[int]) -> int:
    """The exit code that wins among ``codes`` (0 for none); an unknown code counts as a bug."""
    return min(codes, key=lambda code: _RANK.get(code, _RANK[6]), default=0)


@dataclass(frozen=True, slots=True)
class TaskRef:
    """One check task of the response, as the reports name it."""

    path: str
    name: str
    addon: str
    instance: str
    type: str
    task_id: str
    status: str
    created: str
    target_version: str


@dataclass(frozen=True, slots=True)
class RiskRef:
    name: str
    level: str
    status: str
    message: str
    path: str


@dataclass(frozen=True, slots=True)
class Waiver:
    policy: str
    reason: str
    owner: str
    expires: str
    file: str
    line: int
    addon: str = ""
    risk: str = ""
    ticket: str = ""
    cluster: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Override:
    policy: str
    reason: str
    actor: str
    actor_source: str


# How the file of a policy shipped with gate is named in reports: it is no file of the user's.
BUILTIN_FILE = "(built-in) policies/"


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    id: str
    title: str
    scope: str
    enforcement: Enforcement
    enforcement_source: str
    file: str
    line: int

    @property
    def builtin(self) -> bool:
        return self.file.startswith(BUILTIN_FILE)


@dataclass(frozen=True, slots=True)
class Finding:
    policy: str
    enforcement: Enforcement
    outcome: Outcome
    message: str
    path: str
    task: TaskRef | None = None
    risk: RiskRef | None = None
    remediation: str = ""
    waiver: Waiver | None = None
    override: Override | None = None
    decision: Decision | None = None  # why, when --explain asked for it (gate.decision)
    baseline: str = ""  # with --baseline: "new" or "persisting" (gate.baseline)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A baseline finding, by its identity (gate.reporters.identity), and what it said."""

    identity: str
    policy: str
    addon: str
    instance: str
    type: str
    risk: str
    message: str


@dataclass(frozen=True)
class Baseline:
    """With --baseline: the report compared with, and its findings this run no longer has."""

    source: str
    resolved: tuple[Resolved, ...] = ()


@dataclass(frozen=True, slots=True)
class Pending:
    """Something that keeps the verdict from being final: a running check, nothing to judge."""

    reason: str
    path: str
    task: TaskRef | None = None


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    verdict: Verdict
    message: str
    details: tuple[str, ...] = ()
    location: Location | None = None  # the file:line the message names, as data


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    source: str = ""
    policies: tuple[PolicyInfo, ...] = ()
    judged: tuple[TaskRef, ...] = ()
    superseded: tuple[TaskRef, ...] = ()
    findings: tuple[Finding, ...] = ()
    pending: tuple[Pending, ...] = ()
    waivers_applied: tuple[Waiver, ...] = ()
    waivers_expired: tuple[Waiver, ...] = ()
    waivers_unused: tuple[Waiver, ...] = ()
    overrides: tuple[Override, ...] = ()
    notes: tuple[str, ...] = ()
    error: ErrorInfo | None = None
    params: tuple[tuple[str, str], ...] = ()
    cluster: str = ""  # --cluster-id, when given: labels the reports and Code Quality fingerprints
    # reports or streams that could not be written: the run cannot vouch for its own outcome
    write_failures: tuple[str, ...] = ()
    signal: int = 0  # the signal that interrupted the run (Verdict.INTERRUPTED)
    explain: Scope | None = None  # --explain: which findings carry a decision record
    baseline: Baseline | None = None  # --baseline: what changed since that run
    generated_at: str = ""  # the run's "now" (RFC 3339), so a later baseline knows its age

    @property
    def exit_code(self) -> int:
        if self.verdict is Verdict.INTERRUPTED:
            return SIGNAL_EXIT_BASE + self.signal if self.signal else EXIT_CODES[self.verdict]
        code = EXIT_CODES[self.verdict]
        return after_write_failure(code) if self.write_failures else code

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.findings if f.outcome is outcome)


def after_write_failure(code: int) -> int:
    """A report that could not be written is a usage error (2), unless a code before 2 applies."""
    return worst((code, EXIT_CODES[Verdict.CONFIG_ERROR]))


def decide(findings: tuple[Finding, ...], pending: tuple[Pending, ...]) -> Verdict:
    """A blocking finding outweighs a running check; anything unfinished outweighs a pass."""
    if any(f.outcome is Outcome.BLOCKING for f in findings):
        return Verdict.BLOCKED
    if pending:
        return Verdict.INCOMPLETE
    return Verdict.PASS
