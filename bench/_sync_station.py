"""The station's side of ``bench/sync.py``: the outbox and sender as a method, the bandwidth cap, and the
time from a fireball's verification to its live object (see that script's docstring)."""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from stationd.daemon.owner import current_owner
from stationd.daemon.uploader import Uploader
from stationd.disk.layout import StationLayout
from stationd.disk.state import StateStore
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import SystemClock, open_outbox
from sync import S3Store, StationKeys
from sync.outbox import Outbox, Priority, Upload
from sync.sender import KIB, Sender, SenderSettings
from tests.stationd.ops_helpers import make_config
from tests.sync.conftest import TEST_CREDENTIALS
from tests.sync.seaweed import SeaweedServer
from tests.sync.station_s3 import DAY, add_meteor, write_credentials

STATION = "XX0001"


def _outbox_of(folder: Path, files: list[Path]) -> Outbox:
    """A fresh outbox in ``folder`` with one row per file (checksums taken now)."""
    outbox = Outbox(folder / "state.sqlite3", STATION, SystemClock())
    outbox.enqueue(
        [
            Upload(f"stations/{STATION}/bench/{p.name}", p, "clip", Priority.CLIP, content_type="video/mp4")
            for p in files
        ]
    )
    return outbox


def _sender(
    server: SeaweedServer, bucket: str, prefix: str, outbox: Outbox, cap_kib_s: float | None
) -> Sender:
    store = S3Store(server.settings(bucket, prefix=prefix, max_attempts=5), credentials=TEST_CREDENTIALS)
    return Sender(outbox, store, current_owner(), SystemClock(), SenderSettings(bandwidth_kib_s=cap_kib_s))


class OutboxMethod:
    """The ``outbox + Sender`` method: ``prepare`` (untimed) queues the files, the call sends them."""

    def __init__(self) -> None:
        self._outbox: Outbox | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.enqueue_s: list[float] = []

    def prepare(self, bench: Any, files: list[Path], prefix: str) -> None:
        """A fresh outbox holding the files (what the station does when a meteor is verified)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-outbox-")
        t0 = time.perf_counter()
        self._outbox = _outbox_of(Path(self._tmp.name), files)
        self.enqueue_s.append(time.perf_counter() - t0)

    def __call__(self, bench: Any, files: list[Path], prefix: str) -> None:
        """Send the queued files (``bench``: the script's ``Bench``, its server and bucket)."""
        assert self._outbox is not None and self._tmp is not None, "prepare first"
        try:
            report = _sender(bench.server, bench.bucket, prefix, self._outbox, None).run()
            if report.sent != len(files):
                raise SystemExit(f"outbox: sent {report.sent} of {len(files)}: {report.errors[:3]}")
        finally:
            self._outbox.close()
            self._tmp.cleanup()
            self._outbox = self._tmp = None


upload_outbox = OutboxMethod()


def bandwidth_run(server: SeaweedServer, bucket: str, tmp: Path, cap_kib_s: float, total_mib: float) -> None:
    """Send ``total_mib`` MiB of 256 KiB files under the cap; print the measured rates against it."""
    folder = tmp / "cap"
    folder.mkdir()
    files = []
    for i in range(max(2, int(total_mib * 4))):
        files.append(folder / f"cap-{i:03d}.bin")
        files[-1].write_bytes(os.urandom(256 * KIB))
    total = sum(p.stat().st_size for p in files)
    with _outbox_of(folder, files) as outbox:
        sender = _sender(server, bucket, "cap", outbox, cap_kib_s)
        assert sender.bucket is not None
        burst = sender.bucket.burst_bytes
        t0 = time.perf_counter()
        report = sender.run()
        paid = time.perf_counter() + sender.bucket.wait_s() - t0  # the debt of the last transfer included
    if report.sent != len(files):
        raise SystemExit(f"cap: sent {report.sent} of {len(files)}")
    rate = total / paid / KIB
    steady = (total - burst) / paid / KIB
    print(f"\nbandwidth_kib_s = {cap_kib_s:.0f}: {total / 2**20:.1f} MiB in {paid:.2f} s")
    print(f"  measured {rate:.0f} KiB/s = {rate / cap_kib_s:.3f} x the cap (without the bucket's "
          f"{burst / KIB:.0f} KiB initial burst: {steady / cap_kib_s:.3f} x)")  # fmt: skip


def _station(server: SeaweedServer, bucket: str, folder: Path) -> Any:
    cfg = make_config(folder / "data")
    storage = dataclasses.replace(cfg.storage, backend="s3", endpoint_url=server.endpoint_url, bucket=bucket,
                                  prefix="fireball", credentials_file=write_credentials(folder))  # fmt: skip
    cfg = dataclasses.replace(cfg, storage=storage)
    StateStore(StationLayout(cfg.station.data_dir).state_db).close()
    return cfg


def _queue_backlog(cfg: Any, folder: Path, n: int, tag: str) -> None:
    uploads = []
    for j in range(n):
        path = folder / f"backlog-{tag}-{j}.mp4"
        path.write_bytes(os.urandom(8 * 2**20))
        key = StationKeys(STATION).meteor(DAY, f"backlog-{tag}-{j}", "clip.mp4")
        uploads.append(Upload(key, path, "clip", Priority.CLIP, day=DAY, content_type="video/mp4"))
    with open_outbox(cfg) as outbox:
        outbox.enqueue(uploads)


def _drain(cfg: Any, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with open_outbox(cfg, read_only=True) as outbox:
            if outbox.summary()["pending"] == 0 and not outbox.dirty_days():
                return
        time.sleep(0.05)
    raise SystemExit("the uploader did not drain the outbox")


def fireball_latencies(server: SeaweedServer, bucket: str, tmp: Path, n: int, backlog: int) -> None:
    """Time a fireball's publish hook to its live meteor.json in the store, idle and behind a backlog."""
    folder = tmp / "fireball"
    folder.mkdir()
    cfg = _station(server, bucket, folder)
    client = server.client()
    uploader = Uploader(cfg)  # the daemon's thread, its default 1 s poll
    uploader.start()
    poll = f"uploader thread, poll {uploader.poll_s:.0f} s"
    print(f"\nfireball verified -> live meteor.json in the store ({poll})")
    try:
        for phase, n_backlog, first_second in (
            ("idle outbox", 0, 5),
            (f"{backlog} x 8 MiB clips queued", backlog, 30),
        ):
            times = []
            for i in range(n):
                _drain(cfg)
                if n_backlog:
                    _queue_backlog(cfg, folder, n_backlog, f"{i}")
                meteor_id = add_meteor(cfg, first_second + i, fireball=True)
                key = f"fireball/{StationKeys(STATION).live_meteor_prefix(DAY, meteor_id)}meteor.json"
                t0 = time.perf_counter()
                publish_meteors(cfg, DAY, "cam1", [meteor_id])
                while True:
                    try:
                        client.head_object(Bucket=bucket, Key=key)
                        break
                    except client.exceptions.ClientError:
                        if time.perf_counter() - t0 > 120:
                            raise SystemExit(f"{key} never arrived") from None
                        time.sleep(0.01)
                times.append(time.perf_counter() - t0)
            median = statistics.median(times)
            print(f"  {phase:<28} median {median:.2f} s, max {max(times):.2f} s ({n} fireballs)")
        _drain(cfg)
    finally:
        uploader.stop()
