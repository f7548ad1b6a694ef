"""Start-up recovery also cleans the embedded local object store: a put cut short by a crash leaves a
temporary (``.tmp-<pid>-...``) beside the key; once its writer is gone, ``Station.recover`` removes it and
leaves the objects alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.station import Station
from sync import LocalStore
from tests.stationd.ops_helpers import make_config


def test_recovery_removes_temporaries_of_the_local_store(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "data")
    StateStore(StationLayout(cfg.station.data_dir).state_db).close()
    root = cfg.station.data_dir / "store"
    key = "stations/XX0001/meteors/2026-08-12/m1/clip.mp4"
    LocalStore(root).put_bytes(key, b"clip", content_type="video/mp4")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    pid = int(dead.stdout)  # a process that has exited
    folder = (root / key).parent
    crashed = [folder / f".tmp-{pid}-ab12cd34-stack.jpg", folder / f".tmp-{pid}-ab12cd34-stack.jpg.meta"]
    for path in crashed:
        path.write_bytes(b"half")
    live = folder / f".tmp-{os.getpid()}-ef56ab78-meteor.json"  # this process: still writing
    live.write_bytes(b"busy")
    with Station(cfg) as station:
        station.recover()
    assert not any(p.exists() for p in crashed) and live.exists()
    assert (root / key).read_bytes() == b"clip" and [i.key for i in LocalStore(root).list("stations/")] == [
        key
    ]
