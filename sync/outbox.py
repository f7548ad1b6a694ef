"""The durable upload outbox (DESIGN 5, 6): every object a station publishes is a row in its state store.

A row names the object's key, the local file whose bytes it gets, their size, mtime and checksums (SHA-256
and MD5: the MD5 is what a single-part S3 ETag is), its kind and priority, the keys it depends on, and
where its delivery stands::

    enqueue ──> pending ──claim──> sending ──verified──> done
                  ^                   │
                  └──── retry at ─────┘  (store unavailable, refused, or the object did not verify)
                        next_attempt_s
    failed      the local file is gone or unreadable (``retry_failed`` tries them again)
    withdrawn   a removed product: its object was deleted (a ``delete`` row) or never sent

Enqueueing is idempotent: the same key with the same SHA-256 changes nothing; a changed file re-queues its
row (a new *generation*: a sender still busy with the old bytes cannot mark the new ones done). A row is
claimed only when every row it depends on is delivered (calibration before the meteors it calibrated,
meteor records before the index that lists them), by priority, then in the order rows were queued.

A claim names its owner (``stationd``'s process token); after a crash or ``kill -9`` the row of the
interrupted upload is still ``sending`` and :meth:`Outbox.recover_stale` puts it back. The upload is an
idempotent put of the same bytes, so a repeat leaves one object of the right bytes under the key:
that is what "exactly once" means here, and the sender first asks the store whether the object is
already there (then nothing is sent again).

The tables live in the station's SQLite file (``stationd`` creates them in its schema version 4 and
passes the path); the statements are :data:`OUTBOX_SCHEMA`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync.clock import Clock, iso_of
from sync.errors import StoreConfigError
from sync.keys import StationKeys
from sync.outbox_rows import (
    PINNED_KINDS,
    Digest,
    OutboxItem,
    Priority,
    Upload,
    digest_file,
    item_of_row,
)

__all__ = [
    "OUTBOX_SCHEMA",
    "PINNED_KINDS",
    "Digest",
    "Outbox",
    "OutboxItem",
    "Priority",
    "RowCheckpoint",
    "Upload",
    "digest_file",
]

OUTBOX_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS outbox (
        key TEXT PRIMARY KEY,
        op TEXT NOT NULL DEFAULT 'put',
        path TEXT,
        size_bytes INTEGER,
        mtime_ns INTEGER,
        sha256 TEXT,
        md5 TEXT,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL,
        day TEXT,
        content_type TEXT NOT NULL,
        content_encoding TEXT,
        state TEXT NOT NULL,
        gen INTEGER NOT NULL DEFAULT 1,
        seq INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_s REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        checkpoint TEXT,
        owner TEXT,
        etag TEXT,
        queued_utc TEXT NOT NULL,
        sent_utc TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, priority, seq)",
    """CREATE TABLE IF NOT EXISTS outbox_deps (
        key TEXT NOT NULL, depends_on TEXT NOT NULL, PRIMARY KEY (key, depends_on)
    )""",
    "CREATE TABLE IF NOT EXISTS outbox_meta (name TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS outbox_days (
        day TEXT PRIMARY KEY, dirty INTEGER NOT NULL, built INTEGER NOT NULL DEFAULT 0
    )""",
)
"""The outbox's tables: rows, dependencies, upload health, and the days whose index must be rebuilt."""


