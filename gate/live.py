"""Live mode: fetch the check results from the CCE API, start checks, wait, then judge."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.errors import ConfigError
from gate.report import Report
from gate.run import CheckOptions, guarded


@dataclass(frozen=True)
class LiveOptions:
    endpoint: str | None = None
    region: str | None = None
    project_id: str | None = None
    cluster_id: str | None = None
    token_env: str | None = None
    ca_bundle: Path | None = None
    timeout: float = 900
    save_response: Path | None = None
    task_id: str | None = None
    addon_instance_id: str | None = None
    wait: bool = False
    progress: Callable[[str], None] = print
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def check(options: CheckOptions, live: LiveOptions) -> Report:
    return guarded(lambda: _not_yet())


def precheck(options: CheckOptions, live: LiveOptions, targets: tuple[str, ...]) -> Report:
    return guarded(lambda: _not_yet())


def _not_yet() -> Report:
    raise ConfigError("live mode is not available yet: pass --input with a saved response")
