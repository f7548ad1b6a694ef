"""Errors of the detection package, and the exit code of ``stationd`` when one escapes a command.

::

    DetectionError           exit 1: the work failed
    ├── VideoError           exit 1: a video file cannot be opened or decoded (path, reason)
    ├── FFFormatError        exit 1: an FF file is malformed (path, reason)
    ├── FTPDetectInfoError   exit 1: an FTPdetectinfo text is malformed (source, line_no, reason)
    ├── MaskError            exit 2: a mask image cannot be used (path, reason); the operator chose it
    └── ValuesFormatError    exit 1: a values file is unreadable (path, reason; in detection.scan.values)

The package knows nothing of exit codes: ``cli/main.py`` maps these classes. "No meteor" or "too many
candidates" is a normal result, never an exception.
"""

from __future__ import annotations

from pathlib import Path


class DetectionError(Exception):
    """Base class of every error raised by the detection package."""


class VideoError(DetectionError):
    """A video cannot be read: ``path`` names it, ``reason`` says why in words an operator understands."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class FFFormatError(DetectionError):
    """An FF file does not follow the RMS layout (missing HDU, wrong shape or type)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class FTPDetectInfoError(DetectionError):
    """An FTPdetectinfo text is malformed: ``source`` names it, ``line_no`` (1-based) says where."""

    def __init__(self, source: str, line_no: int, reason: str) -> None:
        super().__init__(f"{source}:{line_no}: {reason}")
        self.source = source
        self.line_no = line_no
        self.reason = reason


class MaskError(DetectionError):
    """A mask image cannot be used: ``path`` names it, ``reason`` says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
