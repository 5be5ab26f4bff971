"""Policies: loading YAML files into frozen, compiled rules.

A policy file holds one or more YAML documents of ``apiVersion: gate/v1, kind: Policy``. Each is
checked against ``schemas/policy.schema.json`` and then compiled: fields become getters, operators
come from :mod:`gate.operators`, messages become templates. Nothing in a policy can run code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import ConfigError
from gate.operators import MISSING, OPERATORS, Operator, coerce
from gate.report import BUILTIN_FILE, Enforcement
from gate.resources import default_policy_dir, schema_path
from gate.validation import load_schema
from gate.yamlfile import Document, load_documents

Context = dict[str, Any]
Getter = Callable[[Context], Any]

SCOPE_ROOTS = {"risk": {"task", "risk"}, "task": {"task"}, "cluster": set()}
COUNT_ROOTS = {"risks": {"task", "risk"}, "tasks": {"task"}}
TEMPLATE_NAMES = {"addon", "instance", "type", "target", "actual", "expected", "count", "policy"}
# IDs of the rules built into the engine: no policy file may take them, nor any ID that starts
# with RESERVED_PREFIX (kept free for built-ins to come), so a finding's ID always says which
# rule made it.
BUILTIN_FAILED_WITHOUT_RISKS = "check-failed-without-risks"
BUILTIN_PRECHECK_TARGET_VERSION = "precheck-target-version"
BUILTIN_IDS = (BUILTIN_FAILED_WITHOUT_RISKS, BUILTIN_PRECHECK_TARGET_VERSION)
RESERVED_PREFIX = "gate-"
_SEVERITY = [Enforcement.HARD, Enforcement.SOFT, Enforcement.ADVISORY]
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
# policy tests (gate test) live beside the policies they test; a folder of policies skips them
TEST_FILE_SUFFIXES = (".gate-test.yaml", ".gate-test.yml")


@dataclass(frozen=True, slots=True)
class Value:
    """A policy value: a literal, or a --param reference with an optional default."""

    literal: Any = MISSING
    param: str = ""
    default: Any = MISSING


@dataclass(frozen=True, slots=True)
class Template:
    text: str

    def render(self, variables: Callable[[str], Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            value = variables(match.group(1))
            return "" if value is MISSING or value is None else str(value)

        return _PLACEHOLDER.sub(replace, self.text)


@dataclass(frozen=True, slots=True)
class Condition:
    """One test: ``field`` + operator, ``count`` of risks or tasks + operator, or ``any``."""

    text: str
    line: int
    field: tuple[str, ...] = ()
    get: Getter | None = None
    op: Operator | None = None
    value: Value = dataclasses.field(default_factory=Value)
    count: str = ""
    where: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    message: Template | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    title: str
    description: str
    enforcement: Enforcement
    scope: str
    match: tuple[Condition, ...]
    assertions: tuple[Condition, ...]
    message: Template | None
    remediation: str
    file: str
    line: int

    def param_conditions(self) -> list[Condition]:
        """Every condition whose value comes from a --param, nested ones included."""
        found: list[Condition] = []
        stack = list(self.match + self.assertions)
        while stack:
            condition = stack.pop()
            if condition.value.param:
                found.append(condition)
            stack.extend(condition.where + condition.any)
        return found


def getter(parts: tuple[str, ...]) -> Getter:
    """A fast accessor for a dotted path into the context (missing anywhere -> MISSING)."""
    root, rest = parts[0], parts[1:]
    if len(rest) == 1:
        key = rest[0]

        def get_one(ctx: Context) -> Any:
            value = ctx.get(root, MISSING)
            return value.get(key, MISSING) if type(value) is dict else MISSING

        return get_one

    def get_path(ctx: Context) -> Any:
        value = ctx.get(root, MISSING)
        for key in rest:
            if type(value) is not dict:
                return MISSING
            value = value.get(key, MISSING)
        return value

    return get_path


def load_policies(paths: Sequence[Path]) -> list[Policy]:
    """The policies of the given files and folders, or the default set when none is given."""
    if not paths:
        found = sorted(default_policy_dir().glob("*.yaml"))
        defaults = _load_files([p for p in found if not is_test_file(p)], builtin=True)
        return sorted(defaults, key=lambda p: _SEVERITY.index(p.enforcement))
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not is_test_file(p)
            )
            if not found:
                raise ConfigError(f"{path}: no policy files (*.yaml, *.yml) in this folder")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such policy file or folder")
    return _load_files(files, builtin=False)


def is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_FILE_SUFFIXES)


def _load_files(files: list[Path], builtin: bool) -> list[Policy]:
    policies: list[Policy] = []
    seen: dict[str, str] = {}
    for path in files:
        display = f"{BUILTIN_FILE}default/{path.name}" if builtin else str(path)
        for document in load_documents(path, display):
            if document.data is None:
                continue
            policy = compile_policy(document)
            if policy.id in seen:
                raise ConfigError(
                    f"{policy.file}:{policy.line}: policy {policy.id!r} is already defined "
                    f"at {seen[policy.id]}",
                    location=document.location([]),
                )
            seen[policy.id] = f"{policy.file}:{policy.line}"
            policies.append(policy)
    if not policies:
        raise ConfigError("no policies loaded: the given files hold no policy documents")
    return policies


def compile_policy(document: Document) -> Policy:
    validator = load_schema(schema_path("policy.schema.json"))
    errors = validator.errors(document.data)
    if errors:
        first = errors[0]
        raise document.error(first.absolute_path, first.message)
    data = document.data
    spec = data["spec"]
    scope = spec["scope"]

    def conditions(key: str) -> tuple[Condition, ...]:
        roots, in_cluster = SCOPE_ROOTS[scope], scope == "cluster"
        return tuple(
            _condition(document, ["spec", key, i], raw, roots, in_cluster)
            for i, raw in enumerate(spec.get(key, []))
        )

    name = data["metadata"]["name"]
    if name in BUILTIN_IDS or name.startswith(RESERVED_PREFIX):
        raise document.error(
            ["metadata", "name"],
            f"{name!r} is reserved for gate's built-in rules "
            f"({', '.join(BUILTIN_IDS)} and every ID starting with {RESERVED_PREFIX!r})",
        )
    message = spec.get("message")
    return Policy(
        id=name,
        title=data["metadata"].get("title", data["metadata"]["name"]),
        description=data["metadata"].get("description", ""),
        enforcement=Enforcement(spec["enforcement"]),
        scope=scope,
        match=conditions("match"),
        assertions=conditions("assert"),
        message=_template(document, ["spec", "message"], message, scope) if message else None,
        remediation=spec.get("remediation", "").strip(),
        file=document.file,
        line=document.line([]),
    )


def _condition(
    document: Document,
    path: list[str | int],
    raw: dict[str, Any],
    roots: set[str],
    in_cluster: bool = False,
) -> Condition:
    line = document.line(path)
    kinds = [key for key in ("field", "count", "any") if key in raw]
    if len(kinds) != 1:
        raise document.error(path, "a condition needs exactly one of 'field', 'count' or 'any'")
    message = None
    if "message" in raw:
        scope = "cluster" if in_cluster else ("risk" if "risk" in roots else "task")
        message = _template(document, [*path, "message"], raw["message"], scope)
    if "any" in raw:
        if _operators_of(raw):
            raise document.error(path, "'any' takes no operator; put operators in its conditions")
        members = tuple(
            _condition(document, [*path, "any", i], sub, roots, in_cluster)
            for i, sub in enumerate(raw["any"])
        )
        text = " or ".join(f"({m.text})" for m in members)
        return Condition(text=text, line=line, any=members, message=message)
    op, value = _operator(document, path, raw)
    if "where" in raw and "count" not in raw:
        raise document.error(path, "'where' belongs to a 'count' condition")
    if "field" in raw:
        if in_cluster:
            raise document.error(
                path, "a cluster-scope policy tests 'count' conditions, not single fields"
            )
        parts = tuple(raw["field"].split("."))
        if parts[0] not in roots:
            allowed = " or ".join(sorted(roots))
            raise document.error(
                [*path, "field"], f"{raw['field']!r}: in this scope a field starts with {allowed}"
            )
        text = f"{raw['field']} {op.name} {_show(raw[op.name])}"
        return Condition(
            text=text,
            line=line,
            field=parts,
            get=getter(parts),
            op=op,
            value=value,
            message=message,
        )
    count = raw["count"]
    if count == "tasks" and not in_cluster:
        raise document.error([*path, "count"], "'count: tasks' needs a cluster-scope policy")
    where = tuple(
        _condition(document, [*path, "where", i], sub, COUNT_ROOTS[count])
        for i, sub in enumerate(raw.get("where", []))
    )
    text = f"count of {count}"
    if where:
        text += " where " + " and ".join(w.text for w in where)
    text += f" {op.name} {_show(raw[op.name])}"
    return Condition(
        text=text, line=line, op=op, value=value, count=count, where=where, message=message
    )


def _operators_of(raw: dict[str, Any]) -> list[str]:
    return [key for key in raw if key in OPERATORS]


def _operator(
    document: Document, path: list[str | int], raw: dict[str, Any]
) -> tuple[Operator, Value]:
    names = _operators_of(raw)
    if len(names) != 1:
        listed = ", ".join(OPERATORS)
        raise document.error(path, f"a condition needs exactly one operator (one of {listed})")
    op = OPERATORS[names[0]]
    raw_value = raw[op.name]
    where = [*path, op.name]

    try:
        if isinstance(raw_value, dict):
            default = raw_value.get("default", MISSING)
            if default is not MISSING:
                default = coerce(op, default)
            return op, Value(param=raw_value["param"], default=default)
        return op, Value(literal=coerce(op, raw_value))
    except ValueError as exc:
        raise document.error(where, str(exc)) from None


def _template(document: Document, path: list[str | int], text: str, scope: str) -> Template:
    allowed_roots = {"task", "risk", "param"} if scope == "risk" else {"task", "param"}
    for name in _PLACEHOLDER.findall(text):
        root = name.split(".")[0]
        if name in TEMPLATE_NAMES or (root in allowed_roots and "." in name):
            continue
        if scope == "cluster" and name in ("count", "expected", "actual", "policy"):
            continue
        raise document.error(path, f"unknown placeholder {{{name}}} in message")
    return Template(text.strip())


def _show(value: Any) -> str:
    if isinstance(value, dict):
        text = f"--param {value['param']}"
        if "default" in value:
            text += f" (default {value['default']!r})"
        return text
    return repr(value) if isinstance(value, str) else str(value)
