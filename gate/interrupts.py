"""SIGINT and SIGTERM: the run stops where it is and still writes its reports.

The handlers raise :class:`gate.errors.Interrupted` in the main thread, which breaks out of a
blocking read, a sleep or a request at once. Native code that calls back into Python (the compiled
schema validator) may not cope with an exception raised inside it, so such calls run
:func:`shielded`: a signal that arrives there is held until the call returns. While the final
reports are written (:func:`held`) signals are blocked, so that writing completes.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from gate.errors import Interrupted

__all__ = ["HANDLED", "held", "install", "shielded"]

HANDLED = (signal.SIGINT, signal.SIGTERM)
_shield_depth = 0
_pending: int | None = None


def install() -> None:
    """From now on SIGINT and SIGTERM raise :class:`Interrupted` (in the main thread)."""
    for signum in HANDLED:
        signal.signal(signum, _handler)


def _handler(signum: int, frame: object) -> None:
    global _pending
    if _shield_depth:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold a signal back until the block ends (for native code that cannot unwind)."""
    global _shield_depth, _pending
    _shield_depth += 1
    try:
        yield
    finally:
        _shield_depth -= 1
    if _shield_depth == 0 and _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum)


@contextmanager
def held() -> Iterator[None]:
    """Block SIGINT and SIGTERM while the final reports are written."""
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        # a signal held back here would interrupt the exit that follows: drop it
        for signum in HANDLED:
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
