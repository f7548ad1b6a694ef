"""The state store: the single record of what has been done (DESIGN 5), SQLite in WAL mode.

Tables::

    minutes     one row per minute file: camera, UTC start, day, original name, current path, HD path,
                and when retention deleted its original (then no stage can run on it again)
    stage_runs  one row per (minute, stage): status, code version, owner of a running claim, attempts,
                timings, error text, result (JSON)
    outbox*     the upload outbox (version 4): its tables are ``sync.outbox.OUTBOX_SCHEMA``, used
                through :class:`sync.outbox.Outbox` on the same file
    network_revisions  the network's events, revisions and claims (version 5):
                ``stationd.disk.network_state.NETWORK_SCHEMA``, used through its ``NetworkLedger``

A stage claims its work in a transaction (``BEGIN IMMEDIATE``), so two processes (the daemon and a manual
``stationd reprocess``) never take the same minute. A claim names its owner (host, pid and the process's
start time); a claim whose owner is gone is stale and :meth:`StateStore.recover_stale` puts it back to
pending, so a crash never leaves work stuck.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from detection.timing import iso_utc
from stationd.disk.network_state import NETWORK_SCHEMA
from sync.outbox import OUTBOX_SCHEMA

SCHEMA_VERSION = 5

_MIGRATIONS = {
    2: ["ALTER TABLE minutes ADD COLUMN pruned_utc TEXT"],
    # values detection's stage is called "candidates" (it was "detect", which also named the command)
    3: [
        "UPDATE stage_runs SET stage='candidates', version=replace(version, 'detect/', 'candidates/') "
        "WHERE stage='detect'"
    ],
    4: list(OUTBOX_SCHEMA),  # the upload outbox
    5: list(NETWORK_SCHEMA),  # the network's events, revisions and claims
}
"""Statements that bring a store of version ``v - 1`` to version ``v`` (new stores get the full schema)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS minutes (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    start_utc TEXT NOT NULL,
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    hd_path TEXT,
    size_bytes INTEGER,
    registered_utc TEXT NOT NULL,
    pruned_utc TEXT,
    UNIQUE (camera, start_utc)
);
CREATE INDEX IF NOT EXISTS minutes_day ON minutes (day, camera);
CREATE TABLE IF NOT EXISTS stage_runs (
    minute_id INTEGER NOT NULL REFERENCES minutes(id),
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    version TEXT,
    owner TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_utc TEXT,
    finished_utc TEXT,
    duration_s REAL,
    error TEXT,
    result TEXT,
    PRIMARY KEY (minute_id, stage)
);
CREATE INDEX IF NOT EXISTS stage_runs_status ON stage_runs (stage, status);
""" + ";\n".join(OUTBOX_SCHEMA + NETWORK_SCHEMA)


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Minute:
    id: int
    camera: str
    start_utc: datetime
    day: str
    name: str
    path: Path
    hd_path: Path | None
    pruned_utc: str | None = None

    @property
    def stem(self) -> str:
        """The minute file's name without its extension (the stem of its products' names)."""
        return Path(self.name).stem


@dataclass(frozen=True)
class StageRun:
    minute_id: int
    stage: str
    status: Status
    version: str | None
    owner: str | None
    attempts: int
    started_utc: str | None
    finished_utc: str | None
    duration_s: float | None
    error: str | None
    result: dict[str, Any] | None


def _minute(row: sqlite3.Row) -> Minute:
    return Minute(
        id=row["id"],
        camera=row["camera"],
        start_utc=datetime.fromisoformat(row["start_utc"].replace("Z", "+00:00")),
        day=row["day"],
        name=row["name"],
        path=Path(row["path"]),
        hd_path=Path(row["hd_path"]) if row["hd_path"] else None,
        pruned_utc=row["pruned_utc"],
    )


def _run(row: sqlite3.Row) -> StageRun:
    return StageRun(
        minute_id=row["minute_id"],
        stage=row["stage"],
        status=Status(row["status"]),
        version=row["version"],
        owner=row["owner"],
        attempts=row["attempts"],
        started_utc=row["started_utc"],
        finished_utc=row["finished_utc"],
        duration_s=row["duration_s"],
        error=row["error"],
        result=json.loads(row["result"]) if row["result"] else None,
    )


def _stored_version(path: Path) -> int:
    """The schema version of the existing store at ``path``, read without writing (``OperationalError``
    when the file is missing or not a state store)."""
    db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=60.0)
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise sqlite3.OperationalError(f"not a stationd state store ({exc})") from None
    finally:
        db.close()
    if row is None:
        raise sqlite3.OperationalError("not a stationd state store (no schema version)")
    return int(row[0])


def _now_iso() -> str:
    return iso_utc(datetime.now(UTC))


class StateStore:
    """One connection to the station's state database; safe to share between threads of a process."""

    def __init__(self, path: Path, now_iso: Callable[[], str] = _now_iso, *, read_only: bool = False) -> None:
        """``read_only``: open an existing store without writing to it (``sqlite3.OperationalError`` when
        there is none); an older version is upgraded first, the one write it makes."""
        self._now_iso = now_iso
        self._lock = threading.RLock()
        if read_only:
            if _stored_version(path) < SCHEMA_VERSION:
                StateStore(path).close()  # upgrade in place (the file exists: nothing is created)
            uri = f"{path.absolute().as_uri()}?mode=ro"
            self._db = sqlite3.connect(
                uri, uri=True, timeout=60.0, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        """Create the schema, or upgrade an older store in place, one version at a time."""
        with self._transaction() as db:
            exists = db.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
            row = (
                db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() if exists else None
            )
            if row is None:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
                return
            for version in range(int(row[0]) + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
                db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- minutes -------------------------------------------------------------------------------------

    def register_minute(
        self, camera: str, start_utc: datetime, name: str, path: Path, size_bytes: int | None = None
    ) -> tuple[Minute, bool]:
        """Record a minute file (idempotent); returns the minute and whether it was new.

        A new minute gets a pending ``scan`` stage.
        """
        start = iso_utc(start_utc)
        day = start_utc.astimezone(UTC).strftime("%Y-%m-%d")
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM minutes WHERE camera=? AND start_utc=?", (camera, start)
            ).fetchone()
            if row is not None:
                return _minute(row), False
            cur = db.execute(
                "INSERT INTO minutes (camera, start_utc, day, name, path, size_bytes, registered_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (camera, start, day, name, str(path), size_bytes, self._now_iso()),
            )
            db.execute(
                "INSERT INTO stage_runs (minute_id, stage, status) VALUES (?, 'scan', 'pending')",
                (cur.lastrowid,),
            )
            row = db.execute("SELECT * FROM minutes WHERE id=?", (cur.lastrowid,)).fetchone()
        return _minute(row), True

    def set_paths(self, minute_id: int, path: Path, hd_path: Path | None = None) -> None:
        """Record where a minute's original (and its HD twin) now lies."""
        with self._transaction() as db:
            db.execute(
                "UPDATE minutes SET path=?, hd_path=COALESCE(?, hd_path) WHERE id=?",
                (str(path), str(hd_path) if hd_path else None, minute_id),
            )

    def mark_pruned(self, minute_id: int) -> None:
        """Record that retention deleted the minute's original: reprocessing leaves it alone."""
        with self._transaction() as db:
            db.execute("UPDATE minutes SET pruned_utc=? WHERE id=?", (self._now_iso(), minute_id))

    def minute(self, minute_id: int) -> Minute:
        """The minute of this id (KeyError when there is none)."""
        with self._lock:
            row = self._db.execute("SELECT * FROM minutes WHERE id=?", (minute_id,)).fetchone()
        if row is None:
            raise KeyError(minute_id)
        return _minute(row)

    def find_minute(self, camera: str, start_utc: datetime) -> Minute | None:
        """The minute of a camera starting at ``start_utc``, or None when it is not registered."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM minutes WHERE camera=? AND start_utc=?", (camera, iso_utc(start_utc))
            ).fetchone()
        return _minute(row) if row else None

    def minutes(self, day: str | None = None, camera: str | None = None) -> list[Minute]:
        """Minutes in time order, optionally of one day and one camera."""
        sql, args = "SELECT * FROM minutes WHERE 1=1", list[str]()
        if day is not None:
            sql, args = sql + " AND day=?", [*args, day]
        if camera is not None:
            sql, args = sql + " AND camera=?", [*args, camera]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start_utc, camera", args).fetchall()
        return [_minute(r) for r in rows]

    def days(self) -> list[str]:
        """Every UTC day with a registered minute, in order."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT day FROM minutes ORDER BY day")]

    def last_minutes(self) -> dict[str, str]:
        """The UTC start (ISO, as stored) of each camera's newest registered minute (``stationd status``)."""
        with self._lock:
            rows = self._db.execute("SELECT camera, MAX(start_utc) FROM minutes GROUP BY camera").fetchall()
        return {r[0]: r[1] for r in rows}

    def verified_per_day(self) -> dict[str, tuple[int, int]]:
        """Meteors and fireballs the verify stage recorded, per day (one query, for ``stationd status``).

        Reads the ``meteors`` and ``fireballs`` lists of ``VerifyStageResult.to_json`` in SQL rather than
        through ``from_json``: a station's whole history is millions of results, too many to parse in Python.
        """
        sql = (
            "SELECT m.day, SUM(COALESCE(json_array_length(r.result, '$.meteors'), 0)), "
            "SUM(COALESCE(json_array_length(r.result, '$.fireballs'), 0)) "
            "FROM stage_runs r JOIN minutes m ON m.id = r.minute_id "
            "WHERE r.stage='verify' AND r.status='done' AND r.result IS NOT NULL GROUP BY m.day"
        )
        with self._lock:
            return {r[0]: (int(r[1]), int(r[2])) for r in self._db.execute(sql)}

    # -- stage runs ----------------------------------------------------------------------------------

    def runs(self, minute_id: int) -> dict[str, StageRun]:
        """A minute's stage runs by stage name (read their results with ``stages.results.read_result``)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM stage_runs WHERE minute_id=?", (minute_id,)).fetchall()
        return {r["stage"]: _run(r) for r in rows}

    def runs_of_day(self, day: str) -> dict[int, dict[str, StageRun]]:
        """Every stage run of a day's minutes: minute id -> stage name -> run (one query)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.* FROM stage_runs r JOIN minutes m ON m.id = r.minute_id WHERE m.day=?", (day,)
            ).fetchall()
        out: dict[int, dict[str, StageRun]] = {}
        for r in rows:
            out.setdefault(r["minute_id"], {})[r["stage"]] = _run(r)
        return out

    def pending(self, stage: str, day: str | None = None, limit: int = 1000) -> list[Minute]:
        """Minutes whose ``stage`` waits to be done, oldest first."""
        sql = (
            "SELECT m.* FROM minutes m JOIN stage_runs r ON r.minute_id = m.id "
            "WHERE r.stage=? AND r.status='pending'"
        )
        args: list[Any] = [stage]
        if day is not None:
            sql, args = sql + " AND m.day=?", [*args, day]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY m.start_utc LIMIT ?", [*args, limit]).fetchall()
        return [_minute(r) for r in rows]

    def claim(self, minute_id: int, stage: str, owner: str, version: str) -> bool:
        """Take a pending stage of a minute for ``owner``; False when it is not pending (someone has it)."""
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE stage_runs SET status='running', owner=?, version=?, attempts=attempts+1, "
                "started_utc=?, finished_utc=NULL, duration_s=NULL, error=NULL "
                "WHERE minute_id=? AND stage=? AND status='pending'",
                (owner, version, self._now_iso(), minute_id, stage),
            )
            return cur.rowcount == 1

    def complete(
        self,
        minute_id: int,
        stage: str,
        owner: str,
        result: dict[str, Any],
        duration_s: float,
        then: tuple[str, ...] = (),
    ) -> None:
        """Mark a claimed stage done with its result and make the stages ``then`` pending (fresh)."""
        with self._transaction() as db:
            self._finish(db, minute_id, stage, owner, Status.DONE, None, result, duration_s)
            for nxt in then:
                db.execute(
                    "INSERT INTO stage_runs (minute_id, stage, status) VALUES (?, ?, 'pending') "
                    "ON CONFLICT (minute_id, stage) DO UPDATE SET status='pending', owner=NULL, result=NULL, "
                    "error=NULL WHERE status != 'running'",
                    (minute_id, nxt),
                )

    def fail(
        self, minute_id: int, stage: str, owner: str, error: str, duration_s: float, quarantined: bool = False
    ) -> None:
        """Mark a claimed stage failed (or quarantined: its input is unusable) with the reason."""
        status = Status.QUARANTINED if quarantined else Status.FAILED
        with self._transaction() as db:
            self._finish(db, minute_id, stage, owner, status, error, None, duration_s)

    def _finish(
        self,
        db: sqlite3.Connection,
        minute_id: int,
        stage: str,
        owner: str,
        status: Status,
        error: str | None,
        result: dict[str, Any] | None,
        duration_s: float,
    ) -> None:
        cur = db.execute(
            "UPDATE stage_runs SET status=?, owner=NULL, finished_utc=?, duration_s=?, error=?, result=? "
            "WHERE minute_id=? AND stage=? AND status='running' AND owner=?",
            (status.value, self._now_iso(), duration_s, error,
             json.dumps(result) if result is not None else None, minute_id, stage, owner),
        )  # fmt: skip
        if cur.rowcount != 1:
            raise RuntimeError(f"minute {minute_id} stage {stage} is not claimed by {owner}")

    def release(self, minute_id: int, stage: str, owner: str) -> None:
        """Give back a claim without a result (shutdown checkpoint): the stage is pending again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE stage_runs SET status='pending', owner=NULL "
                "WHERE minute_id=? AND stage=? AND owner=?",
                (minute_id, stage, owner),
            )

    def reset(self, stage: str, day: str, camera: str | None = None, only_failed: bool = False) -> int:
        """Make ``stage`` pending again for the minutes of a day (not those running now); returns how many.

        Minutes that never reached the stage get it when its predecessor completes (``complete(then=...)``).
        """
        statuses = ("failed",) if only_failed else ("done", "failed", "pending")
        marks = ",".join("?" * len(statuses))
        sql = (
            "UPDATE stage_runs SET status='pending', owner=NULL, error=NULL "
            f"WHERE stage=? AND status IN ({marks}) AND minute_id IN "
            "(SELECT id FROM minutes WHERE pruned_utc IS NULL AND day=?"
            + (" AND camera=?" if camera else "")
            + ")"
        )
        args = [stage, *statuses, day] + ([camera] if camera else [])
        with self._transaction() as db:
            return db.execute(sql, args).rowcount

    def add_missing(self, stage: str, day: str, after: str, camera: str | None = None) -> int:
        """Make ``stage`` pending for the minutes of a day whose ``after`` stage is done but that have no
        row of ``stage`` (a stage added to the pipeline after they went through it); returns how many."""
        sql = (
            "INSERT INTO stage_runs (minute_id, stage, status) SELECT m.id, ?, 'pending' FROM minutes m "
            "JOIN stage_runs r ON r.minute_id = m.id AND r.stage = ? AND r.status = 'done' "
            "WHERE m.pruned_utc IS NULL AND m.day = ?"
            + (" AND m.camera = ?" if camera else "")
            + " AND NOT EXISTS (SELECT 1 FROM stage_runs x WHERE x.minute_id = m.id AND x.stage = ?)"
        )
        args = [stage, after, day] + ([camera] if camera else []) + [stage]
        with self._transaction() as db:
            return db.execute(sql, args).rowcount

    def retry_failed(self, max_attempts: int, finished_before_utc: str) -> int:
        """Make failed stages pending again (a full disk, a passing fault) while they have attempts left
        and failed before ``finished_before_utc`` (ISO, as recorded); returns how many."""
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE stage_runs SET status='pending' WHERE status='failed' AND attempts < ? "
                "AND finished_utc < ? AND minute_id IN (SELECT id FROM minutes WHERE pruned_utc IS NULL)",
                (max_attempts, finished_before_utc),
            )
            return cur.rowcount

    def requeue_quarantined(self, minute_id: int, path: Path, quarantine: Path) -> bool:
        """Take a quarantined minute as new: forget its stage runs, make ``scan`` pending, record ``path``.

        Only a minute with a quarantined stage (or whose recorded file lies in ``quarantine``) and no
        running stage is requeued, so the daemon and ``stationd retry`` may both try; returns whether this
        call did it.
        """
        with self._transaction() as db:
            row = db.execute("SELECT path FROM minutes WHERE id=?", (minute_id,)).fetchone()
            if row is None:
                return False
            statuses = {
                r[0] for r in db.execute("SELECT status FROM stage_runs WHERE minute_id=?", (minute_id,))
            }
            in_quarantine = Path(row[0]).parent == quarantine
            if Status.RUNNING in statuses or not (Status.QUARANTINED in statuses or in_quarantine):
                return False
            db.execute("DELETE FROM stage_runs WHERE minute_id=?", (minute_id,))
            db.execute(
                "INSERT INTO stage_runs (minute_id, stage, status) VALUES (?, 'scan', 'pending')",
                (minute_id,),
            )
            db.execute("UPDATE minutes SET path=?, pruned_utc=NULL WHERE id=?", (str(path), minute_id))
            return True

    def quarantined(self, day: str | None = None) -> list[Minute]:
        """Minutes with a quarantined stage (of one day, or all), in time order."""
        sql = (
            "SELECT * FROM minutes WHERE id IN (SELECT minute_id FROM stage_runs WHERE status='quarantined')"
        )
        args: list[str] = []
        if day is not None:
            sql, args = sql + " AND day=?", [day]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start_utc, camera", args).fetchall()
        return [_minute(r) for r in rows]

    def minutes_named(self, name: str) -> list[Minute]:
        """Minutes whose original file is called ``name`` (one per camera at most, in practice one)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM minutes WHERE name=? ORDER BY camera", (name,)).fetchall()
        return [_minute(r) for r in rows]

    def recover_stale(self, is_alive: Callable[[str], bool]) -> list[tuple[int, str, str]]:
        """Put every running claim whose owner is gone back to pending; returns (minute, stage, owner)."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT minute_id, stage, owner FROM stage_runs WHERE status='running'"
            ).fetchall()
            stale = [(r[0], r[1], r[2]) for r in rows if not is_alive(r[2] or "")]
            for minute_id, stage, owner in stale:
                db.execute(
                    "UPDATE stage_runs SET status='pending', owner=NULL, error=? "
                    "WHERE minute_id=? AND stage=? AND owner=?",
                    (f"recovered stale claim of {owner}", minute_id, stage, owner),
                )
        return stale

    def counts(self, day: str | None = None) -> dict[str, dict[str, int]]:
        """Number of minutes per stage and status (of one day, or all)."""
        sql = "SELECT r.stage, r.status, COUNT(*) FROM stage_runs r"
        args: list[Any] = []
        if day is not None:
            sql += " JOIN minutes m ON m.id = r.minute_id WHERE m.day=?"
            args.append(day)
        out: dict[str, dict[str, int]] = {}
        with self._lock:
            for stage, status, n in self._db.execute(sql + " GROUP BY r.stage, r.status", args):
                out.setdefault(stage, {})[status] = n
        return out
