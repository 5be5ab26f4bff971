"""What ``gate lint`` prints: one ``file:line:column: message`` line per problem, or JSON."""

from __future__ import annotations

import json

from gate.lint import LintResult

FORMAT_VERSION = 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(result: LintResult) -> str:
    """The count line: problems found, in how many files."""
    if result.problems:
        found = f"{_plural(result.errors, 'error')}, {_plural(result.warnings, 'warning')}"
    else:
        found = "0 problems"
    return (
        f"{found} in {_plural(result.files, 'file')} "
        f"({_plural(result.policies, 'policy').replace('policys', 'policies')}, "
        f"{_plural(result.waivers, 'waiver')})"
    )


def render_text(result: LintResult) -> str:
    lines = [str(problem) for problem in result.problems]
    return "\n".join([*lines, summary(result)]) + "\n"


def render_json(result: LintResult) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "exit_code": result.exit_code,
        "files": result.files,
        "policies": result.policies,
        "waivers": result.waivers,
        "errors": result.errors,
        "warnings": result.warnings,
        "problems": [
            {
                "file": p.location.file,
                "line": max(p.location.line, 1),
                "column": max(p.location.column, 1),
                "severity": p.severity,
                "rule": p.rule,
                "message": p.message,
            }
            for p in result.problems
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
