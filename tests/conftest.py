"""Shared fixtures: where the real station data lives, and a guard against leaked threads."""

from __future__ import annotations

import os
import threading
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


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread running: a daemon must stop everything it starts."""
    before = set(threading.enumerate())
    yield
    deadline_threads = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in deadline_threads:
        t.join(timeout=5.0)
    leaked = [t.name for t in deadline_threads if t.is_alive()]
    assert not leaked, f"test leaked threads: {leaked}"
