"""The state store: claims in transactions, results, resets, and recovery of stale claims."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stationd.daemon.owner import current_owner, owner_alive
from stationd.disk.state import StateStore, Status

T0 = datetime(2026, 7, 12, 22, 0, 0, tzinfo=UTC)


def _store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state.sqlite3")


def test_register_is_idempotent_and_creates_pending_scan(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        m1, new1 = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4", 10)
        m2, new2 = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4", 10)
        assert new1 and not new2 and m1.id == m2.id
        assert store.runs(m1.id)["scan"].status is Status.PENDING
        assert [m.id for m in store.pending("scan")] == [m1.id]


def test_claim_is_exclusive_and_complete_makes_next_stage_pending(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        m, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        assert store.claim(m.id, "scan", "me:1:1", "scan/1")
        assert not store.claim(m.id, "scan", "you:2:2", "scan/1")
        store.complete(m.id, "scan", "me:1:1", {"n_frames": 1500}, 1.5, then=("candidates",))
        runs = store.runs(m.id)
        assert runs["scan"].status is Status.DONE and runs["scan"].result == {"n_frames": 1500}
        assert runs["candidates"].status is Status.PENDING


def test_reset_of_a_day_skips_running_claims(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        a, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        b, _ = store.register_minute("cam1", T0 + timedelta(minutes=1), "b.mp4", tmp_path / "b.mp4")
        store.claim(a.id, "scan", "me:1:1", "scan/1")
        store.complete(a.id, "scan", "me:1:1", {}, 1.0)
        store.claim(b.id, "scan", "other:1:1", "scan/1")
        assert store.reset("scan", "2026-07-12") == 1
        assert store.runs(a.id)["scan"].status is Status.PENDING
        assert store.runs(b.id)["scan"].status is Status.RUNNING


def _claim_and_die(db: str, minute_id: int) -> None:
    store = StateStore(Path(db))
    assert store.claim(minute_id, "scan", current_owner(), "scan/1")
    store.close()


def test_claims_of_a_dead_process_are_recovered(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        m, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        live, _ = store.register_minute("cam1", T0 + timedelta(minutes=1), "b.mp4", tmp_path / "b.mp4")
        store.claim(live.id, "scan", current_owner(), "scan/1")
        proc = multiprocessing.get_context("spawn").Process(
            target=_claim_and_die, args=(str(tmp_path / "state.sqlite3"), m.id)
        )
        proc.start()
        proc.join(60)
        assert proc.exitcode == 0
        assert store.runs(m.id)["scan"].status is Status.RUNNING
        recovered = store.recover_stale(owner_alive)
        assert [r[0] for r in recovered] == [m.id]
        assert store.runs(m.id)["scan"].status is Status.PENDING
        assert store.runs(live.id)["scan"].status is Status.RUNNING


def test_release_and_fail(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        m, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        store.claim(m.id, "scan", "me:1:1", "scan/1")
        store.release(m.id, "scan", "me:1:1")
        assert store.runs(m.id)["scan"].status is Status.PENDING
        store.claim(m.id, "scan", "me:1:1", "scan/1")
        store.fail(m.id, "scan", "me:1:1", "empty file", 0.1, quarantined=True)
        run = store.runs(m.id)["scan"]
        assert run.status is Status.QUARANTINED and run.error == "empty file" and run.attempts == 2
        assert store.counts("2026-07-12") == {"scan": {"quarantined": 1}}


def test_failed_stages_are_retried_with_attempts_left_after_a_pause(tmp_path: Path) -> None:
    clock = iter(
        ["2026-07-12T23:00:00.000000Z", "2026-07-12T23:00:01.000000Z", "2026-07-12T23:00:02.000000Z"]
    )
    with StateStore(tmp_path / "state.sqlite3", now_iso=lambda: next(clock)) as store:
        m, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        store.claim(m.id, "scan", "me:1:1", "scan/1")
        store.fail(m.id, "scan", "me:1:1", "OSError: No space left on device", 0.1)
        assert store.retry_failed(3, "2026-07-12T23:00:00.500000Z") == 0  # failed too recently
        assert store.retry_failed(1, "2026-07-13T00:00:00.000000Z") == 0  # no attempts left
        assert store.retry_failed(3, "2026-07-13T00:00:00.000000Z") == 1
        assert store.runs(m.id)["scan"].status is Status.PENDING


def test_a_store_of_schema_1_is_upgraded_in_place_and_detect_runs_are_renamed(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "state.sqlite3"
    old = sqlite3.connect(db)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "CREATE TABLE minutes (id INTEGER PRIMARY KEY, camera TEXT NOT NULL, start_utc TEXT NOT NULL,"
        " day TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, hd_path TEXT, size_bytes INTEGER,"
        " registered_utc TEXT NOT NULL, UNIQUE (camera, start_utc));"
        "INSERT INTO minutes VALUES (1, 'cam1', '2026-07-12T22:00:00.000000Z', '2026-07-12', 'a.mp4',"
        " '/x/a.mp4', NULL, 1, '2026-07-12T22:01:00.000000Z');"
        "CREATE TABLE stage_runs (minute_id INTEGER NOT NULL, stage TEXT NOT NULL, status TEXT NOT NULL,"
        " version TEXT, owner TEXT, attempts INTEGER NOT NULL DEFAULT 0, started_utc TEXT, finished_utc TEXT,"
        " duration_s REAL, error TEXT, result TEXT, PRIMARY KEY (minute_id, stage));"
        "INSERT INTO stage_runs (minute_id, stage, status, version, result) VALUES"
        ' (1, \'detect\', \'done\', \'detect/3\', \'{"status": "none", "reason": "", "candidates": []}\');'
    )
    old.close()
    with StateStore(db) as store:
        (minute,) = store.minutes()
        assert minute.name == "a.mp4" and minute.pruned_utc is None
        store.mark_pruned(minute.id)
        assert store.minutes()[0].pruned_utc is not None
        run = store.runs(minute.id)["candidates"]  # version 3: the stage "detect" is called "candidates"
        assert run.version == "candidates/3" and run.result == {
            "status": "none",
            "reason": "",
            "candidates": [],
        }
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("5",)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"outbox", "outbox_deps", "outbox_meta", "outbox_days"} <= tables  # version 4: the outbox
        assert "network_revisions" in tables  # version 5: the network's events, revisions and claims


def test_a_read_only_store_never_creates_and_never_writes(tmp_path: Path) -> None:
    """Issue 10 (5): ``status`` on a mistyped data_dir created a state.sqlite3; read-only creates none."""
    import sqlite3

    import pytest

    for missing in (tmp_path / "state.sqlite3", tmp_path / "nowhere" / "state.sqlite3"):
        with pytest.raises(sqlite3.OperationalError):
            StateStore(missing, read_only=True)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "empty.sqlite3").touch()  # not a state store: refused, left as it was
    with pytest.raises(sqlite3.OperationalError, match="not a stationd state store"):
        StateStore(tmp_path / "empty.sqlite3", read_only=True)
    assert (tmp_path / "empty.sqlite3").stat().st_size == 0

    with _store(tmp_path) as store:
        m, _ = store.register_minute("cam1", T0, "a.mp4", tmp_path / "a.mp4")
        store.claim(m.id, "scan", "me:1:1", "scan/1")
        store.complete(m.id, "scan", "me:1:1", {}, 1.0, then=("candidates",))
    with sqlite3.connect(tmp_path / "state.sqlite3") as conn:  # as version 2 left it: the old stage name
        conn.execute("UPDATE stage_runs SET stage='detect' WHERE stage='candidates'")
        conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    conn.close()
    with StateStore(tmp_path / "state.sqlite3", read_only=True) as ro:
        assert set(ro.runs(m.id)) == {"scan", "candidates"}  # upgraded before it was opened read-only
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ro.register_minute("cam1", T0 + timedelta(minutes=1), "b.mp4", tmp_path / "b.mp4")
