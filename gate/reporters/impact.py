"""`gate impact`: what a policy change would have done to past runs, as text and as Markdown."""

from __future__ import annotations

from gate.impact import FindingChange, Impact, RunChange


def render_text(impact: Impact, old: str, new: str) -> str:
    lines = [f"gate impact: {impact.responses} saved response(s), {new} against {old}"]
    for change in impact.changes:
        lines.append(f"  {change.source}: {_headline(change)}")
        lines.extend(f"    {_finding(f)}" for f in change.findings)
    unchanged = impact.responses - len(impact.changes)
    lines.append(f"{len(impact.changes)} changed, {unchanged} unchanged.")
    lines.append(_conclusion(impact))
    return "\n".join(lines) + "\n"


def render_markdown(impact: Impact, old: str, new: str) -> str:
    lines = [
        "## gate impact",
        "",
        f"{impact.responses} saved response(s) judged with `{new}` against `{old}`.",
        "",
        f"**{_conclusion(impact)}**",
        "",
    ]
    if impact.changes:
        lines += ["| Response | Before | After | Changes |", "| --- | --- | --- | --- |"]
        for change in impact.changes:
            details = "<br>".join(_cell(_finding(f)) for f in change.findings)
            if change.problem:
                details = _cell(change.problem)
            flag = " :warning:" if change.lets_through else ""
            lines.append(
                f"| `{_cell(change.source)}`{flag} | {change.before.value} | "
                f"{change.after.value} | {details} |"
            )
    return "\n".join(lines) + "\n"


def _headline(change: RunChange) -> str:
    if change.problem:
        return f"cannot be judged, look at it: {change.problem}"
    verdicts = f"{change.before.value.upper()} -> {change.after.value.upper()}"
    if change.before is change.after:
        verdicts = f"{change.before.value.upper()}, findings changed"
    return verdicts + (" (would have gone through: look)" if change.lets_through else "")


def _finding(f: FindingChange) -> str:
    if not f.before:
        return f"+ {f.name}: new, {f.after}"
    if not f.after:
        return f"- {f.name}: gone (was {f.before})"
    return f"~ {f.name}: {f.before} -> {f.after}"


def _conclusion(impact: Impact) -> str:
    needs = sum(1 for change in impact.changes if change.lets_through)
    if needs:
        return (
            f"{needs} run(s) would have let a blocked upgrade or finding through, or could not "
            "be judged: look before merging (exit 1)."
        )
    return "Nothing that blocked would have passed (exit 0)."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
