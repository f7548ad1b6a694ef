"""The sender: verified uploads, backoff with jitter, store outages, restarts, the bandwidth cap."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from sync import StoreAuthError, StoreUnavailable
from sync.outbox import Outbox, Priority, Upload
from sync.sender import Sender, SenderSettings, SendReport, backoff_s
from tests.sync.fakes import FakeClock, MemoryStore

S = "XX0001"


def _files(tmp_path: Path, n: int, size: int = 100, seed: int = 1) -> list[Upload]:
    rng = random.Random(seed)
    ups = []
    for i in range(n):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(rng.randbytes(size))
        ups.append(
            Upload(
                f"stations/{S}/meteors/2026-08-12/m{i}/clip.mp4",
                path,
                "clip",
                Priority.CLIP,
                day="2026-08-12",
            )
        )
    return ups


def _exactly_once(store: MemoryStore, ups: list[Upload]) -> None:
    """One object per key, holding the file's bytes."""
    assert sorted(store.objects) == sorted(u.key for u in ups)
    for u in ups:
        stored = store.objects[u.key].data
        assert hashlib.sha256(stored).digest() == hashlib.sha256(u.path.read_bytes()).digest()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _sender(outbox: Outbox, store: MemoryStore, clock: FakeClock, **kw: object) -> Sender:
    return Sender(outbox, store, "me", clock, SenderSettings(**kw), rng=random.Random(7))  # type: ignore[arg-type]


def test_everything_arrives_verified_once(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 5)
    store = MemoryStore()
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        report = _sender(outbox, store, clock).run()
        assert (report.sent, report.bytes_sent, report.retried) == (5, 500, 0)
        assert {i.state for i in outbox.items()} == {"done"}
        assert outbox.items()[0].sent_utc is not None
    _exactly_once(store, ups)
    assert set(store.puts.values()) == {1}


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(3)
    delays = [backoff_s(n, 5.0, 60.0, rng) for n in range(1, 9)]
    ceilings = [5, 10, 20, 40, 60, 60, 60, 60]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len({round(d, 6) for d in delays[4:]}) == 4  # jitter: equal ceilings, different delays


def test_a_run_of_503s_pauses_then_everything_arrives(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 3)
    store = MemoryStore()
    store.fail_next(4)
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock, backoff_base_s=2.0, pause_max_s=30.0)
        total = SendReport()
        pauses = []
        for _ in range(20):
            sender.run(report=total)
            if not (pause := sender.paused_s) and not outbox.items(["pending"]):
                break
            pauses.append(pause)
            clock.advance(max(pause, 1.0) + 0.01)
        assert total.retried == 4 and total.sent == 3
        assert pauses[0] < pauses[-1]  # backing off: each failure waits longer
        assert outbox.summary()["failing_since_utc"] is None  # cleared by the successes
    # the failed calls; the row tried before asks first (head), then put and head for each object
    assert len(store.calls) == 4 + 1 + 3 * 2
    _exactly_once(store, ups)


def test_refused_credentials_keep_everything_until_fixed(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 2)
    store = MemoryStore()
    store.refuse_credentials = True
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock)
        report = sender.run()
        assert report.sent == 0 and report.retried == 1  # one request, not one per row
        assert sender.paused_s > 0
        summary = outbox.summary()
        assert summary["pending"] == 2 and summary["failing_since_utc"] is not None
        assert "StoreAuthError" in summary["last_error"]
        store.refuse_credentials = False
        clock.advance(3600)
        assert sender.run().sent == 2
    _exactly_once(store, ups)


def test_an_object_that_does_not_verify_is_sent_again(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 1)
    store = MemoryStore()
    store.damage_next_put = True
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock)
        report = sender.run()
        assert report.retried == 1 and "not verified" in report.errors[0]
        clock.advance(3600)
        assert sender.run().sent == 1
    _exactly_once(store, ups)


