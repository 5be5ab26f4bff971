"""Text from the input, made safe to show on a terminal or in a CI log.

A risk message, a task ID or a file name may hold anything: a newline and a forged
``Verdict: PASS`` line, a carriage return that overwrites the line, an escape sequence that moves
the cursor or clears the screen, a bidi override that reorders what a reviewer reads, a lone
surrogate no UTF-8 stream can encode. Everything that is not printable is shown as its escape
(``\\n``, ``\\x1b``, ``\\u202e``), so each value stays on its one line, and long values are clipped
with a count of what was cut.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from enum import Enum
from typing import Any, TypeVar

__all__ = ["clip", "cut", "displayable", "one_line", "shown", "visible"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LINE_BREAKS = {"\n", "\t"}

T = TypeVar("T")


def visible(text: str) -> str:
    """``text`` on one line, with every non-printable character written as its escape."""
    if text.isprintable():
        return text
    return "".join(ch if _inert(ch) else _escape(ch) for ch in text)


def shown(text: str) -> str:
    """Like :func:`visible`, but new lines and tabs stay (for the bodies of reports)."""
    # the common case, a multi-line message with nothing to escape, without a loop per character
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "".join(ch if ch in _LINE_BREAKS or _inert(ch) else _escape(ch) for ch in text)


def one_line(text: str) -> str:
    """:func:`shown` on one line: runs of blanks (tabs, new lines) become one space."""
    return " ".join(shown(text).split())


def _inert(ch: str) -> bool:
    # a space of another width (U+3000 in a Chinese message) shows as a space and does nothing
    return ch.isprintable() or unicodedata.category(ch) == "Zs"


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def displayable(value: T, limit: int) -> T:
    """A copy of a frozen result tree in which every string is visible and clipped.

    Reporters that write for a terminal or a log render the copy, so no field can be forgotten.
    Objects shared in the tree (a task referenced by many findings) are copied once.
    """
    memo: dict[int, Any] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, Enum) or node is None or isinstance(node, int | float):
            return node
        if isinstance(node, str):
            return clip(visible(node), limit)
        key = id(node)
        if key in memo:
            return memo[key]
        if isinstance(node, tuple):
            items = tuple(walk(item) for item in node)
            same = all(new is old for new, old in zip(items, node, strict=True))
            result: Any = node if same else items
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            fields = {f.name: getattr(node, f.name) for f in dataclasses.fields(node)}
            changes = {name: walk(old) for name, old in fields.items()}
            changed = {name: new for name, new in changes.items() if new is not fields[name]}
            result = dataclasses.replace(node, **changed) if changed else node
        else:
            result = node
        memo[key] = result
        return result

    copied: T = walk(value)
    return copied
