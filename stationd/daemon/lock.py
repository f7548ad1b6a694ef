"""One daemon per data directory: an exclusive ``flock`` on ``<data_dir>/stationd.lock`` holding the pid.

The kernel drops the lock when the holder exits, however it exits (even ``kill -9``), so a stale lock file
never blocks a restart; the pid written inside only serves the message of a refused second instance.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stationd.disk.atomic import pid_alive
from stationd.errors import LockHeldError


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


class StationLock:
    """An exclusive, non-blocking lock on a file; :class:`LockHeldError` names the holder's pid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now (acquiring twice or releasing unheld does nothing)."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockHeldError` at once (never waits)."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockHeldError(str(self.path), pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up; the file stays (deleting it would race with a starting instance)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> StationLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class LockHolder:
    """Who holds a station's lock, as another process sees it (``stationd status``)."""

    pid: int | None  # written by the holder when it took the lock
    held: bool  # some process holds the flock now
    alive: bool  # the pid names a live process
    since_utc: datetime | None  # when the lock was taken (the file's mtime: the holder wrote its pid then)

    @property
    def running(self) -> bool:
        """A daemon runs: the lock is held and its pid is alive."""
        return self.held and self.alive and self.pid is not None


def lock_holder(path: Path) -> LockHolder:
    """Look at the lock without taking it for longer than a probe; never creates the file.

    The probe is a non-blocking shared ``flock`` on a separate open of the file, released at once: it fails
    while a daemon holds its exclusive lock. (A daemon starting during the microseconds of the probe is
    refused with exit 3, and systemd starts it again.)
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return LockHolder(None, False, False, None)
    try:
        pid = _read_pid(fd)
        mtime = os.fstat(fd).st_mtime
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True
        else:
            held = False
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    since = datetime.fromtimestamp(mtime, UTC) if held else None
    return LockHolder(pid, held, pid is not None and pid_alive(pid), since)
