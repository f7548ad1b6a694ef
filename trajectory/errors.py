"""Errors of the trajectory package; ``cli/main.py`` maps them to the exit codes of ``stationd``.

::

    TrajectoryError             exit 1: the work failed
    ├── ObservationFormatError  exit 1: an observation file cannot be read (source, reason)
    └── SolveError              exit 1: the observations cannot give a trajectory (reason, n_stations)

The package knows nothing of exit codes. A rejected point or station is a normal result, reported in the
solution, never an exception.
"""

from __future__ import annotations


class TrajectoryError(Exception):
    """Base class of every error raised by the trajectory package."""


class ObservationFormatError(TrajectoryError):
    """An observation file (meteor record, event file) is malformed: ``source`` names it, ``reason`` why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SolveError(TrajectoryError):
    """The observations cannot give a trajectory (too few stations or points, parallel planes...)."""

    def __init__(self, reason: str, *, n_stations: int) -> None:
        super().__init__(f"cannot solve the trajectory ({n_stations} stations): {reason}")
        self.reason = reason
        self.n_stations = n_stations
