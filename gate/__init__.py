"""gate: a fail-closed CI policy gate for CCE add-on upgrade pre-checks."""

__version__ = "0.1.0"
