"""One daemon per data directory: the flock of stationd.lock."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from stationd.daemon.lock import StationLock
from stationd.errors import EXIT_LOCKED, LockHeldError


def _hold(path: str, conn: Connection) -> None:
    lock = StationLock(Path(path))
    lock.acquire()
    conn.send(os.getpid())
    conn.recv()  # until the test lets go (or kills us)


def test_second_holder_is_refused_with_the_pid_and_exit_code_3(tmp_path: Path) -> None:
    path = tmp_path / "stationd.lock"
    with StationLock(path):
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(LockHeldError) as info:
            StationLock(path).acquire()
        assert info.value.pid == os.getpid() and info.value.exit_code == EXIT_LOCKED
        assert f"process {os.getpid()}" in str(info.value)
    with StationLock(path) as again:  # released on exit
        assert again.held


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "stationd.lock"
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    holder = ctx.Process(target=_hold, args=(str(path), theirs))
    holder.start()
    try:
        assert ours.poll(60), "the holder did not start"
        pid = ours.recv()
        with pytest.raises(LockHeldError) as info:
            StationLock(path).acquire()
        assert info.value.pid == pid
    finally:
        holder.kill()  # our own child: a kill -9 of a running daemon
        holder.join()
    with StationLock(path) as lock:  # the kernel dropped the lock with the process
        assert lock.held
