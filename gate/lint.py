"""``gate lint``: every problem of policy and waiver files, as data, without a response.

Where a run stops at the first error, lint goes on: each file is loaded on its own, each policy
document and each waiver checked on its own, and every problem becomes a :class:`Problem` with
a :class:`~gate.location.Location` (yamllint's ``LintProblem``). After the pieces, the loaders
themselves run on whatever lint found clean, so lint never accepts what a run would refuse.

Test files (``kind: PolicyTest``, those of ``gate test``) are loaded as ``gate test`` loads them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import policy as policy_module
from gate.errors import ConfigError
from gate.location import Location
from gate.operators import OPERATORS
from gate.policy import BUILTIN_IDS, SCOPE_ROOTS, load_policies
from gate.report import Enforcement
from gate.resources import schema_path
from gate.timeutil import Instant, parse_expiry
from gate.validation import json_path, load_schema, message
from gate.waivers import load_waivers
from gate.yamlfile import Document, load_documents

ERROR = "error"
WARNING = "warning"
_YAML = (".yaml", ".yml")
_CLUSTER_NAMES = {"count", "expected", "actual", "policy"}
_PLACEHOLDER = policy_module._PLACEHOLDER


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    location: Location
    severity: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.location
        return f"{where.file}:{max(where.line, 1)}:{max(where.column, 1)}: {self.message}"


@dataclass(frozen=True)
class LintOptions:
    now: Instant
    paths: tuple[Path, ...] = ()
    policies: tuple[Path, ...] = ()
    waivers: tuple[Path, ...] = ()
    params: tuple[str, ...] = ()  # parameter names the runs give (NAME or NAME=VALUE)
    warn_days: int = 14
    strict: bool = False


@dataclass(frozen=True)
class LintResult:
    problems: tuple[Problem, ...]
    files: int
    policies: int
    waivers: int
    strict: bool = False

    @property
    def errors(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == WARNING for p in self.problems)

    @property
    def exit_code(self) -> int:
        failing = self.errors + (self.warnings if self.strict else 0)
        return 2 if failing else 0


@dataclass
class _Known:
    """A policy ID seen so far: where, and at which level."""

    where: Location
    enforcement: Enforcement | None


@dataclass
class _State:
    options: LintOptions
    problems: list[Problem] = field(default_factory=list)
    policies: dict[str, _Known] = field(default_factory=dict)
    waiver_docs: list[tuple[Path, Document]] = field(default_factory=list)
    files: int = 0
    policy_documents: int = 0
    waivers: int = 0

    def add(self, where: Location, rule: str, text: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(where, severity, rule, text))

    def add_error(self, exc: ConfigError, file: str, rule: str = "policy") -> None:
        where = exc.location or Location(file, 1, 1)
        self.add(where, rule, _bare(exc.message, where))


def lint(options: LintOptions) -> LintResult:
    """Every problem of the files ``options`` names; never raises for a bad file."""
    state = _State(options)
    policy_files, waiver_files, other = _gather(options, state)
    for path in policy_files:
        _lint_file(path, state, role="policy")
    for path in other:
        _lint_file(path, state, role="")
    for path in waiver_files:
        _lint_file(path, state, role="waivers")
    linted_policies = state.policy_documents
    if not state.policies:  # as a run: no policy given means the built-in set
        for loaded in load_policies(()):
            state.policies[loaded.id] = _Known(
                Location(loaded.file, loaded.line), loaded.enforcement
            )
    for path, document in state.waiver_docs:
        _lint_waivers(path, document, state)
    return LintResult(
        tuple(sorted(set(state.problems))),
        state.files,
        linted_policies,
        state.waivers,
        options.strict,
    )


def _gather(options: LintOptions, state: _State) -> tuple[list[Path], list[Path], list[Path]]:
    seen: set[Path] = set()

    def once(paths: Iterable[Path]) -> list[Path]:
        fresh = []
        for path in paths:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                fresh.append(path)
        return fresh

    def expand(path: Path, recurse: bool) -> list[Path]:
        if path.is_dir():
            pattern = path.rglob("*") if recurse else path.iterdir()
            found = sorted(
                p
                for p in pattern
                if p.suffix in _YAML
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                state.add(Location(str(path), 1, 1), "file", "no YAML files in this folder")
            return found
        if not path.exists():
            state.add(Location(str(path), 1, 1), "file", "no such file or folder")
            return []
        return [path]

    policies = once(p for given in options.policies for p in expand(given, recurse=False))
    waivers = once(p for given in options.waivers for p in expand(given, recurse=False))
    paths = options.paths
    if not paths and not options.policies and not options.waivers:
        # gate's own files, by the convention `gate init` follows; none there is a problem, not
        # a clean result
        paths = (Path("gate"),)
    other = once(p for given in paths for p in expand(given, recurse=True))
    return policies, waivers, other


def _lint_file(path: Path, state: _State, role: str) -> None:
    state.files += 1
    try:
        documents = [d for d in load_documents(path) if d.data is not None]
    except ConfigError as exc:
        state.add_error(exc, str(path), "yaml")
        return
    if any(_is_test(d) for d in documents):
        _lint_test_file(path, state)
        return
    is_waivers = role == "waivers" or (
        role == "" and any(isinstance(d.data, dict) and "waivers" in d.data for d in documents)
    )
    if is_waivers:
        if len(documents) != 1:
            state.add(
                Location(str(path), 1, 1),
                "schema",
                "a waivers file holds exactly one YAML document",
            )
            return
        state.waiver_docs.append((path, documents[0]))
        return
    for document in documents:
        _lint_policy(document, state)


def _is_test(document: Document) -> bool:
    return isinstance(document.data, dict) and document.data.get("kind") == "PolicyTest"


def _lint_test_file(path: Path, state: _State) -> None:
    """A test file as `gate test` loads it (its first problem: the runner stops there too)."""
    from gate.policytest import load_test_file

    try:
        load_test_file(path)
    except ConfigError as exc:
        if exc.location is None or exc.location.file == str(path):
            state.add_error(exc, str(path), "test")
        # else it is a policy's problem: reported at that file when it is linted, and by the runner


# --- policies ---------------------------------------------------------------------------------


def _lint_policy(document: Document, state: _State) -> None:
    data = document.data
    state.policy_documents += 1
    before = len(state.problems)
    bad_paths = _schema_problems(document, "policy.schema.json", state)
    name = _get(data, "metadata", "name")
    spec = data.get("spec") if isinstance(data, dict) else None
    spec = spec if isinstance(spec, dict) else {}
    scope = spec.get("scope")
    enforcement = _enforcement(spec.get("enforcement"))
    if isinstance(name, str):
        _register(document, name, enforcement, state)
    if isinstance(scope, str) and scope in SCOPE_ROOTS:
        _lint_conditions(document, spec, scope, bad_paths, state)
        _lint_placeholders(document, spec, scope, state)
    _lint_params(document, spec, state)
    if len(state.problems) == before:
        # whatever the pieces missed, the loader itself still refuses: lint may not be laxer
        try:
            policy_module.compile_policy(document)
        except ConfigError as exc:
            state.add_error(exc, document.file)


def _enforcement(value: Any) -> Enforcement | None:
    if not isinstance(value, str):
        return None
    try:
        return Enforcement(value)
    except ValueError:
        return None


def _register(
    document: Document, name: str, enforcement: Enforcement | None, state: _State
) -> None:
    where = document.location([])
    if name in BUILTIN_IDS or name.startswith(policy_module.RESERVED_PREFIX):
        state.add(
            document.location(["metadata", "name"]),
            "reserved-id",
            f"metadata.name: {name!r} is reserved for gate's built-in rules "
            f"({', '.join(BUILTIN_IDS)} and every ID starting with "
            f"{policy_module.RESERVED_PREFIX!r})",
        )
        return
    known = state.policies.get(name)
    if known is not None:
        first = known.where
        state.add(
            where,
            "duplicate-id",
            f"policy {name!r} is already defined at {first.file}:{first.line}",
        )
        return
    state.policies[name] = _Known(where, enforcement)


def _lint_conditions(
    document: Document,
    spec: dict[str, Any],
    scope: str,
    bad_paths: set[tuple[Any, ...]],
    state: _State,
) -> None:
    roots, in_cluster = SCOPE_ROOTS[scope], scope == "cluster"
    for key in ("match", "assert"):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        for index, raw in enumerate(items):
            path: list[str | int] = ["spec", key, index]
            if any(bad[: len(path)] == tuple(path) for bad in bad_paths):
                continue  # the schema problem is reported; compiling it would say it again
            try:
                policy_module._condition(document, path, raw, roots, in_cluster)
            except ConfigError as exc:
                state.add_error(exc, document.file)
    text = spec.get("message")
    if isinstance(text, str):
        try:
            policy_module._template(document, ["spec", "message"], text, scope)
        except ConfigError as exc:
            state.add_error(exc, document.file, "placeholder")


def _conditions(spec: dict[str, Any]) -> Iterable[tuple[list[str | int], dict[str, Any]]]:
    """Every condition of ``spec`` with its path, nested ones (``any``, ``where``) included."""
    stack: list[tuple[list[str | int], Any]] = [
        (["spec", key, i], raw)
        for key in ("match", "assert")
        if isinstance(spec.get(key), list)
        for i, raw in enumerate(spec[key])
    ]
    while stack:
        path, raw = stack.pop()
        if not isinstance(raw, dict):
            continue
        yield path, raw
        for nested in ("any", "where"):
            if isinstance(raw.get(nested), list):
                stack.extend(([*path, nested, i], sub) for i, sub in enumerate(raw[nested]))


def _messages(spec: dict[str, Any]) -> Iterable[tuple[list[str | int], str]]:
    if isinstance(spec.get("message"), str):
        yield ["spec", "message"], spec["message"]
    for path, raw in _conditions(spec):
        if isinstance(raw.get("message"), str):
            yield [*path, "message"], raw["message"]


def _declared(state: _State) -> set[str]:
    names = {item.partition("=")[0].strip() for item in state.options.params}
    return names | {name.split(".")[0] for name in names}


def _lint_placeholders(document: Document, spec: dict[str, Any], scope: str, state: _State) -> None:
    declared = _declared(state)
    for path, text in _messages(spec):
        for name in _PLACEHOLDER.findall(text):
            where = document.location(path)
            if name.startswith("param."):
                param = name.removeprefix("param.")
                if param not in declared:
                    state.add(
                        where,
                        "placeholder",
                        f"{json_path(path)}: {{{name}}} is empty unless the run gives --param "
                        f"{param}: declare it with 'gate lint --param {param}'",
                    )
            elif scope == "cluster" and name not in _CLUSTER_NAMES:
                state.add(
                    where,
                    "placeholder",
                    f"{json_path(path)}: {{{name}}} cannot resolve in a cluster-scope policy "
                    "(it judges all tasks at once): use {count}, {expected}, {actual}, {policy} "
                    "or {param.NAME}",
                )


def _lint_params(document: Document, spec: dict[str, Any], state: _State) -> None:
    declared = _declared(state)
    for path, raw in _conditions(spec):
        for key, value in raw.items():
            if key in OPERATORS and isinstance(value, dict) and isinstance(value.get("param"), str):
                param = value["param"]
                if "default" not in value and param not in declared:
                    state.add(
                        document.location([*path, key, "param"]),
                        "param",
                        f"{json_path([*path, key])}: --param {param} has no default, so every "
                        f"run must give it: add a default, or declare it with "
                        f"'gate lint --param {param}'",
                    )


# --- waivers ----------------------------------------------------------------------------------


def _lint_waivers(path: Path, document: Document, state: _State) -> None:
    before = len(state.problems)
    _schema_problems(document, "waivers.schema.json", state)
    items = document.data.get("waivers") if isinstance(document.data, dict) else None
    if not isinstance(items, list):
        return
    now, horizon = state.options.now, state.options.now.plus(state.options.warn_days * 86_400)
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            continue
        state.waivers += 1
        base: list[str | int] = ["waivers", index]
        policy = raw.get("policy")
        if isinstance(policy, str) and policy:
            _lint_waived_policy(document, [*base, "policy"], policy, state)
        expires = raw.get("expires")
        if isinstance(expires, str):
            moment = parse_expiry(expires)
            where = document.location([*base, "expires"])
            if moment is None:
                state.add(
                    where, "schema", f"{json_path([*base, 'expires'])}: not a date: {expires!r}"
                )
            elif moment <= now:
                state.add(where, "waiver-expired", f"waiver for {policy} expired on {expires}")
            elif moment <= horizon:
                days = (moment.seconds - now.seconds) // 86_400
                state.add(
                    where,
                    "waiver-expiring",
                    f"warning: waiver for {policy} expires on {expires} (in {days} day(s), "
                    f"within --warn-days {state.options.warn_days})",
                    WARNING,
                )
        if not raw.get("addon") and not raw.get("risk"):
            state.add(
                document.location(base),
                "waiver-broad",
                f"warning: waiver for {policy} names neither an addon nor a risk: it waives the "
                "policy everywhere (too broad)",
                WARNING,
            )
    if len(state.problems) == before:
        try:
            load_waivers(path)
        except ConfigError as exc:
            state.add_error(exc, str(path), "schema")


def _lint_waived_policy(
    document: Document, path: list[str | int], policy: str, state: _State
) -> None:
    where = document.location(path)
    known = state.policies.get(policy)
    if policy in BUILTIN_IDS or (known is not None and known.enforcement is Enforcement.HARD):
        state.add(where, "waiver-hard", f"policy {policy} is hard-mandatory and cannot be waived")
        return
    if known is None:
        names = [*state.policies, *BUILTIN_IDS]
        close = difflib.get_close_matches(policy, names, n=1)
        hint = f": did you mean {close[0]!r}?" if close else ""
        state.add(where, "waiver-policy", f"{json_path(path)}: no policy {policy!r}{hint}")


# --- schema -----------------------------------------------------------------------------------


def _schema_problems(document: Document, schema: str, state: _State) -> set[tuple[Any, ...]]:
    """Report every schema violation; return the paths they are at."""
    errors = load_schema(schema_path(schema)).errors(document.data)
    suggested: set[tuple[tuple[Any, ...], str]] = set()
    located = []
    for error in errors:
        path = list(error.absolute_path)
        unknown = _unknown_keys(error)
        if unknown:
            known = unknown[1]
            for key in unknown[0]:
                close = difflib.get_close_matches(key, known, n=1)
                kind = "operator" if close and close[0] in OPERATORS else "key"
                hint = (
                    f": did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(known)})"
                )
                if close:
                    suggested.add((tuple(path), close[0]))
                state.add(
                    document.key_location(path, key),
                    "unknown-key",
                    f"{json_path([*path, key])}: unknown {kind} {key!r}{hint}",
                )
            continue
        located.append((error, path))
    for error, path in located:
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            if (tuple(path), missing) in suggested:
                continue  # the typo's suggestion already says it
        state.add(document.location(path), "schema", f"{json_path(path)}: {message(error)}")
    return {tuple(error.absolute_path) for error in errors}


def _unknown_keys(error: Any) -> tuple[list[str], list[str]] | None:
    if error.context:
        error = min(error.context, key=lambda e: len(list(e.absolute_path)))
        if error.validator != "additionalProperties":
            return None
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    allowed = list(error.schema.get("properties", {}))
    return [k for k in error.instance if k not in allowed], allowed


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _bare(text: str, where: Location) -> str:
    """The message without the ``file:line[:column]:`` it starts with (lint prints its own)."""
    for prefix in (
        f"{where.file}:{where.line}:{where.column}: ",
        f"{where.file}:{where.line}: ",
        f"{where.file}: ",
    ):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text
