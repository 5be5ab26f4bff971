"""``--baseline``: what changed since an earlier run, read back from its JSON report.

A finding is the same finding when its identity is (gate.reporters.identity): cluster, policy,
add-on template and instance, check type and risk name; task IDs, times and messages change on
every run and are no part of it. Each finding of this run is ``new`` or ``persisting``; a
baseline finding this run no longer has is ``resolved``. With ``--fail-on new`` a persisting
soft-mandatory finding is advisory: still shown, no longer blocking. Hard-mandatory findings
block, new or not.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import ConfigError, GateError
from gate.report import (
    Baseline,
    Enforcement,
    Finding,
    Outcome,
    Report,
    Resolved,
    decide,
)
from gate.reporters.identity import SEPARATOR, identity
from gate.source import read_response
from gate.timeutil import CLOCK_SKEW_SECONDS, Instant, parse_instant

# the JSON report versions whose findings this reader knows (1: one cluster, 2: a fleet)
READABLE_VERSIONS = (1, 2)
DEFAULT_MAX_AGE = "30d"
# the verdicts of a run that judged every finding it lists (an error report judged nothing)
_JUDGED = ("pass", "blocked", "incomplete")
_AGE = re.compile(r"(\d{1,6})([dh])")


@dataclass(frozen=True)
class Previous:
    """A baseline report, read: per cluster name ("" when it named none), its findings."""

    source: str
    generated_at: Instant | None
    clusters: dict[str, tuple[Resolved, ...]]
    fleet: bool = False  # a fleet report: a cluster it does not list is new to the fleet


def max_age_seconds(text: str) -> int:
    """``30d`` or ``48h`` in seconds."""
    match = _AGE.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"--baseline-max-age {text!r}: expected days or hours, e.g. 30d or 48h")
    number, unit = int(match.group(1)), match.group(2)
    return number * (86400 if unit == "d" else 3600)


def read(path: Path) -> Previous:
    """The findings of a gate JSON report; a ConfigError names what makes it unusable."""
    where = f"--baseline {path}"
    if not path.is_file():  # a folder, or a FIFO that would block the run for ever
        raise ConfigError(f"{where}: not a file (an earlier run's --json report)")
    try:
        data = read_response(str(path))
    except GateError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    if not isinstance(data, dict) or "verdict" not in data or "format_version" not in data:
        raise ConfigError(f"{where}: not a gate JSON report (written with --json)")
    version = data["format_version"]
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ConfigError(
            f"{where}: report format_version {version!r} is not one this gate reads "
            f"({', '.join(map(str, READABLE_VERSIONS))})"
        )
    if data.get("error") is not None or data["verdict"] not in _JUDGED:
        # its findings are not a complete list: comparing with them would call findings new
        raise ConfigError(f"{where}: that run stopped with an error and judged nothing")
    generated = data.get("generated_at")
    moment = parse_instant(generated) if isinstance(generated, str) else None
    if data.get("kind") == "fleet":
        clusters = {
            _text(c, "name", where): _findings(c, _text(c, "name", where), where)
            for c in _list(data, "clusters", where)
        }
    else:
        cluster = data.get("cluster") or ""
        if not isinstance(cluster, str):
            raise ConfigError(f"{where}: cluster is not a string")
        clusters = {cluster: _findings(data, cluster, where)}
    return Previous(str(path), moment, clusters, fleet=data.get("kind") == "fleet")


def _list(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{where}: {key} is not a list of objects")
    return value


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} is not a string")
    return value


def _findings(data: dict[str, Any], cluster: str, where: str) -> tuple[Resolved, ...]:
    found = []
    for index, raw in enumerate(_list(data, "findings", where)):
        at = f"{where}: findings[{index}]"
        task = raw.get("task") or {}
        risk = raw.get("risk") or {}
        if not isinstance(task, dict) or not isinstance(risk, dict):
            raise ConfigError(f"{at}: task and risk are objects or null")
        parts = (
            cluster,
            _text(raw, "policy", at),
            _text(task, "addon", at),
            _text(task, "instance", at),
            _text(task, "type", at),
            _text(risk, "name", at),
        )
        found.append(Resolved(SEPARATOR.join(parts), *parts[1:], _text(raw, "message", at)))
    return tuple(found)


def for_cluster(previous: Previous, cluster: str, in_fleet: bool = False) -> tuple[Resolved, ...]:
    """The baseline's findings for this run's cluster; another cluster's baseline is refused.

    In a fleet run (``in_fleet``) a cluster a fleet baseline does not list was added to the
    inventory since: all its findings are new.
    """
    if cluster in previous.clusters:
        return previous.clusters[cluster]
    if in_fleet and previous.fleet:
        return ()
    named = ", ".join(repr(name) for name in sorted(previous.clusters)) or "none"
    this = repr(cluster) if cluster else "no cluster (--cluster-id)"
    raise ConfigError(
        f"--baseline {previous.source}: it is a report of cluster(s) {named}, this run is of "
        f"{this}: compare a cluster with its own earlier run"
    )


def age_note(previous: Previous, now: Instant, max_age: int) -> str:
    """A warning when the baseline is older than ``max_age`` seconds (or says nothing of when)."""
    if previous.generated_at is None:
        return f"baseline {previous.source} does not say when it was written (no generated_at)"
    age = now.seconds - previous.generated_at.seconds
    if age < -CLOCK_SKEW_SECONDS:
        return (
            f"baseline {previous.source} says it was written at "
            f"{previous.generated_at.isoformat()}, after this run's time: check both clocks"
        )
    if age <= max_age:
        return ""
    return (
        f"baseline {previous.source} is {age // 86400} day(s) old, older than "
        f"--baseline-max-age: 'new' means new since {previous.generated_at.isoformat()}"
    )


def compare(
    report: Report, previous: Previous, fail_on_new: bool, note: str = "", in_fleet: bool = False
) -> Report:
    """``report`` with each finding labelled, the resolved ones listed, the verdict re-decided."""
    if report.error is not None:
        return report
    earlier = for_cluster(previous, report.cluster, in_fleet)
    # a multiset: two findings of one identity against one in the baseline are one persisting
    # and one new, and one of two baseline findings left is resolved
    left = Counter(item.identity for item in earlier)
    findings = []
    for finding in report.findings:
        key = identity(finding, report.cluster)
        findings.append(_labelled(finding, left[key] > 0, fail_on_new))
        left[key] -= 1
    resolved = []
    for item in reversed(earlier):  # the last ones of an identity are the ones left over
        if left[item.identity] > 0:
            resolved.append(item)
            left[item.identity] -= 1
    resolved.reverse()
    notes = (*report.notes, note) if note else report.notes
    return dataclasses.replace(
        report,
        findings=tuple(findings),
        verdict=decide(tuple(findings), report.pending),
        baseline=Baseline(previous.source, tuple(resolved)),
        notes=notes,
    )


def _labelled(finding: Finding, persisting: bool, fail_on_new: bool) -> Finding:
    outcome = finding.outcome
    if (
        fail_on_new
        and persisting
        and outcome is Outcome.BLOCKING
        and finding.enforcement is not Enforcement.HARD
    ):
        outcome = Outcome.ADVISORY
    label = "persisting" if persisting else "new"
    return dataclasses.replace(finding, baseline=label, outcome=outcome)


def check_fleet(previous: Previous, names: list[str]) -> None:
    """A fleet run's baseline is a fleet report sharing at least one cluster with it."""
    if not previous.fleet:
        raise ConfigError(
            f"--baseline {previous.source}: a single-cluster report; a fleet run compares with "
            "a fleet report (its --json, or gate merge's)"
        )
    if names and not set(names) & set(previous.clusters):
        raise ConfigError(
            f"--baseline {previous.source}: none of its clusters is in this inventory's "
            "selection: a report of another inventory"
        )
