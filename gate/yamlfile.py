"""YAML files as bounded data, with line numbers: every error names ``file:line``.

Every YAML file gate reads (policies, waivers, and any later one) goes through
:func:`load_documents`. YAML can do much more than data needs, and each extra is refused with
its line, before anything is built from the file:

* anchors and aliases (``&a``, ``*a``): a recursive alias or an alias bomb would otherwise hang
  or eat memory; write the value out instead;
* explicit tags (``!!binary``, ``!!set``, ``!!python/...``, ``!local``): a value is what it looks
  like, never something a tag turns it into;
* keys that are not plain strings: a mapping or a list as a key, ``1:``, ``true:``, ``null:``,
  the ``<<`` merge key;
* control and invisible characters (C0 and C1 controls but tab and line breaks, DEL, U+2028/9,
  bidirectional overrides, noncharacters), also when an escape such as ``"\\x1b"`` makes them;
* more than ``MAX_BYTES`` bytes, nesting deeper than ``MAX_DEPTH``, an integer longer than
  ``MAX_INT_DIGITS`` characters, text that is not UTF-8, and anything that is not a regular file
  (a folder, a FIFO that would block, a device).

Timestamps stay strings (they are parsed where they are used), and a key written twice is an
error instead of silently keeping the last one. The libyaml loader and the pure-Python one give
the same answers: the checks above work on the events and nodes both produce.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate.errors import ConfigError
from gate.location import Location
from gate.validation import json_path

MAX_BYTES = 1024 * 1024  # a policy set is a few kB; a megabyte is far beyond any real one
MAX_DEPTH = 64  # policies nest a handful of levels (spec.assert[0].any[0].where[0])
MAX_INT_DIGITS = 1000  # Python refuses to read integers beyond 4300 digits

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
# what may not stand in a file: controls (tab and line breaks aside), DEL and C1 controls,
# line and paragraph separators, bidirectional overrides and isolates, lone surrogates (from an
# escape), a BOM past the start, noncharacters
_INVISIBLE = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff\ufffe\uffff"
_BAD_IN_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_INVISIBLE}]")
# a value may not hold a carriage return either: YAML turns real line breaks into "\n", so one
# can only come from an escape, and it would let a message overwrite a line of output
_BAD_IN_VALUE = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")


def _loader_class(base: Any) -> Any:
    class Loader(base):  # type: ignore[misc]
        """SafeLoader without the timestamp resolver: dates stay the strings the user wrote."""

        yaml_implicit_resolvers = {
            first: [
                (tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"
            ]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

    return Loader


# libyaml when PyYAML was built with it (much faster); the tests run both
LOADERS: dict[str, Any] = {"python": _loader_class(yaml.SafeLoader)}
if hasattr(yaml, "CSafeLoader"):
    LOADERS["libyaml"] = _loader_class(yaml.CSafeLoader)
_Loader: Any = LOADERS.get("libyaml", LOADERS["python"])


@dataclass(frozen=True)
class Document:
    file: str
    data: Any
    node: yaml.Node

    def line(self, path: Iterable[str | int]) -> int:
        """The line of the deepest node that ``path`` reaches (1-based)."""
        return self.location(path).line

    def location(self, path: Iterable[str | int]) -> Location:
        """Where the deepest node that ``path`` reaches starts."""
        node = self.node
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return _mark_location(self.file, node.start_mark)

    def key_location(self, path: Iterable[str | int], key: str) -> Location:
        """Where ``key`` is written in the mapping ``path`` reaches (the mapping if not there)."""
        path = list(path)
        node = self.node
        for part in path:
            child = _child(node, part)
            if child is None:
                return self.location(path)
            node = child
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if key_node.value == key:
                    return _mark_location(self.file, key_node.start_mark)
        return self.location(path)

    def error(self, path: Iterable[str | int], message: str) -> ConfigError:
        path = list(path)
        return ConfigError(
            f"{self.file}:{self.line(path)}: {json_path(path)}: {message}",
            location=self.location(path),
        )


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part]  # type: ignore[no-any-return]
    return None


def load_documents(path: Path, display: str | None = None) -> list[Document]:
    """Every YAML document of the file, each with its node tree."""
    file = display or str(path)
    text = _read_text(path, file)
    _check_characters(file, text)
    _check_events(file, text)
    documents = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_nodes(file, node)
            documents.append(Document(file, loader.construct_document(node), node))
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(file, exc) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents


def _read_text(path: Path, file: str) -> str:
    try:
        # O_NONBLOCK: opening a FIFO nobody writes to must not hang the pipeline
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"{file}: is a folder, not a YAML file")
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{file}: not a regular file (a FIFO, socket or device)")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(handle)
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{file}: larger than {MAX_BYTES // 1024 // 1024} MiB; not read")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{file}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8",
            location=Location(file, line, column),
        ) from None


def _check_characters(file: str, text: str) -> None:
    found = _BAD_IN_TEXT.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        raise ConfigError(
            f"{file}:{line}:{column}: {_describe(found.group())} is not allowed",
            location=Location(file, line, column),
        )


def _describe(char: str) -> str:
    kind = {"Cc": "a control character", "Cs": "a lone surrogate"}.get(
        unicodedata.category(char), unicodedata.name(char, "a noncharacter").lower()
    )
    return f"character U+{ord(char):04X} ({kind})"


def _check_events(file: str, text: str) -> None:
    """Refuse aliases, anchors, tags, deep nesting and odd characters before any node is built."""
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1
            at = _mark_location(file, event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                raise ConfigError(
                    f"{file}:{line}: alias *{event.anchor} is not allowed: write the value out",
                    location=at,
                )
            if isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if not isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                continue
            if event.anchor is not None:
                raise ConfigError(
                    f"{file}:{line}: anchor &{event.anchor} is not allowed: write the value out",
                    location=at,
                )
            if event.tag is not None:
                tag = event.tag.replace("tag:yaml.org,2002:", "!!")
                raise ConfigError(
                    f"{file}:{line}: tag {tag} is not allowed: gate reads plain data only",
                    location=at,
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        f"{file}:{line}: nested more than {MAX_DEPTH} levels deep", location=at
                    )
            else:
                found = _BAD_IN_VALUE.search(event.value)
                if found:
                    raise ConfigError(
                        f"{file}:{line}: {_describe(found.group())} is not allowed", location=at
                    )
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(file, exc) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _check_nodes(file: str, node: yaml.Node) -> None:
    """Keys are plain strings written once; integers are of a size Python can read."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                _check_key(file, key)
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise ConfigError(
                        f"{file}:{line}: key {key.value!r} is written twice",
                        location=_mark_location(file, key.start_mark),
                    )
                seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif current.tag == _INT and len(current.value) > MAX_INT_DIGITS:
            line = current.start_mark.line + 1
            raise ConfigError(
                f"{file}:{line}: a number longer than {MAX_INT_DIGITS} digits",
                location=_mark_location(file, current.start_mark),
            )


def _check_key(file: str, key: yaml.Node) -> None:
    line = key.start_mark.line + 1
    at = _mark_location(file, key.start_mark)
    if not isinstance(key, yaml.ScalarNode):
        raise ConfigError(f"{file}:{line}: a mapping or a list cannot be a key", location=at)
    if key.tag == _MERGE:
        raise ConfigError(
            f"{file}:{line}: merge keys (<<) are not allowed: write the keys out", location=at
        )
    if key.tag != _STR:
        raise ConfigError(
            f"{file}:{line}: key {key.value!r} is not a string: put it in quotes if it is meant",
            location=at,
        )


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
    return ConfigError(
        f"{where}: invalid YAML: {exc.problem or exc.context}",
        location=_mark_location(file, mark) if mark else None,
    )


def _mark_location(file: str, mark: Any) -> Location:
    return Location(file, int(mark.line) + 1, int(mark.column) + 1)


def single_document(path: Path, what: str) -> Document:
    """The one YAML document of a file that must hold exactly one (``what``: "a waivers file")."""
    documents = [d for d in load_documents(path) if d.data is not None]
    if len(documents) != 1:
        raise ConfigError(f"{path}: {what} holds exactly one YAML document")
    return documents[0]
