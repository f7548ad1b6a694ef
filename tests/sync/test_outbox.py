"""The outbox's semantics: idempotent queueing, re-queue on change, dependency order, recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync import StoreConfigError
from sync.outbox import Outbox, Priority, Upload
from tests.sync.fakes import FakeClock

S = "XX0001"


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _up(key: str, path: Path, priority: Priority = Priority.RECORD, **kw: object) -> Upload:
    return Upload(f"stations/{S}/{key}", path, kind="test", priority=priority, **kw)  # type: ignore[arg-type]


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox(tmp_path / "state.sqlite3", S, FakeClock())
    yield box
    box.close()


def test_enqueue_is_idempotent_and_requeues_a_changed_file(tmp_path: Path, outbox: Outbox) -> None:
    path = _file(tmp_path, "a.json", b"one")
    assert outbox.enqueue([_up("a.json", path)]) == [f"stations/{S}/a.json"]
    assert outbox.enqueue([_up("a.json", path)]) == []  # same key, same bytes: nothing to do
    item = outbox.claim_next("me")
    assert item is not None and item.gen == 1
    assert outbox.mark_done(item.key, item.gen, "etag")
    assert outbox.enqueue([_up("a.json", path)]) == []  # delivered, unchanged
    path.write_bytes(b"two")
    assert outbox.enqueue([_up("a.json", path)]) == [item.key]
    again = outbox.items()[0]
    assert (again.state, again.gen, again.attempts, again.size_bytes) == ("pending", 2, 0, 3)


def test_a_requeue_while_sending_is_not_lost(tmp_path: Path, outbox: Outbox) -> None:
    """The sender finishing the old bytes must not mark the new ones delivered."""
    path = _file(tmp_path, "a.json", b"old")
    outbox.enqueue([_up("a.json", path)])
    item = outbox.claim_next("me")
    assert item is not None
    path.write_bytes(b"newer")
    outbox.enqueue([_up("a.json", path)])
    assert not outbox.mark_done(item.key, item.gen, "etag")
    row = outbox.items()[0]
    assert row.state == "pending" and row.size_bytes == 5


def test_keys_outside_the_station_are_refused(tmp_path: Path, outbox: Outbox) -> None:
    path = _file(tmp_path, "a", b"x")
    for key in ("stations/YY0002/a", "events/2026-08-12/e/claim", "stations/XX0001/../YY/a", "/abs"):
        with pytest.raises(StoreConfigError):
            outbox.enqueue([Upload(key, path, "test", Priority.RECORD)])
    with pytest.raises(StoreConfigError):
        outbox.withdraw("stations/YY0002/")


def test_priority_then_queue_order_then_dependencies(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path, "f", b"x")
    cal = f"stations/{S}/calibration/cam1/0123456789ab/platepar_cmn2010.cal"
    rec = f"stations/{S}/meteors/2026-08-12/m1/meteor.json"
    outbox.enqueue(
        [
            _up("index/2026/2026-08-12.json", f, Priority.INDEX, depends_on=(rec,)),
            _up("meteors/2026-08-12/m1/clip.mp4", f, Priority.CLIP),
            Upload(rec, f, "meteor", Priority.RECORD, depends_on=(cal,)),
            Upload(cal, f, "calibration", Priority.CALIBRATION),
            Upload(f"live/{S}/2026-08-12/m1/meteor.json", f, "live", Priority.LIVE),
        ]
    )
    order = []
    while (item := outbox.claim_next("me")) is not None:
        order.append(item.key.split("/", 2)[2])
        outbox.mark_done(item.key, item.gen, None)
    assert order == [
        "2026-08-12/m1/meteor.json",
        "calibration/cam1/0123456789ab/platepar_cmn2010.cal",
        "meteors/2026-08-12/m1/meteor.json",
        "index/2026/2026-08-12.json",
        "meteors/2026-08-12/m1/clip.mp4",
    ]


def test_a_dependency_in_flight_blocks_its_dependents(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path, "f", b"x")
    rec = f"stations/{S}/meteors/2026-08-12/m1/meteor.json"
    outbox.enqueue([Upload(rec, f, "meteor", Priority.RECORD)])
    outbox.enqueue([_up("index/2026/2026-08-12.json", f, Priority.LIVE, depends_on=(rec,))])
    first = outbox.claim_next("me")
    assert first is not None and first.key == rec  # the index would go first by priority: it waits
    assert outbox.claim_next("me") is None
    outbox.mark_retry(first.key, first.gen, "503", next_attempt_s=0)
    assert outbox.claim_next("me") is not None  # the record again (index still blocked)


def test_retry_time_is_honoured(tmp_path: Path) -> None:
    clock = FakeClock()
    with Outbox(tmp_path / "s.sqlite3", S, clock) as outbox:
        outbox.enqueue([_up("a", _file(tmp_path, "a", b"x"))])
        item = outbox.claim_next("me")
        assert item is not None
        outbox.mark_retry(item.key, item.gen, "StoreUnavailable: 503", clock.time_s() + 60)
        assert outbox.claim_next("me") is None
        clock.advance(61)
        again = outbox.claim_next("me")
        assert again is not None and again.attempts == 2 and again.last_error == "StoreUnavailable: 503"


def test_rows_left_sending_by_a_dead_owner_come_back(tmp_path: Path) -> None:
    """kill -9 mid-upload: the row stays 'sending' in the file; a new process recovers it."""
    db = tmp_path / "s.sqlite3"
    with Outbox(db, S, FakeClock()) as outbox:
        outbox.enqueue([_up("a", _file(tmp_path, "a", b"x")), _up("b", _file(tmp_path, "b", b"y"))])
        assert outbox.claim_next("dead-owner") is not None
    with Outbox(db, S, FakeClock()) as outbox:
        assert [i.state for i in outbox.items()] == ["sending", "pending"]
        assert outbox.recover_stale(lambda owner: owner != "dead-owner") == [f"stations/{S}/a"]
        assert [i.state for i in outbox.items()] == ["pending", "pending"]
        assert outbox.items()[0].attempts == 1  # the interrupted attempt counts: the sender asks first


def test_withdraw_deletes_sent_objects_and_drops_unsent_ones(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path, "f", b"x")
    prefix = f"stations/{S}/meteors/2026-08-12/m1/"
    outbox.enqueue(
        [
            Upload(prefix + "meteor.json", f, "meteor", Priority.RECORD),
            Upload(prefix + "clip.mp4", f, "clip", Priority.CLIP),
            Upload(prefix[:-1] + "_2/meteor.json", f, "meteor", Priority.RECORD),
        ]
    )
    item = outbox.claim_next("me")
    assert item is not None and item.key == prefix + "meteor.json"
    outbox.mark_done(item.key, item.gen, None)
    assert sorted(outbox.withdraw(prefix)) == [prefix + "clip.mp4", prefix + "meteor.json"]
    rows = {i.key: (i.op, i.state) for i in outbox.items()}
    assert rows[prefix + "meteor.json"] == ("delete", "pending")
    assert rows[prefix + "clip.mp4"] == ("delete", "withdrawn")  # never sent: nothing to delete
    assert rows[prefix[:-1] + "_2/meteor.json"] == ("put", "pending")  # another meteor's folder
    assert outbox.enqueue([Upload(prefix + "clip.mp4", f, "clip", Priority.CLIP)])  # it comes back


def test_replace_group_withdraws_what_the_new_version_lacks(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path, "f", b"x")
    p = f"stations/{S}/meteors/2026-08-12/m1/"
    outbox.enqueue(
        [
            Upload(p + "clip.mp4", f, "clip", Priority.CLIP),
            Upload(p + "clip_hd.mp4", f, "clip", Priority.CLIP_HD),
        ]
    )
    queued, withdrawn = outbox.replace_group(p, [Upload(p + "clip.mp4", f, "clip", Priority.CLIP)])
    assert (queued, withdrawn) == ([], [p + "clip_hd.mp4"])


def test_failed_rows_and_the_summary(tmp_path: Path) -> None:
    clock = FakeClock()
    with Outbox(tmp_path / "s.sqlite3", S, clock) as outbox:
        outbox.enqueue([_up("a", _file(tmp_path, "a", b"abc")), _up("b", _file(tmp_path, "b", b"de"))])
        item = outbox.claim_next("me")
        assert item is not None
        outbox.mark_failed(item.key, item.gen, "local file: gone")
        outbox.note_failure("local file: gone")
        summary = outbox.summary()
        assert (summary["pending"], summary["failed"], summary["pending_bytes"]) == (1, 1, 2)
        assert summary["last_error"] == "local file: gone" and summary["failing_since_utc"] is not None
        assert outbox.pending_paths() == {tmp_path / "a", tmp_path / "b"}
        assert outbox.retry_failed() == 1
        outbox.note_success()
        assert outbox.summary()["failing_since_utc"] is None


def test_dirty_days(tmp_path: Path, outbox: Outbox) -> None:
    outbox.mark_day_dirty("2026-08-12")
    outbox.mark_day_dirty("2026-08-12")
    assert outbox.dirty_days() == [("2026-08-12", 2)]
    outbox.mark_day_dirty("2026-08-12")  # changed while the index was built
    outbox.mark_day_built("2026-08-12", 2)
    assert outbox.dirty_days() == [("2026-08-12", 3)]
    outbox.mark_day_built("2026-08-12", 3)
    assert outbox.dirty_days() == []


def test_a_day_filter_takes_that_day_and_rows_of_no_day(tmp_path: Path, outbox: Outbox) -> None:
    f = _file(tmp_path, "f", b"x")
    outbox.enqueue([_up("meteors/2026-08-12/a/meteor.json", f, day="2026-08-12"),
                    _up("meteors/2026-08-13/b/meteor.json", f, day="2026-08-13"),
                    _up("status.json", f, Priority.STATUS)])  # fmt: skip
    taken = []
    while (item := outbox.claim_next("me", day="2026-08-13")) is not None:
        taken.append(item.key.rsplit("/", 2)[-2])
        outbox.mark_done(item.key, item.gen, None)
    assert taken == ["XX0001", "b"]  # status.json (no day) and the 13th's record, not the 12th's
