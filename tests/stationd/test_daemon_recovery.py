"""The daemon after a crash, and what it says when it stops (issue 10: defects 2, 4 and 10).

Each test starts what it needs as child processes and stops them by their own handles; nothing binds the
network (the notify socket is an abstract unix socket).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stationd.disk.state import StateStore
from tests.stationd.daemon_harness import REPO, DaemonHarness, minute_name

pytestmark = pytest.mark.server


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[DaemonHarness]:
    h = DaemonHarness(tmp_path, daemon={"sweep_interval_s": 1}, workers=1)
    yield h
    h.close()


def _gone(pid: int) -> bool:
    """The process has exited (a zombie whose new parent has not reaped it yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] in "ZX"


def _wait_gone(pids: list[int], timeout_s: float = 15.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if all(_gone(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _worker_pids(daemon_pid: int, n: int, timeout_s: float = 60.0) -> list[int]:
    """The daemon's spawned worker processes (not multiprocessing's resource tracker)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        pids = [p for p in _children(daemon_pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        if len(pids) >= n:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"no {n} workers under {daemon_pid}")


_CLAIMER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from stationd.daemon.owner import current_owner
    from stationd.disk.state import StateStore
    from tests.stationd.daemon_harness import T0

    db, path = Path(sys.argv[1]), Path(sys.argv[2])
    with StateStore(db) as store:
        minute, _ = store.register_minute("cam1", T0, path.name, path, path.stat().st_size)
        assert store.claim(minute.id, "scan", current_owner(), "scan/test")
    print("claimed", flush=True)
    sys.stdin.read()  # holds the claim (alive) until the test closes its stdin
    """
)


def test_a_claim_whose_owner_exits_later_is_recovered_by_a_sweep_without_a_restart(
    harness: DaemonHarness,
) -> None:
    """Defect 4: a worker of a killed daemon still alive when the next daemon starts."""
    path = harness.write_minute(0, slow=False)
    old = time.time() - 60
    os.utime(path, (old, old))
    db = harness.data_dir / "state.sqlite3"
    claimer = subprocess.Popen(
        [sys.executable, "-c", _CLAIMER, str(db), str(path)],
        cwd=REPO, env=harness.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert claimer.stdout is not None and claimer.stdout.readline().strip() == b"claimed"
        proc = harness.start(STATIOND_FAKE_SCAN_S="3")
        harness.wait_message("READY")
        harness.receive(1.5)  # a sweep or two while the owner lives: its claim is left alone
        assert harness.statuses("scan") == {path.name: "running"}
        assert harness.count("start", "scan", path.name) == 0

        assert claimer.stdin is not None
        claimer.stdin.close()  # the owner exits; the running daemon's next sweep takes the claim back
        claimer.wait(timeout=30)
        harness.wait_until(lambda: harness.count("start", "scan", path.name) == 1, timeout_s=60,
                           what="the recovered minute to be scanned")  # fmt: skip
        assert "recovered 1 stale claim whose owner is gone" in harness.log_text()

        # Defect 10: a stop during a scan says so, with what runs and the bound on the wait.
        assert harness.stop(proc, timeout_s=30) == 0
        text = harness.log_text()
        assert "SIGTERM received: waiting up to" in text
        assert f"for 1 running stage to finish (scan {path.name}" in text
        assert "stationd stopped after" in text and "stage runs" in text
        assert "running: 1 worker," in text
    finally:
        if claimer.poll() is None:
            claimer.kill()
            claimer.wait(timeout=30)
        for pipe in (claimer.stdin, claimer.stdout):
            if pipe is not None:
                pipe.close()


def test_an_idle_stop_says_what_it_did(harness: DaemonHarness) -> None:
    """Defect 10: no empty ``stationd stopped:`` line."""
    proc = harness.start()
    harness.wait_message("READY")
    assert harness.stop(proc, timeout_s=30) == 0
    text = harness.log_text()
    assert "SIGTERM received: nothing running, stopping now" in text
    stopped = next(line for line in text.splitlines() if "stationd stopped" in line)
    assert stopped.rstrip().endswith("no stage ran"), stopped


def test_workers_exit_when_their_daemon_is_killed(harness: DaemonHarness) -> None:
    """Defect 4: a worker whose daemon got SIGKILL does not live on holding claims."""
    proc = harness.start()
    harness.wait_message("READY")
    workers = _worker_pids(proc.pid, 1)
    proc.kill()
    proc.wait(timeout=30)
    assert _wait_gone(workers), [p for p in workers if not _gone(p)]


_PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"watching"
    print(child.pid, flush=True)
    time.sleep(600)
    """
)
_CHILD = textwrap.dedent(
    """
    import os
    from stationd.daemon.workers import watch_parent
    print("watching", flush=True)
    watch_parent(os.getppid(), interval_s=0.1)
    """
)


def test_a_worker_notices_that_its_parent_is_gone_without_the_kernel_signal() -> None:
    """The watch in the worker itself, for where PR_SET_PDEATHSIG is not there to kill it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, _CHILD], cwd=REPO, env=env, stdout=subprocess.PIPE
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not _gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _wait_gone([child]), "the orphan kept running"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_quarantined_minute_put_back_into_incoming_is_taken_again_by_the_running_daemon(
    harness: DaemonHarness,
) -> None:
    """Defect 2, the daemon's side: the watcher hears the file come back and the minute starts over."""
    path = harness.write_minute(0, slow=False)
    quarantine = harness.data_dir / "quarantine"
    quarantine.mkdir(parents=True)
    with StateStore(harness.data_dir / "state.sqlite3") as store:
        from tests.stationd.daemon_harness import T0

        minute, _ = store.register_minute("cam1", T0, path.name, path, 1)
        assert store.claim(minute.id, "scan", "test:1:1", "scan/test")
        store.fail(minute.id, "scan", "test:1:1", "unreadable", 0.1, quarantined=True)
        path.rename(quarantine / path.name)
        store.set_paths(minute.id, quarantine / path.name)
    proc = harness.start()
    harness.wait_message("READY")
    assert harness.statuses("scan") == {path.name: "quarantined"}
    (quarantine / path.name).rename(path)  # put back by hand, as the operator did
    harness.wait_until(lambda: harness.all_done([minute_name(0)]), timeout_s=60, what="the minute redone")
    assert "is back in incoming/" in harness.log_text()
    assert harness.stop(proc, timeout_s=30) == 0
