"""GitHub Actions: workflow-command annotations and step outputs.

GitHub shows only 10 error and 10 warning annotations per step, so the most severe findings are
annotated (blocking as errors, advisory as warnings) and one notice counts the rest; the job
summary and the JUnit report hold everything. Annotations point at the policy's file and line when
the policy is a user file, so they land on the pull request's diff.
"""

from __future__ import annotations

from gate.display import visible
from gate.report import Finding, Outcome, PolicyInfo, Report, Verdict
from gate.reporters.identity import NO_FILE, error_at
from gate.reporters.markdown import most_severe_first

MAX_PER_LEVEL = 10


def escape_data(value: str) -> str:
    """A workflow command's message: ``%``, CR and LF would end or corrupt the command, and
    other control characters (escape sequences) are shown, not sent to the log."""
    lines = value.replace("%", "%25").split("\n")
    return "%0A".join(visible(line.replace("\r", "%0D")) for line in lines)


def escape_property(value: str) -> str:
    """A workflow command's property value: also ``:`` and ``,``, which separate properties."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(
    level: str, message: str, *, file: str = "", line: int = 0, col: int = 0, title: str = ""
) -> str:
    """One ``::level prop=value,...::message`` line."""
    properties = []
    if file:
        properties.append(f"file={escape_property(file)}")
        if line > 0:
            properties.append(f"line={line}")
            if col > 0:
                properties.append(f"col={col}")
    if title:
        properties.append(f"title={escape_property(title)}")
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{escape_data(message)}"


def annotation_lines(report: Report) -> list[str]:
    """The annotation lines for a report, most severe first and within GitHub's limits."""
    if report.error is not None:
        return [_error_annotation(report)]
    policies = {p.id: p for p in report.policies}
    ordered = most_severe_first(report.findings)
    errors = [_finding(f, policies) for f in ordered if f.outcome is Outcome.BLOCKING]
    warnings = [_finding(f, policies) for f in ordered if f.outcome is Outcome.ADVISORY]
    if report.pending:
        waiting = _pending(report)
        (errors if report.verdict is Verdict.INCOMPLETE else warnings).insert(0, waiting)
    lines = errors[:MAX_PER_LEVEL] + warnings[:MAX_PER_LEVEL]
    rest = _rest(report, len(errors) - MAX_PER_LEVEL, len(warnings) - MAX_PER_LEVEL)
    if rest:
        lines.append(command("notice", rest, title="gate"))
    return lines


def outputs(report: Report, exit_code: int) -> str:
    """``name=value`` lines for ``$GITHUB_OUTPUT``: the verdict, the exit code and the counts."""
    lines = [f"verdict={report.verdict.value}", f"exit-code={exit_code}"]
    lines += [f"{outcome.value}={report.count(outcome)}" for outcome in Outcome]
    return "\n".join(lines) + "\n"


def _finding(finding: Finding, policies: dict[str, PolicyInfo]) -> str:
    level = "error" if finding.outcome is Outcome.BLOCKING else "warning"
    lines = [finding.message, f"evidence: {finding.path}"]
    if finding.remediation:
        lines.append(f"remediation: {finding.remediation}")
    file, line = _location(policies.get(finding.policy))
    title = f"{finding.policy} ({finding.enforcement.value})"
    if finding.task is not None:
        title += f" {finding.task.name}"
    return command(level, "\n".join(lines), file=file, line=line, title=title)


def _location(policy: PolicyInfo | None) -> tuple[str, int]:
    # A built-in policy is not a file of the repository being checked: an annotation on it would
    # point at nothing, so it gets none.
    if policy is None or policy.builtin:
        return "", 0
    return policy.file.removeprefix("./"), policy.line


def _pending(report: Report) -> str:
    first = report.pending[0].reason
    more = len(report.pending) - 1
    message = f"{first}" + (f" (and {more} more unfinished)" if more > 0 else "")
    return command(
        "error" if report.verdict is Verdict.INCOMPLETE else "warning",
        message,
        title=f"gate: {len(report.pending)} check(s) not finished",
    )


def _rest(report: Report, extra_errors: int, extra_warnings: int) -> str:
    blocking_left = max(extra_errors, 0)
    advisory_left = max(extra_warnings, 0)
    waived = report.count(Outcome.WAIVED)
    overridden = report.count(Outcome.OVERRIDDEN)
    total = blocking_left + advisory_left + waived + overridden
    if total == 0:
        return ""
    counts = ", ".join(
        f"{n} {name}"
        for n, name in (
            (blocking_left, "blocking"),
            (advisory_left, "advisory"),
            (waived, "waived"),
            (overridden, "overridden"),
        )
        if n
    )
    return (
        f"{total} more not annotated ({counts}): see the job summary and the JUnit and JSON "
        "reports."
    )


def _error_annotation(report: Report) -> str:
    assert report.error is not None
    message = "\n".join((report.error.message, *report.error.details[:20]))
    file, line, column = error_at(report, report.error)
    return command(
        "error",
        message,
        file="" if file == NO_FILE else file,
        line=line if file != NO_FILE else 0,
        col=column,
        title=f"gate: {report.verdict.value} (exit {report.exit_code})",
    )
