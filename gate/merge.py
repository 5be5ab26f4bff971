"""``gate merge``: the shard JSON reports of one fleet run, read back into one FleetReport.

Fails closed: a file that is not a fleet report of this gate's format, shards of different
inventories or configurations (their digests), a shard given twice, or a shard missing from
1..N make the merged report a configuration error or incomplete, named; the clusters that were
read are still shown. The decision is :attr:`FleetReport.exit_code` over the clusters, as in an
unsharded run.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.errors import ConfigError, InvalidInput
from gate.fleet import FLEET_FORMAT_VERSION, ClusterResult, FleetReport
from gate.report import (
    Baseline,
    Enforcement,
    ErrorInfo,
    Finding,
    Outcome,
    Override,
    Pending,
    PolicyInfo,
    Report,
    Resolved,
    RiskRef,
    TaskRef,
    Verdict,
    Waiver,
    decide,
)
from gate.reporters.identity import SEPARATOR
from gate.resources import schema_path
from gate.source import parse
from gate.validation import SchemaValidator, json_path, message

__all__ = ["merge"]


def merge(paths: Sequence[Path]) -> FleetReport:
    try:
        shards = [(path, _read(path)) for path in paths]
    except ConfigError as exc:
        return FleetReport(error=ErrorInfo(Verdict.CONFIG_ERROR, exc.message))
    if not shards:
        return FleetReport(error=ErrorInfo(Verdict.CONFIG_ERROR, "merge: no report given"))
    first_path, first = shards[0]
    meta = first["fleet"]
    problems: list[tuple[Verdict, str]] = []
    for path, data in shards[1:]:
        for key in ("inventory_digest", "config_digest"):
            if data["fleet"][key] != meta[key]:
                what = key.split("_")[0]
                problems.append(
                    (
                        Verdict.CONFIG_ERROR,
                        f"{path}: another {what} than {first_path} ({key} differs)",
                    )
                )
    seen: dict[int, Path] = {}
    totals = set()
    for path, data in shards:
        shard = data["fleet"]["shard"]
        if shard is None:
            index, total = 1, 1
        else:
            index, total = int(shard["index"]), int(shard["total"])
        totals.add(total)
        if index > total:
            problems.append((Verdict.CONFIG_ERROR, f"{path}: shard {index} of {total}"))
        if index in seen:
            problems.append((Verdict.CONFIG_ERROR, f"{path}: shard {index} is also {seen[index]}"))
        seen[index] = path
    if len(totals) > 1:
        problems.append((Verdict.CONFIG_ERROR, f"shards of different totals: {sorted(totals)}"))
    total = max(totals)
    missing = [i for i in range(1, total + 1) if i not in seen]
    if missing:
        problems.append(
            (
                Verdict.INCOMPLETE,
                f"shard(s) {', '.join(map(str, missing))} of {total} missing: their clusters "
                "are not judged",
            )
        )
    clusters: dict[str, ClusterResult] = {}
    for path, data in shards:
        for raw in data["clusters"]:
            if raw["name"] in clusters:
                problems.append(
                    (Verdict.CONFIG_ERROR, f"{path}: cluster {raw['name']} is in two shards")
                )
                continue
            try:
                clusters[raw["name"]] = _cluster(raw)
            except ConfigError as exc:
                problems.append((Verdict.CONFIG_ERROR, f"{path}: {exc.message}"))
    listed = sum(len(data["clusters"]) for _, data in shards)
    selected = int(meta.get("selected") or 0)
    if not missing and listed != selected:
        # a shard report with clusters taken out must not merge into a smaller, passing fleet
        problems.append(
            (
                Verdict.INCOMPLETE,
                f"the shards list {listed} cluster(s), their runs selected {selected}: "
                "a shard report lost clusters",
            )
        )
    error = None
    if problems:
        order = (Verdict.CONFIG_ERROR, Verdict.INCOMPLETE)
        verdict = min((v for v, _ in problems), key=order.index)
        error = ErrorInfo(
            verdict, "merge: " + "; ".join(m for _, m in problems), tuple(m for _, m in problems)
        )
    return FleetReport(
        clusters=tuple(clusters[name] for name in sorted(clusters)),
        inventory=meta["inventory"],
        inventory_digest=meta["inventory_digest"],
        config_digest=meta["config_digest"],
        shards=tuple(sorted(seen)),
        selected=int(meta.get("selected") or 0),
        error=error,
    )


def _read(path: Path) -> dict[str, Any]:
    if path.exists() and not path.is_file():  # a FIFO would block the merge for ever
        raise ConfigError(f"{path}: not a file")
    try:
        # the strict reader: a key written twice in a shard is refused, not silently merged
        data = parse(path.read_bytes(), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except InvalidInput as exc:
        raise ConfigError(f"not a JSON report: {exc.message}") from None
    if not isinstance(data, dict) or data.get("kind") != "fleet":
        raise ConfigError(f"{path}: not a fleet report (gate check --inventory ... --json)")
    if data.get("format_version") != FLEET_FORMAT_VERSION:
        raise ConfigError(
            f"{path}: fleet report format_version {data.get('format_version')!r}; this gate "
            f"reads {FLEET_FORMAT_VERSION}"
        )
    errors = _fleet_schema().errors(data)
    if errors:
        first = errors[0]
        while first.context:  # a oneOf/allOf error: name the innermost place, not "$"
            first = max(first.context, key=lambda e: len(list(e.absolute_path)))
        where = json_path(first.absolute_path)
        raise ConfigError(f"{path}: not a complete fleet report: {where}: {message(first)}")
    if data.get("error") is not None and not data.get("clusters"):
        raise ConfigError(f"{path}: the shard reached no verdict: {data['error']['message']}")
    return data


@functools.cache
def _fleet_schema() -> SchemaValidator:
    whole = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    return SchemaValidator({**whole, "oneOf": [{"$ref": "#/$defs/fleet"}]})


def _cluster(raw: dict[str, Any]) -> ClusterResult:
    tasks = {t["name"]: _task(t) for t in raw["tasks"]["judged"]}
    verdict = Verdict(raw["verdict"])
    error = raw.get("error")
    report = Report(
        verdict=verdict,
        source=raw.get("source") or "",
        policies=tuple(
            PolicyInfo(
                p["id"],
                p["title"],
                p["scope"],
                Enforcement(p["enforcement"]),
                p["enforcement_source"],
                p["file"],
                p["line"],
            )
            for p in raw["policies"]
        ),
        judged=tuple(tasks.values()),
        superseded=tuple(_task(t) for t in raw["tasks"]["superseded"]),
        findings=tuple(_finding(f, raw) for f in raw["findings"]),
        pending=tuple(
            Pending(p["reason"], p["path"], tasks.get(p["task"]) if p["task"] else None)
            for p in raw["pending"]
        ),
        waivers_applied=tuple(_waiver(w) for w in raw["waivers"]["applied"]),
        waivers_expired=tuple(_waiver(w) for w in raw["waivers"]["expired"]),
        waivers_unused=tuple(_waiver(w) for w in raw["waivers"]["unused"]),
        overrides=tuple(_override(o) for o in raw["overrides"]),
        notes=tuple(raw["notes"]),
        error=(
            None
            if error is None
            else ErrorInfo(verdict, error["message"], tuple(error.get("details", ())))
        ),
        params=tuple(sorted(raw["params"].items())),
        cluster=raw.get("cluster") or "",
        generated_at=raw.get("generated_at") or "",
        baseline=_baseline(raw.get("baseline"), raw.get("cluster") or ""),
    )
    if report.error is None and decide(report.findings, report.pending) is not verdict:
        # a shard's verdict is re-derived, never trusted: an edited "pass" cannot get through
        raise ConfigError(
            f"cluster {raw['name']}: its report says {verdict.value} but its findings and "
            f"pending checks say {decide(report.findings, report.pending).value}: a damaged or "
            "edited shard report"
        )
    return ClusterResult(raw["name"], tuple(sorted(raw["labels"].items())), report)


def _task(t: dict[str, Any]) -> TaskRef:
    return TaskRef(
        t["path"],
        t["name"],
        t["addon"],
        t["instance"],
        t["type"],
        t["task_id"],
        t["status"],
        t["created"],
        t["target_version"],
    )


def _finding(f: dict[str, Any], raw: dict[str, Any]) -> Finding:
    override = None
    if f["override"] is not None:
        full = next((o for o in raw["overrides"] if o["policy"] == f["policy"]), None)
        override = (
            _override(full)
            if full
            else Override(f["policy"], f["override"]["reason"], f["override"]["actor"], "")
        )
    risk = f["risk"]
    return Finding(
        policy=f["policy"],
        enforcement=Enforcement(f["enforcement"]),
        outcome=Outcome(f["outcome"]),
        message=f["message"],
        path=f["path"],
        task=_task(f["task"]) if f["task"] else None,
        risk=(
            RiskRef(risk["name"], risk["level"], risk["status"], risk["message"], risk["path"])
            if risk
            else None
        ),
        remediation=f["remediation"] or "",
        waiver=_waiver(f["waiver"]) if f["waiver"] else None,
        override=override,
        baseline=f.get("baseline") or "",
    )


def _baseline(raw: dict[str, Any] | None, cluster: str) -> Baseline | None:
    if not raw:
        return None
    resolved = []
    for r in raw["resolved"]:
        policy, addon, instance, kind, risk = (
            r[key] or "" for key in ("policy", "addon", "instance", "type", "risk")
        )
        key = SEPARATOR.join((cluster, policy, addon, instance, kind, risk))
        resolved.append(Resolved(key, policy, addon, instance, kind, risk, r["message"]))
    return Baseline(raw["source"], tuple(resolved))


def _waiver(w: dict[str, Any]) -> Waiver:
    return Waiver(
        policy=w["policy"],
        reason=w["reason"],
        owner=w["owner"],
        expires=w["expires"],
        file=w["file"],
        line=w["line"],
        addon=w["addon"] or "",
        risk=w["risk"] or "",
        ticket=w["ticket"] or "",
        cluster=w["cluster"] or "",
    )


def _override(o: dict[str, Any]) -> Override:
    return Override(o["policy"], o["reason"], o["actor"], o["actor_source"])
