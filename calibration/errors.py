"""Errors of the calibration package.

::

    CalibrationError
    └── CatalogError      a star catalogue cannot be read (path, reason)

"Too few stars" is a normal result, never an exception.
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
