"""The inventory: the clusters of a fleet, read from ``apiVersion: gate/v1, kind: Inventory``.

Each cluster has a unique ``name`` and either an ``input`` (a saved response, relative to the
inventory file) or where to fetch its results (``endpoint`` or ``region``, ``projectId``,
``clusterId``) with the NAMES of the environment variables that hold its credentials. A
``defaults:`` block gives what clusters share; a cluster's own value replaces the default, and
``labels``, ``params``, ``enforcement`` and ``addons`` are merged key by key.

No secret value is accepted: a key that looks like one (``token``, ``sk``, ``password``...) is
refused with its line, and the value is never shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.resources import schema_path
from gate.validation import load_schema, message
from gate.yamlfile import Document, single_document

__all__ = ["Cluster", "Inventory", "load_inventory"]

# keys that would hold a secret value: refused by name, before the schema's generic message
_SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "token",
        "authToken",
        "ak",
        "sk",
        "accessKey",
        "secretKey",
        "securityToken",
        "password",
        "secret",
        "credentials",
    )
)


@dataclass(frozen=True)
class Cluster:
    name: str
    line: int
    input: Path | None = None
    cluster_id: str = ""
    endpoint: str = ""
    region: str = ""
    project_id: str = ""
    token_env: str = ""
    ak_env: str = ""
    sk_env: str = ""
    security_token_env: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    enforcement: tuple[tuple[str, str], ...] = ()
    addons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Inventory:
    file: str
    clusters: tuple[Cluster, ...]
    digest: str  # sha256 of the canonical content: what shards of one fleet share


def load_inventory(path: Path) -> Inventory:
    document = single_document(path, "an inventory file")
    _refuse_secrets(document, document.data, [])
    errors = load_schema(schema_path("inventory.schema.json")).errors(document.data)
    if errors:
        at = list(errors[0].absolute_path)
        if at and str(at[-1]).endswith("Env"):
            # not a variable name: perhaps the secret itself, pasted; never repeat it
            raise document.error(
                at,
                "expects the NAME of an environment variable (the value given is not a "
                "variable name and is not shown)",
            )
        raise document.error(at, message(errors[0]))
    data = document.data
    defaults = data.get("defaults", {})
    base = path.parent
    clusters = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["clusters"]):
        where: list[str | int] = ["clusters", index]
        name = raw["name"]
        if name in seen:
            raise document.error(
                [*where, "name"], f"cluster {name!r} is already listed at line {seen[name]}"
            )
        seen[name] = document.line(where)
        clusters.append(_cluster(document, where, raw, defaults, base))
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return Inventory(str(path), tuple(clusters), digest)


def _refuse_secrets(document: Document, node: Any, path: list[str | int]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower() in _SECRET_KEYS:
                raise document.error(
                    [*path, key],
                    f"{key}: no secret value in an inventory (it is not shown); name the "
                    "environment variable that holds it with tokenEnv, or akEnv/skEnv/"
                    "securityTokenEnv",
                )
            _refuse_secrets(document, value, [*path, key])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _refuse_secrets(document, item, [*path, index])


def _cluster(
    document: Document,
    where: list[str | int],
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    base: Path,
) -> Cluster:
    def value(key: str) -> str:
        return str(raw.get(key, defaults.get(key, "")))

    def merged(key: str) -> tuple[tuple[str, str], ...]:
        pairs = {**defaults.get(key, {}), **raw.get(key, {})}
        return tuple((str(k), _text(v)) for k, v in sorted(pairs.items()))

    line = document.line(where)
    has_input = "input" in raw
    if has_input and "clusterId" in raw:
        raise document.error(where, "give input (a saved response) or clusterId, not both")
    if not has_input:
        if "clusterId" not in raw:
            raise document.error(where, "needs input (a saved response) or clusterId")
        if not value("endpoint") and not value("region"):
            raise document.error(where, "needs endpoint or region (here or in defaults)")
        if not value("projectId"):
            raise document.error(where, "needs projectId (here or in defaults)")
    if bool(value("akEnv")) != bool(value("skEnv")):
        raise document.error(where, "akEnv and skEnv go together")
    if value("tokenEnv") and value("akEnv"):
        raise document.error(where, "tokenEnv or akEnv/skEnv, not both")
    return Cluster(
        name=raw["name"],
        line=line,
        input=(base / raw["input"]) if has_input else None,
        cluster_id=str(raw.get("clusterId", "")),
        endpoint=value("endpoint"),
        region=value("region"),
        project_id=value("projectId"),
        token_env=value("tokenEnv"),
        ak_env=value("akEnv"),
        sk_env=value("skEnv"),
        security_token_env=value("securityTokenEnv"),
        labels=merged("labels"),
        params=merged("params"),
        enforcement=merged("enforcement"),
        addons=merged("addons"),
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
