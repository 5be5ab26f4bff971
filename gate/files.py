"""Writing files so that a reader never sees half of one.

A regular file (or a path that does not exist yet) is replaced atomically: the data goes to a
temporary file beside it, which is renamed into place, so a reader sees the old content or the
new, never a mix, and an interrupted write leaves nothing behind. A symbolic link is written
through (its target is replaced, the link stays). A path that exists and is not a regular file
(``/dev/stdout``, a FIFO, a device) cannot be replaced by a rename: it is written to. New files get
the permissions the umask gives (0644 under the usual 022), not the temporary file's 0600: CI
consumers often run as another user; a file that exists keeps its mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "is_special"]


def is_special(target: Path) -> bool:
    """True for a path that exists and is no regular file once links are followed."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def atomic_write(target: Path, data: bytes) -> None:
    """Put ``data`` at ``target`` as described in the module's docstring."""
    if is_special(target):
        with open(target, "wb") as stream:
            stream.write(data)
        return
    real = Path(os.path.realpath(target))
    real.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(real)
    handle, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
        os.replace(temporary, real)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # the only way to read the umask is to set it; set it straight back
    current = os.umask(0o022)
    os.umask(current)
    return current