def test_after_a_crash_an_object_already_stored_is_not_sent_again(tmp_path: Path, clock: FakeClock) -> None:
    """kill -9 after the bytes went but before the row said so: the restarted sender asks the store."""
    ups = _files(tmp_path, 2)
    store = MemoryStore()
    db = tmp_path / "s.db"
    with Outbox(db, S, clock) as outbox:
        outbox.enqueue(ups)
        item = outbox.claim_next("killed")
        assert item is not None and item.path is not None
        store.put_file(item.key, item.path, content_type=item.content_type)  # then the process died
    with Outbox(db, S, clock) as outbox:
        outbox.recover_stale(lambda owner: owner != "killed")
        report = _sender(outbox, store, clock).run()
        assert (report.present, report.sent) == (1, 1)
    assert set(store.puts.values()) == {1}
    _exactly_once(store, ups)


def test_a_multipart_upload_resumes_from_its_checkpoint(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 1, size=1000)
    store = MemoryStore(part_bytes=100)
    store.die_after_parts = 4
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock)
        sender.run()
        assert '"parts": 4' in str(outbox.load_checkpoint(ups[0].key, 1)).replace("'", '"')
        clock.advance(3600)
        assert sender.run().sent == 1
        assert outbox.load_checkpoint(ups[0].key, 1) is None
    assert sum(1 for op, _ in store.calls if op == "upload_part") == 10  # 4 + the 6 left, none twice
    assert store.objects[ups[0].key].etag.endswith("-10")
    _exactly_once(store, ups)


def test_a_missing_local_file_fails_its_row_only(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 2)
    store = MemoryStore()
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        ups[0].path.unlink()
        report = _sender(outbox, store, clock).run()
        assert (report.failed, report.sent) == (1, 1)
        assert [i.state for i in outbox.items()] == ["failed", "done"]


def test_a_file_changed_after_queueing_is_sent_as_it_is(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 1)
    store = MemoryStore()
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        ups[0].path.write_bytes(b"rewritten in place, longer than before")
        assert _sender(outbox, store, clock).run().sent == 1
        assert outbox.items()[0].size_bytes == len(ups[0].path.read_bytes())
    _exactly_once(store, ups)


def test_withdrawn_objects_are_deleted(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 2)
    store = MemoryStore()
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock)
        sender.run()
        prefix = ups[0].key.rsplit("/", 1)[0] + "/"
        outbox.withdraw(prefix)
        assert sender.run().deleted == 1
        assert [i.state for i in outbox.items()] == ["withdrawn", "done"]
    assert sorted(store.objects) == [ups[1].key]


def test_the_bandwidth_cap_holds_within_ten_percent(tmp_path: Path, clock: FakeClock) -> None:
    """100 files of 10 KiB under a 50 KiB/s cap: the rate measured on the (injected) clock."""
    ups = _files(tmp_path, 100, size=10 * 1024)
    store = MemoryStore()
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock, bandwidth_kib_s=50.0)
        t0 = clock.monotonic_s()
        report = sender.run()
        t_done = clock.monotonic_s() + sender.bucket.wait_s()  # the last transfer's debt is part of it
    rate_kib_s = report.bytes_sent / 1024 / (t_done - t0)
    assert report.sent == 100
    assert abs(rate_kib_s - 50.0) / 50.0 < 0.10, rate_kib_s


def test_stop_is_seen_while_waiting_for_bandwidth(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 10, size=100 * 1024)
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, MemoryStore(), clock, bandwidth_kib_s=10.0)
        start = clock.monotonic_s()
        report = sender.run(should_stop=lambda: clock.monotonic_s() - start > 5)
        assert report.sent < 10 and clock.slept_s < 6
        assert not outbox.items(["sending"])


def test_exceptions_from_the_store_are_classified(tmp_path: Path, clock: FakeClock) -> None:
    ups = _files(tmp_path, 1)
    store = MemoryStore()
    store.fail_next(1, lambda: StoreAuthError("refused"))
    store.fail_next(1, lambda: StoreUnavailable("timeout"))
    with Outbox(tmp_path / "s.db", S, clock) as outbox:
        outbox.enqueue(ups)
        sender = _sender(outbox, store, clock)
        assert sender.step(SendReport()) == "paused"
        clock.advance(3600)
        assert sender.step(SendReport()) == "paused"
        clock.advance(3600)
        assert sender.step(SendReport()) == "present" or store.objects
