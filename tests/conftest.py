"""Shared fixtures: the fake CCE API server lives in fake_cce.py.

A test that starts a process or touches a socket says so with ``@pytest.mark.process`` or
``@pytest.mark.socket`` (so ``-m "not process and not socket"`` is the quick, hermetic subset);
an unmarked test that tries either fails at once, naming the marker it needs.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

pytest_plugins = ["fake_cce"]


def _refuse(marker: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"this test needs @pytest.mark.{marker}")

    return refuse


@pytest.fixture(autouse=True)
def _declared_side_effects(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("process") is None:
        monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse("process"))
    if request.node.get_closest_marker("socket") is None:
        for method in ("bind", "connect", "connect_ex"):
            monkeypatch.setattr(socket.socket, method, _refuse("socket"))
