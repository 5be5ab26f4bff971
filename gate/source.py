"""Reading a saved ListAddonPrecheckTasks response: bytes in, one JSON document out, or a refusal.

``json.loads`` is lenient where a gate must not be: it lets the last of two equal keys win, reads
NaN, Infinity and 1e400, keeps lone surrogates that crash any UTF-8 writer later, and fails with
RecursionError or ValueError instead of a position. Each of those is refused here as invalid
input (exit 3) naming the line and column, or the JSON path, where it happens. The hot path stays
``json.loads`` with cheap hooks; finding *where* a problem is costs a second pass, only when
there is one.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from gate.errors import ConfigError, InvalidInput
from gate.location import Location
from gate.validation import clip, json_path

# Deeper than any response (about seven levels); bounded so that nothing downstream recurses far.
MAX_DEPTH = 100
# About a million tasks (100,000 take 93 MB); a larger input, or an endless one such as
# /dev/zero, is refused before it is parsed, instead of filling the runner's memory.
MAX_BYTES = 1 << 30
# CPython 3.12 and later count the parser's C recursion apart from sys.setrecursionlimit (and
# allow thousands of levels): there the parsed document is walked instead, a little slower.
PARSER_HONOURS_RECURSION_LIMIT = sys.version_info < (3, 12)
_CHUNK = 1 << 24
# The calls the parser and its object hook add beyond one per level (test_reading pins it).
_PARSER_FRAMES = 3

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "UTF-32-BE"),
    (codecs.BOM_UTF16_LE, "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "UTF-16-BE"),
)
# A JSON text starts with an ASCII character, so the NULs among its first bytes tell the encoding
# (RFC 4627, section 3).
_NUL_PATTERNS = (
    (re.compile(rb"\x00\x00\x00[^\x00]"), "UTF-32-BE"),
    (re.compile(rb"[^\x00]\x00\x00\x00"), "UTF-32-LE"),
    (re.compile(rb"\x00[^\x00](?:\x00[^\x00]|\Z)"), "UTF-16-BE"),
    (re.compile(rb"[^\x00]\x00(?:[^\x00]\x00|\Z)"), "UTF-16-LE"),
)
_STRING = r'"(?:[^"\\]|\\.)*"'
_TOKENS = re.compile(_STRING + r'|[^\s\[\]{},:"]+')
_BRACKETS = re.compile(_STRING + r"|[\[{\]}]")
_ESCAPES = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)")
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def read_response(path: str) -> Any:
    """The parsed JSON of ``path`` (``-`` reads standard input)."""
    name = "<stdin>" if path == "-" else path
    return parse(_read_bytes(path, name), name)


def _read_bytes(path: str, name: str) -> bytes:
    try:
        if path == "-":
            if stdin_is_terminal():
                raise ConfigError(
                    "<stdin>: is a terminal, not a response: pipe one in or pass --input FILE"
                )
            data = _read_at_most(sys.stdin.buffer)
        else:
            with open(path, "rb") as handle:
                data = _read_at_most(handle)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a folder, not a response file") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{name}: more than {MAX_BYTES:,} bytes: refused unread")
    return data


def _read_at_most(stream: BinaryIO) -> bytes:
    """All of ``stream``, or MAX_BYTES and one more byte (a read of MAX_BYTES + 1 would
    reserve that much memory up front)."""
    chunks, size = [], 0
    while size <= MAX_BYTES:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin: it is no terminal
        return False


def parse(data: bytes, name: str) -> Any:
    """One JSON document from ``data``, read one way only, or InvalidInput saying where not."""
    text = _text(data, name)
    try:
        document = _loads(text, name, _unique_keys)
    except _Duplicate:
        path, key = _first_duplicate(_loads(text, name, _marking_duplicates))
        raise InvalidInput(
            f"{name}: {json_path(path)}: the key {clip(key)} appears twice in one object "
            "(which of the two counts would be a guess)"
        ) from None
    if not PARSER_HONOURS_RECURSION_LIMIT and deeper_than(document, MAX_DEPTH):
        raise _too_deep_error(text, name)
    surrogate = _lone_surrogate(text)
    if surrogate is not None:
        raise _invalid_at(
            name,
            _where(text, surrogate),
            f"a lone surrogate escape ({text[surrogate : surrogate + 6]}) is no character: "
            "not valid text",
        )
    return document


def _text(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise InvalidInput(f"{name}: is {encoding} text (with a byte-order mark): {_UTF8}")
    if data.startswith(codecs.BOM_UTF8):
        raise InvalidInput(
            f"{name}: starts with a UTF-8 byte-order mark, which JSON text may not have "
            "(RFC 8259, section 8.1): save it without one"
        )
    for pattern, encoding in _NUL_PATTERNS:
        if pattern.match(data):
            raise InvalidInput(f"{name}: is {encoding} text: {_UTF8}")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _invalid_at(name, _where_bytes(data, nul), "a NUL byte: not JSON text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid_at(
            name,
            _where_bytes(data, exc.start),
            f"byte 0x{data[exc.start]:02x} is not UTF-8: {_UTF8}",
        ) from None


_UTF8 = "JSON must be UTF-8 (RFC 8259); convert it, e.g. with iconv -t UTF-8"


def _loads(text: str, name: str, hook: Callable[[list[tuple[str, Any]]], Any]) -> Any:
    try:
        with _depth_bound():
            return json.loads(
                text,
                object_pairs_hook=hook,
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
                parse_int=_integer,
            )
    except json.JSONDecodeError as exc:
        if not exc.doc.strip():
            raise InvalidInput(f"{name}: empty, not a JSON response") from None
        # a proxy or gateway that answers for the API sends a page, not JSON
        page = (
            " (it looks like HTML or XML: a proxy's or gateway's page?)"
            if exc.doc[exc.pos : exc.pos + 1] == "<" and not exc.doc[: exc.pos].strip()
            else ""
        )
        raise _invalid_at(
            name, (exc.lineno, exc.colno), f"not valid JSON: {exc.msg}{page}"
        ) from None
    except RecursionError:
        raise _too_deep_error(text, name) from None
    except _Refused as exc:
        offset = _first_token(text, exc.literal)
        raise _invalid_at(name, _where(text, offset), exc.reason) from None


def _too_deep_error(text: str, name: str) -> InvalidInput:
    return _invalid_at(
        name, _where(text, _too_deep(text)), f"nested more than {MAX_DEPTH} levels deep"
    )


@contextmanager
def _depth_bound() -> Iterator[None]:
    """Let the parser nest MAX_DEPTH levels below here and no further, where the recursion
    limit bounds it (CPython 3.11); elsewhere :func:`parse` walks the document instead."""
    if not PARSER_HONOURS_RECURSION_LIMIT:
        yield
        return
    previous = sys.getrecursionlimit()
    # C calls count too but leave no frame to count, so measure what is left instead
    sys.setrecursionlimit(previous - _headroom() + MAX_DEPTH + _PARSER_FRAMES)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _headroom() -> int:
    """How many more nested Python calls the interpreter allows from here."""
    count = 0

    def down() -> None:
        nonlocal count
        count += 1
        down()

    try:
        down()
    except RecursionError:
        pass
    return count


class _Duplicate(Exception):
    pass


class _Refused(Exception):
    def __init__(self, literal: str, reason: str) -> None:
        super().__init__(reason)
        self.literal = literal
        self.reason = reason


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Comparing two lengths is all the hot path pays; the path is found in a second pass.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


class _Twice(dict[str, Any]):
    """An object that holds ``key`` twice (only built in the second pass)."""

    key = ""


def _marking_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    marked = _Twice(result)
    for key, _ in pairs:
        if key in seen:
            marked.key = key
            break
        seen.add(key)
    return marked


def _first_duplicate(document: Any) -> tuple[list[str | int], str]:
    """The path of the first object, in document order, that holds a key twice, and the key."""
    todo: list[tuple[list[str | int], Any]] = [([], document)]
    while todo:
        path, node = todo.pop()
        if isinstance(node, _Twice):
            return path, node.key
        if isinstance(node, dict):
            children = [([*path, k], v) for k, v in node.items()]
        elif isinstance(node, list):
            children = [([*path, i], v) for i, v in enumerate(node)]
        else:
            continue
        todo.extend(reversed(children))
    raise AssertionError("the first pass found a duplicate key")


def _refuse_constant(literal: str) -> Any:
    raise _Refused(literal, f"{literal} is not a JSON number (JSON has no NaN or Infinity)")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _Refused(
            literal, f"the number {clip(literal)} is too large to read (it would be infinity)"
        )
    return value


def _integer(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        raise _Refused(
            literal,
            f"an integer of {len(literal.lstrip('-'))} digits is too long to read "
            f"(at most {sys.get_int_max_str_digits()} digits)",
        ) from None


def _first_token(text: str, literal: str) -> int:
    """Where ``literal`` first stands outside a string (the parser stopped at it)."""
    for match in _TOKENS.finditer(text):
        if match.group() == literal:
            return match.start()
    return 0


def deeper_than(document: Any, limit: int) -> bool:
    """Whether ``document`` nests more than ``limit`` levels (the document itself is level 1)."""
    todo = [(document, 1)] if isinstance(document, dict | list) else []
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                todo.append((child, depth + 1))
    return False


def _too_deep(text: str) -> int:
    """Where the nesting first passes MAX_DEPTH levels."""
    depth, deepest, where = 0, 0, 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
            if depth > deepest:
                deepest, where = depth, match.start()
        elif token in "]}":
            depth -= 1
    return where


def _lone_surrogate(text: str) -> int | None:
    """The offset of the first ``\\uD800``-``\\uDFFF`` escape that is not half of a pair."""
    if _MAYBE_SURROGATE.search(text) is None:  # the common case: one C-speed scan
        return None
    high: int | None = None  # offset of a high surrogate waiting for its low half
    high_end = -1
    for match in _ESCAPES.finditer(text):
        unit = int(match.group(1), 16) if match.group(1) else -1
        if high is not None and not (match.start() == high_end and 0xDC00 <= unit <= 0xDFFF):
            return high
        if high is not None:
            high = None
        elif 0xD800 <= unit <= 0xDBFF:
            high, high_end = match.start(), match.end()
        elif 0xDC00 <= unit <= 0xDFFF:
            return match.start()
    return high


def _invalid_at(name: str, where: tuple[int, int], message: str) -> InvalidInput:
    line, column = where
    return InvalidInput(f"{name}:{line}:{column}: {message}", location=Location(name, line, column))


def _where(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text.count("\n", 0, offset) + 1
    return line, offset - line_start + 1


def _where_bytes(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (in characters) of byte ``offset``; the bytes before it are UTF-8."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column
