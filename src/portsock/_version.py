"""The version of portsock, defined here once (pyproject.toml and the
extension read it from this file)."""

__version__ = "0.1.0"
