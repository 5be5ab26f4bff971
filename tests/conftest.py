"""Shared fixtures: the fake CCE API server lives in fake_cce.py."""

pytest_plugins = ["fake_cce"]
