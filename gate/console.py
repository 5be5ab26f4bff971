"""Standard output and standard error, as a CI runner may hand them to gate.

Both may be closed, full, a pipe whose reader went away, or in an encoding that cannot show the
text (``LANG=C``, ``PYTHONIOENCODING=ascii``). Writing never raises: a failure is remembered, and
the caller decides what it does to the exit code. Everything written passes through
:func:`gate.redaction.scrub`; lines for standard error are also made visible (one line each, no
escape sequences), since they carry values from the input.
"""

from __future__ import annotations

from typing import TextIO

from gate import redaction
from gate.display import visible

__all__ = ["Console", "safe_stream"]


def safe_stream(stream: TextIO | None) -> TextIO | None:
    """The stream, set to write what its encoding cannot show as escapes instead of failing."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (OSError, ValueError):  # a closed or detached stream: writing will say so
            pass
    return stream


class Console:
    """Writes to standard output and standard error; never raises."""

    def __init__(self, stdout: TextIO | None, stderr: TextIO | None) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.out_failure = ""

    def out(self, text: str) -> str:
        """Write ``text`` to standard output: '' when written, else why not (also remembered)."""
        failure = _write(self.stdout, redaction.scrub(text))
        self.out_failure = self.out_failure or failure
        return failure

    def err_text(self, text: str) -> None:
        """Text of gate's own making (the account, annotations) to standard error, as it is."""
        _write(self.stderr, redaction.scrub(text))

    def err(self, line: str, raw_prefix: str = "", end: str = "\n") -> None:
        """One line to standard error, made visible; ``raw_prefix`` is terminal control of ours."""
        # Nothing can be done when standard error itself fails: the exit code still speaks.
        _write(self.stderr, raw_prefix + visible(redaction.scrub(line)) + end)


def _write(stream: TextIO | None, text: str) -> str:
    """'' when written, else why not."""
    if stream is None:
        return "it is closed"
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        return "the reader went away"
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError:  # write to a closed file object
        return "it is closed"
    return ""
