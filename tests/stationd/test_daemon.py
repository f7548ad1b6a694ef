"""``stationd run`` as a process on a temporary station, with fake stages plugged in (DESIGN 5, issue 3).

Each test starts the daemon itself and stops it by its own process handle; nothing binds the network (the
notify socket is an abstract unix socket).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stationd.daemon_harness import DaemonHarness, minute_name

pytestmark = pytest.mark.server


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[DaemonHarness]:
    h = DaemonHarness(tmp_path)
    yield h
    h.close()


def _harness(tmp_path: Path, **daemon: float) -> DaemonHarness:
    return DaemonHarness(tmp_path / "station", daemon=dict(daemon))


@pytest.mark.slow  # ~20 s: worker processes start (imports) several times
def test_processes_waiting_and_arriving_files_each_exactly_once(harness: DaemonHarness) -> None:
    before = [harness.write_minute(i, slow=False) for i in range(3)]
    old = time.time() - 60
    for p in before:
        os.utime(p, (old, old))
    proc = harness.start()
    ready = harness.wait_message("READY")
    assert ready["READY"] == "1" and "STATUS" in ready
    for i in range(3, 6):
        harness.write_minute(i, slow=True)  # arrives while the daemon runs, written in pieces
    names = [minute_name(i) for i in range(6)]
    harness.wait_until(lambda: harness.all_done(names), what="every minute through scan and detect")

    for name in names:
        assert harness.count("done", "scan", name) == 1, name
        assert harness.count("done", "candidates", name) == 1, name
    assert not list(harness.incoming.iterdir())
    video = harness.data_dir / "days" / "2026-08-12" / "cam1" / "video"
    assert sorted(p.name for p in video.iterdir()) == sorted(names)
    assert harness.stop(proc, timeout_s=30) == 0
    assert any("STOPPING" in m for m in harness.messages + harness.receive(0.5))
    assert any("STATUS" in m and "done" in m["STATUS"] for m in harness.messages)
    assert not harness.temporaries()


@pytest.mark.slow  # ~20 s: worker processes start (imports) several times
def test_sigterm_lets_running_stages_finish_and_a_restart_completes(tmp_path: Path) -> None:
    h = _harness(tmp_path, shutdown_timeout_s=20)
    try:
        names = [minute_name(i) for i in range(8)]
        for i in range(8):
            h.write_minute(i, slow=False)
        proc = h.start(STATIOND_FAKE_SCAN_S="1.5")
        h.wait_until(lambda: any(e[0] == "start" for e in h.events()), what="a scan to start")
        assert h.stop(proc, timeout_s=20 + 15) == 0
        started = [e[2] for e in h.events() if e[:2] == ("start", "scan")]
        finished = [e[2] for e in h.events() if e[:2] == ("done", "scan")]
        assert sorted(started) == sorted(finished), "a running stage was cut although it fits the bound"
        assert len(finished) < len(names), "the test needs work left for the restart"
        assert not h.temporaries()

        h.start(STATIOND_FAKE_SCAN_S="0.1")
        h.wait_until(lambda: h.all_done(names), what="the restart to complete the work")
        for name in names:
            assert h.count("start", "scan", name) == 1 and h.count("done", "scan", name) == 1, name
            assert h.count("done", "candidates", name) == 1, name
        assert h.stop(h.procs[-1], timeout_s=30) == 0
        assert not h.temporaries()
    finally:
        h.close()


def test_a_stage_overrunning_the_bound_is_stopped_and_taken_up_again(tmp_path: Path) -> None:
    h = _harness(tmp_path, shutdown_timeout_s=2, stage_hang_s=600)
    try:
        h.write_minute(0, slow=False)
        name = minute_name(0)
        proc = h.start(STATIOND_FAKE_HANG=name)
        h.wait_until(lambda: h.count("start", "scan", name) == 1, what="the hanging scan to start")
        assert h.stop(proc, timeout_s=2 + 15) == 0
        assert h.statuses("scan") == {name: "pending"}  # the claim was given back
        assert not h.temporaries()  # the killed stage's temporary file is gone

        h.start()
        h.wait_until(lambda: h.all_done([name]), what="the restart to redo the minute")
        assert h.count("done", "scan", name) == 1
        assert h.stop(h.procs[-1], timeout_s=30) == 0
    finally:
        h.close()


@pytest.mark.slow  # ~20 s: worker processes start (imports) several times
def test_sigkill_then_restart_recovers_the_claims(tmp_path: Path) -> None:
    h = _harness(tmp_path)
    try:
        names = [minute_name(i) for i in range(4)]
        for i in range(4):
            h.write_minute(i, slow=False)
        proc = h.start(STATIOND_FAKE_SCAN_S="3")
        h.wait_until(lambda: any(e[0] == "start" for e in h.events()), what="a scan to start")
        worker_pids = {e[3] for e in h.events()}
        proc.kill()
        proc.wait(timeout=30)
        # The workers die with the daemon (PR_SET_PDEATHSIG): nothing is left holding a claim.
        end = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in worker_pids) and time.monotonic() < end:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in worker_pids)
        assert "running" in h.statuses("scan").values()
        assert h.temporaries()  # what a kill -9 leaves behind

        h.start(STATIOND_FAKE_SCAN_S="0.1")
        h.wait_until(lambda: h.all_done(names), what="the restart to complete the work")
        for name in names:
            assert h.count("done", "scan", name) == 1 and h.count("done", "candidates", name) == 1, name
        assert "recovered" in h.log_text()
        assert h.stop(h.procs[-1], timeout_s=30) == 0
        assert not h.temporaries()
    finally:
        h.close()


def test_a_second_instance_exits_3_naming_the_holder(harness: DaemonHarness) -> None:
    proc = harness.start()
    harness.wait_message("READY")
    second = harness.run_once()
    assert second.returncode == 3, second.stderr.decode()
    assert f"process {proc.pid}" in second.stderr.decode()
    assert harness.stop(proc, timeout_s=30) == 0


def test_watchdog_pings_while_healthy_and_stop_when_a_stage_hangs(tmp_path: Path) -> None:
    h = _harness(tmp_path, stage_hang_s=2, shutdown_timeout_s=2)
    try:
        name = minute_name(0)
        proc = h.start(STATIOND_FAKE_HANG=name, WATCHDOG_USEC="200000")  # pings every 0.1 s
        h.wait_message("READY")
        idle = h.receive(1.0)
        assert sum(m.get("WATCHDOG") == "1" for m in idle) >= 3, "idle with nothing to do is healthy"

        h.write_minute(0, slow=False)
        h.wait_until(lambda: h.count("start", "scan", name) == 1, what="the hanging scan to start")
        seen = len(h.messages)
        end = time.monotonic() + 20
        while not any("stuck: 1/2 workers busy" in m.get("STATUS", "") for m in h.messages[seen - 5 :]):
            assert time.monotonic() < end, f"no stuck STATUS: {h.messages[-20:]}\n{h.log_text()}"
            h.receive(0.2)
        h.receive(0.5)  # pings sent before the stall was noticed
        later = h.receive(1.5)
        assert not any(m.get("WATCHDOG") == "1" for m in later), later

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=2 + 15) == 0
        assert h.statuses("scan") == {name: "pending"}
    finally:
        h.close()