class Outbox:
    """The outbox tables of one station's state store; safe to share between threads of a process."""

    def __init__(self, db_path: Path, station: str, clock: Clock, *, read_only: bool = False) -> None:
        """Open the tables in the SQLite file ``db_path`` (created when absent, unless ``read_only``)."""
        self.station = station
        self._clock = clock
        self._lock = threading.RLock()
        uri = f"{db_path.absolute().as_uri()}?mode=ro" if read_only else str(db_path)
        self._db = sqlite3.connect(
            uri, uri=read_only, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        if not read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # as the state store: durable at checkpoints
            with self._transaction() as db:
                for statement in OUTBOX_SCHEMA:
                    db.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
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

    def _own(self, key: str) -> str:
        if not StationKeys(self.station).owns(key):
            raise StoreConfigError(f"key {key!r} lies outside the prefixes of station {self.station}")
        return key

    # -- queueing ------------------------------------------------------------------------------------

    def enqueue(self, uploads: Iterable[Upload]) -> list[str]:
        """Queue each upload unless its key already holds the same bytes; returns the keys (re)queued.

        Files are read (checksums) before the transaction, so the store stays free for the stages; a file
        whose path, size and mtime are those its row recorded is not read again.
        """
        digested = [(u, self._digest(u)) for u in uploads if self._own(u.key)]
        queued = []
        with self._transaction() as db:
            for upload, digest in digested:
                if self._put_row(db, upload, digest):
                    queued.append(upload.key)
        return queued

    def _digest(self, upload: Upload) -> Digest:
        st = upload.path.stat()
        with self._lock:
            row = self._db.execute(
                "SELECT path, size_bytes, mtime_ns, sha256, md5 FROM outbox WHERE key=? AND op='put'",
                (upload.key,),
            ).fetchone()
        if row is not None and (row[0], row[1], row[2]) == (str(upload.path), st.st_size, st.st_mtime_ns):
            return Digest(st.st_size, st.st_mtime_ns, row[3], row[4])
        return digest_file(upload.path)

    def _put_row(self, db: sqlite3.Connection, u: Upload, d: Digest) -> bool:
        row = db.execute("SELECT op, state, sha256 FROM outbox WHERE key=?", (u.key,)).fetchone()
        db.execute("DELETE FROM outbox_deps WHERE key=?", (u.key,))
        db.executemany(
            "INSERT INTO outbox_deps (key, depends_on) VALUES (?, ?)",
            [(u.key, k) for k in sorted(set(u.depends_on)) if k != u.key],
        )
        same = row is not None and row["op"] == "put" and row["sha256"] == d.sha256
        if same and row["state"] not in ("failed", "withdrawn"):
            return False
        values = (
            str(u.path),
            d.size_bytes,
            d.mtime_ns,
            d.sha256,
            d.md5,
            u.kind,
            int(u.priority),
            u.day,
            u.content_type,
            u.content_encoding,
        )
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
        now = iso_of(self._clock.time_s())
        if row is None:
            db.execute(
                "INSERT INTO outbox (key, path, size_bytes, mtime_ns, sha256, md5, kind, priority, day, "
                "content_type, content_encoding, state, seq, queued_utc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (u.key, *values, seq, now),
            )
        else:
            db.execute(
                "UPDATE outbox SET op='put', path=?, size_bytes=?, mtime_ns=?, sha256=?, md5=?, kind=?, "
                "priority=?, day=?, content_type=?, content_encoding=?, state='pending', gen=gen+1, seq=?, "
                "attempts=0, next_attempt_s=0, last_error=NULL, checkpoint=NULL, owner=NULL, "
                "queued_utc=? WHERE key=?",
                (*values, seq, now, u.key),
            )
        return True

    def withdraw(self, prefix: str) -> list[str]:
        """Withdraw every object under ``prefix`` (a removed meteor): never-sent rows are dropped from
        the queue, the others become deletions; returns the keys withdrawn."""
        self._own(prefix.rstrip("/"))
        with self._transaction() as db:
            return self._withdraw(db, prefix, keep=())

    def _withdraw(self, db: sqlite3.Connection, prefix: str, keep: Iterable[str]) -> list[str]:
        keep = set(keep)
        rows = db.execute(
            "SELECT key, state, attempts, sent_utc FROM outbox WHERE op='put' AND state!='withdrawn' "
            "AND substr(key, 1, ?)=?",
            (len(prefix), prefix),
        ).fetchall()
        out = []
        for r in rows:
            if r["key"] in keep:
                continue
            never_sent = r["state"] == "pending" and r["attempts"] == 0 and r["sent_utc"] is None
            db.execute(
                "UPDATE outbox SET op='delete', state=?, gen=gen+1, attempts=0, next_attempt_s=0, "
                "last_error=NULL, checkpoint=NULL, owner=NULL WHERE key=?",
                ("withdrawn" if never_sent else "pending", r["key"]),
            )
            out.append(r["key"])
        return out

    def replace_group(self, prefix: str, uploads: list[Upload]) -> tuple[list[str], list[str]]:
        """Queue ``uploads`` (all under ``prefix``) and withdraw the objects under ``prefix`` they do not
        name (a re-verified meteor that lost its HD clip); returns (queued, withdrawn) keys."""
        self._own(prefix.rstrip("/"))
        if any(not u.key.startswith(prefix) for u in uploads):
            raise StoreConfigError(f"an upload of the group {prefix!r} lies outside it")
        queued = self.enqueue(uploads)
        with self._transaction() as db:
            withdrawn = self._withdraw(db, prefix, keep=[u.key for u in uploads])
        return queued, withdrawn

    # -- the sender's side ---------------------------------------------------------------------------

    def claim_next(self, owner: str, day: str | None = None) -> OutboxItem | None:
        """Take the first due row whose dependencies are delivered (``day``: only that day's rows and
        those of no day: calibration, status); None when nothing is due."""
        sql = (
            "SELECT * FROM outbox o WHERE o.state='pending' AND o.next_attempt_s <= ? AND NOT EXISTS ("
            "SELECT 1 FROM outbox_deps d JOIN outbox p ON p.key=d.depends_on WHERE d.key=o.key "
            "AND p.op='put' AND p.state IN ('pending', 'sending'))"
        )
        args: list[Any] = [self._clock.time_s()]
        if day is not None:
            sql, args = sql + " AND (o.day=? OR o.day IS NULL)", [*args, day]
        with self._transaction() as db:
            row = db.execute(sql + " ORDER BY o.priority, o.seq LIMIT 1", args).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE outbox SET state='sending', owner=?, attempts=attempts+1 WHERE key=?",
                (owner, row["key"]),
            )
            row = db.execute("SELECT * FROM outbox WHERE key=?", (row["key"],)).fetchone()
        return item_of_row(row)

    def refresh_digest(self, key: str, gen: int, digest: Digest) -> None:
        """The file of a claimed row changed without being queued again: record what it holds now."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET size_bytes=?, mtime_ns=?, sha256=?, md5=?, checkpoint=NULL "
                "WHERE key=? AND gen=?",
                (digest.size_bytes, digest.mtime_ns, digest.sha256, digest.md5, key, gen),
            )

    def mark_done(self, key: str, gen: int, etag: str | None) -> bool:
        """The claimed row's object is verified in the store (a delete: gone); False when the row was
        queued again meanwhile (its new bytes still wait)."""
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE outbox SET state=CASE op WHEN 'delete' THEN 'withdrawn' ELSE 'done' END, "
                "owner=NULL, etag=?, sent_utc=?, last_error=NULL, checkpoint=NULL "
                "WHERE key=? AND gen=? AND state='sending'",
                (etag, iso_of(self._clock.time_s()), key, gen),
            )
            return cur.rowcount == 1

    def mark_retry(self, key: str, gen: int, error: str, next_attempt_s: float) -> None:
        """The attempt failed for a passing reason: pending again, not before ``next_attempt_s``."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state='pending', owner=NULL, last_error=?, next_attempt_s=? "
                "WHERE key=? AND gen=? AND state='sending'",
                (error, next_attempt_s, key, gen),
            )

    def mark_failed(self, key: str, gen: int, error: str) -> None:
        """The row cannot be delivered as it stands (its file is gone): failed, with the reason."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state='failed', owner=NULL, last_error=? WHERE key=? AND gen=? "
                "AND state='sending'",
                (error, key, gen),
            )

    def release(self, key: str, gen: int) -> None:
        """Give a claimed row back untried (the sender is stopping): pending, the attempt not counted."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state='pending', owner=NULL, attempts=MAX(attempts-1, 0) "
                "WHERE key=? AND gen=? AND state='sending'",
                (key, gen),
            )

    def recover_stale(self, is_alive: Callable[[str], bool]) -> list[str]:
        """Rows left ``sending`` by an owner that is gone (a crash, ``kill -9``) back to pending."""
        with self._transaction() as db:
            rows = db.execute("SELECT key, owner FROM outbox WHERE state='sending'").fetchall()
            stale = [r["key"] for r in rows if not is_alive(r["owner"] or "")]
            db.executemany(
                "UPDATE outbox SET state='pending', owner=NULL WHERE key=? AND state='sending'",
                [(k,) for k in stale],
            )
        return stale

    def retry_failed(self) -> int:
        """Failed rows pending again (their file may be back); returns how many."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE outbox SET state='pending', attempts=0, next_attempt_s=0 WHERE state='failed'"
            ).rowcount

    def retry_now(self) -> int:
        """Pending rows due at once, whatever their retry time (``stationd sync``: the operator fixed the
        store and says "send now"); returns how many were waiting."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE outbox SET next_attempt_s=0 WHERE state='pending' AND next_attempt_s > 0"
            ).rowcount

    def load_checkpoint(self, key: str, gen: int) -> dict[str, Any] | None:
        """The saved progress of a resumable upload of this row's generation."""
        with self._lock:
            row = self._db.execute(
                "SELECT checkpoint FROM outbox WHERE key=? AND gen=?", (key, gen)
            ).fetchone()
        data = json.loads(row[0]) if row is not None and row[0] else None
        return data if isinstance(data, dict) else None

    def save_checkpoint(self, key: str, gen: int, progress: dict[str, Any] | None) -> None:
        """Keep (or with None, forget) the progress of a resumable upload."""
        text = json.dumps(progress) if progress is not None else None
        with self._transaction() as db:
            db.execute("UPDATE outbox SET checkpoint=? WHERE key=? AND gen=?", (text, key, gen))

    # -- upload health, indexes to rebuild -------------------------------------------------------------

    def note_success(self) -> None:
        """An object was delivered: uploads are not failing."""
        now = iso_of(self._clock.time_s())
        with self._transaction() as db:
            db.execute("DELETE FROM outbox_meta WHERE name='failing_since_utc'")
            db.execute("INSERT OR REPLACE INTO outbox_meta VALUES ('last_success_utc', ?)", (now,))

    def note_failure(self, error: str) -> None:
        """An attempt failed: uploads fail since the first failure after the last success."""
        now = iso_of(self._clock.time_s())
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO outbox_meta VALUES ('failing_since_utc', ?)", (now,))
            db.execute("INSERT OR REPLACE INTO outbox_meta VALUES ('last_error', ?)", (error,))
            db.execute("INSERT OR REPLACE INTO outbox_meta VALUES ('last_failure_utc', ?)", (now,))

    def meta(self) -> dict[str, str]:
        """``failing_since_utc`` (absent while uploads work), ``last_success_utc``, ``last_error``..."""
        with self._lock:
            return {r[0]: r[1] for r in self._db.execute("SELECT name, value FROM outbox_meta")}

    def mark_day_dirty(self, day: str) -> None:
        """The day's meteors changed: its index must be rebuilt."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO outbox_days (day, dirty) VALUES (?, 1) "
                "ON CONFLICT (day) DO UPDATE SET dirty=dirty+1",
                (day,),
            )

    def dirty_days(self) -> list[tuple[str, int]]:
        """Days whose index is older than their meteors, with the change count to pass to
        :meth:`mark_day_built`."""
        with self._lock:
            rows = self._db.execute("SELECT day, dirty FROM outbox_days WHERE dirty > built ORDER BY day")
            return [(r[0], r[1]) for r in rows]

    def mark_day_built(self, day: str, dirty: int) -> None:
        """The day's index reflects its meteors up to change ``dirty`` (later changes keep it dirty)."""
        with self._transaction() as db:
            db.execute("UPDATE outbox_days SET built=MAX(built, ?) WHERE day=?", (dirty, day))

    # -- views ---------------------------------------------------------------------------------------

    def items(self, states: Iterable[str] | None = None, day: str | None = None) -> list[OutboxItem]:
        """Rows in delivery order, optionally only in ``states`` and of ``day`` (and of no day)."""
        sql, args = "SELECT * FROM outbox WHERE 1=1", list[Any]()
        if states is not None:
            states = list(states)
            sql, args = sql + f" AND state IN ({','.join('?' * len(states))})", [*args, *states]
        if day is not None:
            sql, args = sql + " AND (day=? OR day IS NULL)", [*args, day]
        with self._lock:
            return [item_of_row(r) for r in self._db.execute(sql + " ORDER BY priority, seq", args)]

    def pending_paths(self) -> set[Path]:
        """Local files whose upload is not finished (retention must keep them)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT path FROM outbox WHERE op='put' AND state IN ('pending', 'sending', 'failed') "
                "AND path IS NOT NULL"
            )
            return {Path(r[0]) for r in rows}

    def summary(self) -> dict[str, Any]:
        """What ``stationd status`` shows of the outbox: counts per state, bytes and age of what waits,
        the last error and since when uploads fail (field names as in the table)."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
            counts = {r[0]: r[1] for r in rows}
            row = self._db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0), MIN(queued_utc) FROM outbox WHERE state IN "
                "('pending', 'sending') AND op='put'"
            ).fetchone()
            error = self._db.execute(
                "SELECT key, last_error FROM outbox WHERE last_error IS NOT NULL AND state!='done' "
                "ORDER BY next_attempt_s DESC LIMIT 1"
            ).fetchone()
        meta = self.meta()
        return {
            "pending": counts.get("pending", 0) + counts.get("sending", 0),
            "sending": counts.get("sending", 0),
            "failed": counts.get("failed", 0),
            "done": counts.get("done", 0),
            "withdrawn": counts.get("withdrawn", 0),
            "pending_bytes": int(row[0]),
            "oldest_pending_utc": row[1],
            "last_error": error["last_error"] if error else meta.get("last_error"),
            "last_error_key": error["key"] if error else None,
            "failing_since_utc": meta.get("failing_since_utc"),
            "last_success_utc": meta.get("last_success_utc"),
        }


class RowCheckpoint:
    """A resumable upload's progress kept in its outbox row (the store's ``Checkpoint``)."""

    def __init__(self, outbox: Outbox, key: str, gen: int) -> None:
        self._outbox, self._key, self._gen = outbox, key, gen

    def load(self) -> dict[str, Any] | None:
        """The progress saved by an earlier attempt of this generation."""
        return self._outbox.load_checkpoint(self._key, self._gen)

    def save(self, progress: dict[str, Any]) -> None:
        """Keep ``progress`` in the row."""
        self._outbox.save_checkpoint(self._key, self._gen, progress)

    def clear(self) -> None:
        """Forget the progress."""
        self._outbox.save_checkpoint(self._key, self._gen, None)
