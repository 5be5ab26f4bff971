"""The result model: what gate decided and why. Everything here is frozen data.

The verdict and the exit code are computed here, from the findings and the pending checks, so
every reporter and the CLI agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


EXIT_CODES: dict[Verdict, int] = {
    Verdict.PASS: 0,
    Verdict.BLOCKED: 1,
    Verdict.CONFIG_ERROR: 2,
    Verdict.INVALID_INPUT: 3,
    Verdict.API_ERROR: 4,
    Verdict.INCOMPLETE: 5,
    Verdict.INTERNAL_ERROR: 6,
}

# Shown by `gate --help` and the README; the order of the rows is the precedence order.
EXIT_CODE_HELP = """\
Exit codes (when several apply, the first in this list wins):
  6  internal error (a bug in gate: please report it)
  2  usage or configuration error (bad flag, missing file, invalid policy or waiver file)
  4  API or network error (live mode)
  3  invalid input (not JSON, not the schema, unknown enum value)
  1  blocked by policy
  5  incomplete (checks still running, nothing to judge)
  0  pass (advisory, waived and overridden findings allowed)"""


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

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.findings if f.outcome is outcome)


def after_write_failure(code: int) -> int:
    """A report that could not be written is a usage error (2), unless 6 or 2 already applies."""
    return 2 if code in (0, 1, 3, 4, 5) else code


def decide(findings: tuple[Finding, ...], pending: tuple[Pending, ...]) -> Verdict:
    """A blocking finding outweighs a running check; anything unfinished outweighs a pass."""
    if any(f.outcome is Outcome.BLOCKING for f in findings):
        return Verdict.BLOCKED
    if pending:
        return Verdict.INCOMPLETE
    return Verdict.PASS
