"""Where a problem is: a file, a line and a column, as data.

Error messages still start with ``file:line[:column]:`` for people; everything that needs the
place itself (lint, reporters, annotations) reads a :class:`Location` instead of parsing text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a file; ``line`` and ``column`` are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = self.file
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text
