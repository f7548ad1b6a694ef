"""Errors of the detection package.

::

    DetectionError
    ├── VideoError           a video file cannot be opened or decoded (path, reason)
    ├── FFFormatError        an FF file is malformed (path, reason)
    ├── FTPDetectInfoError   an FTPdetectinfo text is malformed (source, line_no, reason)
    └── MaskError            a mask image cannot be used (path, reason)

"No meteor" or "too many candidates" is a normal result, never an exception.
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
