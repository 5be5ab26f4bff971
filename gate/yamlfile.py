"""YAML files with line numbers: every error names ``file:line``.

Policy and waiver files are composed into nodes first, so a JSON Schema error's path can be walked
back to the node that caused it. Timestamps stay strings (they are parsed where they are used),
and a key written twice is an error instead of silently keeping the last one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate.errors import ConfigError
from gate.validation import json_path

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader without the timestamp resolver: dates stay the strings the user wrote."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


@dataclass(frozen=True)
class Document:
    file: str
    data: Any
    node: yaml.Node

    def line(self, path: Iterable[str | int]) -> int:
        """The line of the deepest node that ``path`` reaches (1-based)."""
        node = self.node
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1

    def error(self, path: Iterable[str | int], message: str) -> ConfigError:
        path = list(path)
        return ConfigError(f"{self.file}:{self.line(path)}: {json_path(path)}: {message}")


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part]  # type: ignore[no-any-return]
    return None


def _check_duplicate_keys(file: str, node: yaml.Node) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in current.value:
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise ConfigError(f"{file}:{line}: key {key.value!r} is written twice")
                seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def load_documents(path: Path, display: str | None = None) -> list[Document]:
    """Every YAML document of the file, each with its node tree."""
    file = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    documents = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            _check_duplicate_keys(file, node)
            documents.append(Document(file, loader.construct_document(node), node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents
