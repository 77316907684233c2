"""A fake Dify console API for the tests and the benchmark (see server.py for what it follows)."""

from .server import FakeDifyConsole

__all__ = ["FakeDifyConsole"]
