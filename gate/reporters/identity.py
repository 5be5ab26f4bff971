"""What makes a finding the same finding from one run to the next, and where reports point.

A finding's identity is the cluster (when ``--cluster-id`` names it), the policy, the add-on
template and instance, the check type and the risk name: never task IDs, times or message text,
which change on every run. Code Quality and SARIF fingerprints are hashes of it, so GitLab and
GitHub can tell a new problem from one they have seen before.

Locations: a user's policy file is a path in the repository; a policy shipped with gate is not,
and gets the stable pseudo path ``gate/policies/default/<file>``; a rule built into the engine
(``check-failed-without-risks``) gets ``gate/policies/builtin/<id>``. An error's location is the
:class:`~gate.location.Location` it carries; a message that lost it on the way (live mode's
scrubbed copy) is read from the ``file:line[:column]:`` it starts with.
"""

from __future__ import annotations

import hashlib
import re

from gate.report import BUILTIN_FILE, ErrorInfo, Finding, PolicyInfo, Report, Verdict

BUILTIN_PATH = "gate/policies/"
ENGINE_RULE_PATH = "gate/policies/builtin/{id}"
# What a location is when a run stopped before it read anything, or read no file (live mode):
# the tool's name, not a made-up path in the repository.
NO_FILE = "gate"
# cannot occur in a name, so ("a b", "c") and ("a", "b c") differ
SEPARATOR = "\x1f"
_FILE_LINE = re.compile(r"^([^\s:(][^:]*):(\d+)(?::(\d+))?: ")


def identity(finding: Finding, cluster: str = "") -> str:
    """The fields that name a finding across runs, joined by :data:`SEPARATOR`."""
    task = finding.task
    parts = (
        cluster,
        finding.policy,
        task.addon if task else "",
        task.instance if task else "",
        task.type if task else "",
        finding.risk.name if finding.risk else "",
    )
    return SEPARATOR.join(parts)


def fingerprint(*parts: str) -> str:
    """A stable SHA-256 of the parts (an identity, or what names an error)."""
    # A name from the API may hold a lone surrogate (JSON allows "\ud800"): hashed, not refused.
    return hashlib.sha256(SEPARATOR.join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def fingerprints(report: Report) -> list[str]:
    """One fingerprint per finding, in report order. A second finding with the same identity
    gets an ordinal, so that no consumer merges two findings into one."""
    seen: dict[str, int] = {}
    result = []
    for finding in report.findings:
        key = identity(finding, report.cluster)
        seen[key] = seen.get(key, 0) + 1
        result.append(fingerprint(key) if seen[key] == 1 else fingerprint(key, f"#{seen[key]}"))
    return result


def policy_location(policy: PolicyInfo | None, policy_id: str) -> tuple[str, int]:
    """The file and line of a policy's rule, relative to the repository when it is a user file."""
    if policy is None:  # a check built into the engine, not a policy file
        return ENGINE_RULE_PATH.format(id=policy_id), 1
    if policy.builtin:
        return BUILTIN_PATH + policy.file.removeprefix(BUILTIN_FILE), max(policy.line, 1)
    return policy.file.removeprefix("./"), max(policy.line, 1)


def error_location(message: str) -> tuple[str, int, int] | None:
    """The ``file:line[:column]`` an error message starts with (column 0 when absent)."""
    match = _FILE_LINE.match(message)
    if match is None:
        return None
    return match.group(1).removeprefix("./"), int(match.group(2)), int(match.group(3) or 0)


def source_file(report: Report) -> str:
    """The response file a report judged, or :data:`NO_FILE` (stdin, live mode, nothing read)."""
    source = report.source
    if not source or source == "<stdin>" or "://" in source:
        return NO_FILE
    return source.removeprefix("./")


def error_at(report: Report, error: ErrorInfo) -> tuple[str, int, int]:
    """Where an error is about: the file and line it names; else the response file for an
    input error; else :data:`NO_FILE`."""
    if error.location is not None and error.location.line:
        where = error.location
        return where.file.removeprefix("./"), where.line, where.column
    found = error_location(error.message)
    if found is not None:
        return found
    if report.verdict is Verdict.INVALID_INPUT:
        return source_file(report), 1, 0
    return NO_FILE, 1, 0
