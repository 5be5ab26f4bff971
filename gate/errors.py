"""The errors that stop gate from reaching a verdict.

Only "cannot evaluate" raises; a policy or schema finding is data, never an exception.
Each class carries the exit code and verdict it stands for::

    GateError                 6  internal-error (the base is never raised on purpose)
    ├── ConfigError           2  config-error   bad flag value, missing file, invalid policy/waivers
    ├── ApiError              4  api-error      HTTP status, network fault, unusable API answer
    └── InvalidInput          3  invalid-input  not JSON, not the schema, unknown enum value

    Interrupted (BaseException)  130/143  interrupted  SIGINT or SIGTERM arrived

When several apply, the documented precedence is 6, 2, 4, 3, then the verdicts 1, 5, 0; the
order in which gate loads things (configuration, then the response) follows it. ``Interrupted``
is no ``Exception``: nothing that catches errors to report them may swallow it, so it unwinds
from wherever the signal found the run, up to the code that writes the reports.
"""

from __future__ import annotations

from gate.location import Location


class GateError(Exception):
    """Base class: something prevented a verdict."""

    exit_code = 6
    verdict = "internal-error"

    def __init__(
        self, message: str, details: tuple[str, ...] = (), location: Location | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        # the place the message names, as data (None when the error is about no file position)
        self.location = location


class ConfigError(GateError):
    """A flag, policy file or waiver file is unusable."""

    exit_code = 2
    verdict = "config-error"


class ApiError(GateError):
    """The CCE or IAM API could not be reached or gave an unusable answer."""

    exit_code = 4
    verdict = "api-error"


class InvalidInput(GateError):
    """The check results are not JSON, or not the shape the API documents."""

    exit_code = 3
    verdict = "invalid-input"


class Interrupted(BaseException):
    """A signal asked gate to stop (raised by the handlers the command line installs)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
