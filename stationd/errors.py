"""Errors of the station layer and the exit codes the CLI maps them to.

::

    StationError                      exit 1: the work failed
    ├── ConfigError                   exit 2: the configuration is invalid (problems: list of ConfigProblem)
    ├── UsageError                    exit 2: a bad argument (a day that is not a date, a missing file)
    └── LockHeldError                 exit 3: another instance holds the station (pid)

Each class carries its ``exit_code``; the errors of detection and calibration, which know nothing of the
command line, are mapped in ``cli/main.py`` (exit 1, but 2 for an unusable mask).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3


class StationError(Exception):
    """Base class of the station layer's errors; the CLI exits with ``exit_code``."""

    exit_code = EXIT_FAILURE


@dataclass(frozen=True)
class ConfigProblem:
    """One bad setting: where it is, what it was, and what was expected."""

    key: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.key}: got {self.value!r}, expected {self.expected}"


class ConfigError(StationError):
    """The configuration file cannot be used; ``problems`` lists every bad key."""

    exit_code = EXIT_USAGE

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration {source}:\n{lines}")
        self.source = source
        self.problems = problems


class UsageError(StationError):
    """An argument given on the command line cannot be used."""

    exit_code = EXIT_USAGE


class LockHeldError(StationError):
    """Another stationd process holds the station's data directory."""

    exit_code = EXIT_LOCKED

    def __init__(self, lock_path: str, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"{lock_path} is held by {who}: one stationd per data directory")
        self.lock_path = lock_path
        self.pid = pid
