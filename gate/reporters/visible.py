"""Text from the API made safe for formats that viewers render: control characters shown, not
obeyed.

A risk message is free text from the CCE API. A raw ESC, CR, NUL, a C1 control or a Unicode
direction override in it could break a report's syntax (XML refuses most C0 controls), rewrite
what a terminal or a viewer shows, or make one finding look like another. They are replaced by a
visible escape (``\\x1b``, ``\\r``, ``\\u202e``), so the text keeps every character it had and
none of them acts. Tab and new line stay in bodies; :func:`one_line` also turns them into spaces
for attributes and titles.
"""

from __future__ import annotations

import re

_NAMED = {"\r": "\\r", "\x00": "\\0"}
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\x7f-\x9f"
    "\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that would act instead of show replaced by an escape."""
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """:func:`visible`, on one line: runs of blanks (tabs, new lines) become one space."""
    return " ".join(visible(text).split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
