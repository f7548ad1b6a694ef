"""Shared fixtures: where the real station data lives, and a guard against leaked threads and processes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    override = os.environ.get("STATIOND_TEST_DATA")
    return Path(override) if override else _REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real observation data of ``../shared/data`` (or ``$STATIOND_TEST_DATA``); skip when absent."""
    path = _shared_data_dir()
    if not (path / "README.md").is_file():
        pytest.skip(f"real station data not found at {path} (set STATIOND_TEST_DATA to its path)")
    return path


def _children() -> set[int]:
    """Live (not zombie) child processes of this test process, from /proc."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    live = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z":
            continue
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes() if Path(f"/proc/{pid}").exists() else b""
        if b"multiprocessing.resource_tracker" in cmdline:  # one per session, started by the spawn context
            continue
        live.add(pid)
    return live


@pytest.fixture(autouse=True)
def _no_leaks() -> Iterator[None]:
    """Fail a test that leaves a thread or a child process running: a daemon must stop what it starts."""
    threads_before = set(threading.enumerate())
    children_before = _children()
    yield
    new_threads = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    for t in new_threads:
        t.join(timeout=5.0)
    leaked_threads = [t.name for t in new_threads if t.is_alive()]
    assert not leaked_threads, f"test leaked threads: {leaked_threads}"
    deadline = time.monotonic() + 5.0
    while (leaked := _children() - children_before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leaked, f"test leaked child processes: {sorted(leaked)}"
