"""Errors of the calibration package, and the exit code of ``stationd`` when one escapes a command.

::

    CalibrationError      exit 1: the work failed
    ├── CatalogError      exit 1: a star catalogue cannot be read (path, reason)
    └── PlateparError     exit 1: a plate solution cannot be read (source, key, value, reason)

The package knows nothing of exit codes: ``cli/main.py`` maps these classes. "Too few stars" is a normal
result, never an exception.
"""

from __future__ import annotations


class CalibrationError(Exception):
    """Base class of every error raised by the calibration package."""


class CatalogError(CalibrationError):
    """A star catalogue file is missing or malformed."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class PlateparError(CalibrationError):
    """An RMS platepar is malformed: ``key`` names the field, ``value`` is what it held, ``reason`` why."""

    def __init__(self, key: str, value: object, reason: str, *, source: str | None = None) -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}platepar key {key!r}={value!r}: {reason}")
        self.source = source
        self.key = key
        self.value = value
        self.reason = reason
