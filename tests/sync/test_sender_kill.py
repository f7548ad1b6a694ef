"""A sender killed with SIGKILL in the middle of an upload, then restarted: every object arrives exactly
once (one object per key, holding the file's bytes), none of them twice."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stationd.daemon.owner import owner_alive
from sync.outbox import Outbox, Priority, Upload
from sync.sender import Sender
from tests.sync.fakes import DirStore, FakeClock

REPO = Path(__file__).resolve().parents[2]


def test_sigkill_mid_upload_then_restart(tmp_path: Path) -> None:
    db, root, started = tmp_path / "state.sqlite3", tmp_path / "store", tmp_path / "started"
    uploads = []
    for i in range(3):
        path = tmp_path / f"clip{i}.mp4"
        path.write_bytes(os.urandom(20 * 1024 + i))
        key = f"stations/XX0001/meteors/2026-08-12/m{i}/clip.mp4"
        uploads.append(Upload(key, path, "clip", Priority.CLIP))
    with Outbox(db, "XX0001", FakeClock()) as outbox:
        outbox.enqueue(uploads)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-m", "tests.sync._kill_child", str(db), str(root), str(started)]
    child = subprocess.Popen(args, cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        time.sleep(0.3)  # well inside the first upload (20 KiB at 1 KiB per 50 ms)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    in_flight = started.read_text()
    with Outbox(db, "XX0001", FakeClock()) as outbox:
        assert [i.key for i in outbox.items(["sending"])] == [in_flight]  # the row the kill interrupted
        assert outbox.recover_stale(owner_alive) == [in_flight]
        store = DirStore(root)
        report = Sender(outbox, store, "restarted:1:1", FakeClock()).run()
        assert report.sent == 3 and {i.state for i in outbox.items()} == {"done"}
    assert store.keys() == sorted(u.key for u in uploads)
    for u in uploads:
        assert (
            hashlib.sha256((root / u.key).read_bytes()).digest()
            == hashlib.sha256(u.path.read_bytes()).digest()
        )
