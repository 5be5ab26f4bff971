"""What every test that runs the CLI shares: where the repository is, and a fixed environment."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-08-06T00:00:00Z"
# Fixed so that outputs do not depend on who runs the tests, or when.
FIXED = {"GATE_NOW": NOW, "NO_COLOR": "1", "GITHUB_ACTOR": "ci-bot"}
# What a CLI run must not inherit from the machine running the tests (a CI runner sets these).
CLEARED = (
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITLAB_USER_LOGIN",
    "GATE_POLICY",
    "GATE_WAIVERS",
    "FORCE_COLOR",
    "CI",
)
# for CliRunner, where None removes a variable
CLI_ENV: dict[str, str | None] = {**FIXED, **dict.fromkeys(CLEARED)}


def process_env(**extra: str) -> dict[str, str]:
    """The environment for a gate subprocess."""
    inherited = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return {**inherited, **FIXED, "PYTHONPATH": str(ROOT), **extra}


def mutated(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    """A deep copy of ``document`` with the node at ``path`` replaced by ``value``, or deleted."""
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return changed


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def invoke(args: list[str], env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    """Run the command line as the console script does (minus the process exit): the exit code,
    standard output and standard error. Unlike ``CliRunner.invoke`` this goes through
    ``gate.cli._main``, so usage errors and signals are handled as in a real run."""
    from click.testing import CliRunner

    from gate.cli import _main

    runner = CliRunner()
    with runner.isolation(env={**CLI_ENV, **(env or {})}) as (stdout, stderr, _):
        code = _main(args)
    return code, stdout.getvalue().decode(), stderr.getvalue().decode()
