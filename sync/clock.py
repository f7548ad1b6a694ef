"""The clock ``sync`` is given (STYLE 6): ``stationd`` passes the system's, tests a fake one they drive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time for what is recorded, monotonic time for intervals, and a sleep that may end early."""

    def time_s(self) -> float:
        """Seconds since the UNIX epoch (UTC): timestamps and retry times kept in the outbox."""

    def monotonic_s(self) -> float:
        """Seconds of a clock that never goes back: rates and intervals."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (or less, when the caller is being stopped)."""


def iso_of(time_s: float) -> str:
    """``2026-08-12T22:15:06.120000Z`` of UNIX seconds (the one form of times in records and views).

    >>> iso_of(0.5)
    '1970-01-01T00:00:00.500000Z'
    """
    return datetime.fromtimestamp(time_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
