"""Waiver files: owned, dated exceptions that let a finding pass without blocking."""

from __future__ import annotations

from pathlib import Path

from gate.report import Waiver
from gate.resources import schema_path
from gate.timeutil import parse_expiry
from gate.validation import load_schema
from gate.yamlfile import single_document


def load_waivers(path: Path) -> list[Waiver]:
    document = single_document(path, "a waivers file")
    errors = load_schema(schema_path("waivers.schema.json")).errors(document.data)
    if errors:
        raise document.error(errors[0].absolute_path, errors[0].message)
    waivers = []
    for index, raw in enumerate(document.data["waivers"]):
        if parse_expiry(raw["expires"]) is None:
            raise document.error(["waivers", index, "expires"], f"not a date: {raw['expires']!r}")
        waivers.append(
            Waiver(
                policy=raw["policy"],
                reason=raw["reason"],
                owner=raw["owner"],
                expires=raw["expires"],
                file=str(path),
                line=document.line(["waivers", index]),
                addon=raw.get("addon", ""),
                risk=raw.get("risk", ""),
                ticket=raw.get("ticket", ""),
                cluster=raw.get("cluster", ""),
            )
        )
    return waivers
