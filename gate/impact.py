"""Change impact: what a new policy set would have decided on the responses of past runs.

Every saved response is judged twice, with the configuration in force (old) and the proposed one
(new), and the two reports are compared: the verdict, and each finding by its identity
(:func:`gate.reporters.identity.identity`) and outcome. Fail closed: a response that cannot be
read or judged under either configuration is a change that needs a look, like a run that a
blocked upgrade would have gone through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.engine import Config
from gate.errors import ConfigError
from gate.report import Outcome, Report, Verdict
from gate.reporters.identity import identity
from gate.run import CheckOptions, configure, guarded, judge
from gate.source import read_response

RESPONSE_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One finding, named as in reports, and its outcome before and after ('' when absent)."""

    name: str
    before: str
    after: str

    @property
    def loosened(self) -> bool:
        """It blocked, and no longer does."""
        return self.before == Outcome.BLOCKING and self.after != Outcome.BLOCKING


@dataclass(frozen=True, slots=True)
class RunChange:
    source: str
    before: Verdict
    after: Verdict
    findings: tuple[FindingChange, ...] = ()
    problem: str = ""  # why the response could not be judged, under either configuration

    @property
    def lets_through(self) -> bool:
        """Needs a deliberate look: a blocked upgrade (or a blocking finding) would pass, or
        the response could not be judged."""
        if self.problem:
            return True
        blocked_before = self.before is not Verdict.PASS
        return (blocked_before and self.after is Verdict.PASS) or any(
            f.loosened for f in self.findings
        )


@dataclass(frozen=True, slots=True)
class Impact:
    responses: int
    changes: tuple[RunChange, ...]

    @property
    def exit_code(self) -> int:
        return 1 if any(change.lets_through for change in self.changes) else 0


def responses(paths: Sequence[Path]) -> list[Path]:
    """The saved responses: the files given, and the *.json files under each folder given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*" + RESPONSE_SUFFIX) if p.is_file())
            if not inside:
                raise ConfigError(f"{path}: no saved responses (*{RESPONSE_SUFFIX}) in this folder")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise ConfigError(f"{path}: no such file or folder")
    if not found:
        raise ConfigError("no saved responses given (files or folders of *.json)")
    return found


def compare(old: CheckOptions, new: CheckOptions, paths: Sequence[Path]) -> Impact:
    """Judge each response under both configurations; raise ConfigError if either is bad."""
    files = responses(paths)
    old_config, new_config = configure(old), configure(new)
    changes = []
    for path in files:
        before = _judge(path, old, old_config)
        after = _judge(path, new, new_config)
        change = _change(str(path), before, after)
        if change is not None:
            changes.append(change)
    return Impact(len(files), tuple(changes))


def _judge(path: Path, options: CheckOptions, config: Config) -> Report:
    # read again for each configuration: judging normalises the document it is given
    return guarded(lambda: judge(read_response(str(path)), str(path), options, config), str(path))


def _change(source: str, before: Report, after: Report) -> RunChange | None:
    problem = before.error or after.error
    if problem is not None:
        return RunChange(source, before.verdict, after.verdict, problem=problem.message)
    findings = tuple(_finding_changes(before, after))
    if before.verdict is after.verdict and not findings:
        return None
    return RunChange(source, before.verdict, after.verdict, findings)


def _finding_changes(before: Report, after: Report) -> Iterable[FindingChange]:
    old, new = _outcomes(before), _outcomes(after)
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key, ("", ""))[1], new.get(key, ("", ""))[1]
        if was != now:
            yield FindingChange((new.get(key) or old[key])[0], was, now)


def _outcomes(report: Report) -> dict[str, tuple[str, str]]:
    """identity (with an ordinal for a repeat) -> (a readable name, the outcome)."""
    seen: dict[str, int] = {}
    result = {}
    for finding in report.findings:
        key = identity(finding, report.cluster)
        seen[key] = seen.get(key, 0) + 1
        name = finding.policy
        if finding.task is not None:
            name += f" on {finding.task.name}"
        if finding.risk is not None:
            name += f", risk {finding.risk.name}"
        if seen[key] > 1:
            key, name = f"{key}#{seen[key]}", f"{name} #{seen[key]}"
        result[key] = (name, finding.outcome.value)
    return result
