"""Events, revisions and claims of the network in the state store (schema version 5, DESIGN 5 and 6).

One row per event revision this station has grouped: its day, stations and observations, the state the
last network cycle left it in (``grouped``, ``claimed`` by whom and which claim generation, ``solved`` by
us, ``copied`` from another station's solution, ``failed``, ``refused``, ``inputs``, ``lost``,
``error``), the detail (why it failed, why the station refused) and, once solved, the key of the
solution. ``current`` is 1 for the revision of an event that the latest grouping gave, 0 for earlier ones
(a late observation makes a new revision; the old row stays, as its objects stay in the store).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["NETWORK_SCHEMA", "NetworkLedger", "RevisionRow"]

NETWORK_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS network_revisions (
        event_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        day TEXT NOT NULL,
        stations TEXT NOT NULL,
        observations TEXT NOT NULL,
        state TEXT NOT NULL,
        owner TEXT,
        generation INTEGER NOT NULL DEFAULT 0,
        detail TEXT,
        solution_key TEXT,
        current INTEGER NOT NULL DEFAULT 1,
        first_seen_utc TEXT NOT NULL,
        updated_utc TEXT NOT NULL,
        PRIMARY KEY (event_id, revision)
    )""",
    "CREATE INDEX IF NOT EXISTS network_revisions_day ON network_revisions (day, event_id)",
)
"""The statements of the network's tables (applied by ``stationd.disk.state`` at version 5)."""


@dataclass(frozen=True)
class RevisionUpdate:
    """What a network cycle learnt of one revision (the ``stationd`` side of a ``RevisionOutcome``)."""

    event_id: str
    revision: str
    day: str
    stations: tuple[str, ...]
    observations: tuple[str, ...]
    state: str
    owner: str | None
    generation: int
    detail: str | None
    solution_key: str | None


@dataclass(frozen=True)
class RevisionRow(RevisionUpdate):
    """One event revision as the state store holds it: the last update, whether it is the event's current
    revision, and when it was first seen and last updated."""

    current: bool
    first_seen_utc: str
    updated_utc: str

    def to_json(self) -> dict[str, Any]:
        """Plain data (``stationd events --json``)."""
        return {**asdict(self), "stations": list(self.stations), "observations": list(self.observations)}


class NetworkLedger:
    """The network's rows of the station's state database (opened after ``StateStore`` migrated it)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self._lock = threading.Lock()
        uri = f"{path.absolute().as_uri()}{'?mode=ro' if read_only else ''}"
        self._db = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> NetworkLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, updates: Iterable[RevisionUpdate], now_iso: str) -> None:
        """Upsert the revisions of one cycle; earlier revisions of the same events stop being current."""
        updates = list(updates)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for u in updates:
                    self._db.execute(
                        "UPDATE network_revisions SET current=0 WHERE event_id=? AND revision<>?",
                        (u.event_id, u.revision),
                    )
                    self._db.execute(
                        """INSERT INTO network_revisions (event_id, revision, day, stations, observations,
                               state, owner, generation, detail, solution_key, current, first_seen_utc,
                               updated_utc)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                           ON CONFLICT (event_id, revision) DO UPDATE SET state=excluded.state,
                               owner=excluded.owner, generation=excluded.generation, detail=excluded.detail,
                               solution_key=coalesce(excluded.solution_key, solution_key), current=1,
                               updated_utc=excluded.updated_utc""",
                        (u.event_id, u.revision, u.day, json.dumps(list(u.stations)),
                         json.dumps(list(u.observations)), u.state, u.owner, u.generation, u.detail,
                         u.solution_key, now_iso, now_iso),
                    )  # fmt: skip
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def revisions(self, day: str | None = None, event_id: str | None = None) -> list[RevisionRow]:
        """Rows of a day (or of one event, or all), by event id, current revision first."""
        sql, args = "SELECT * FROM network_revisions WHERE 1=1", list[str]()
        if day is not None:
            sql, args = sql + " AND day=?", [*args, day]
        if event_id is not None:
            sql, args = sql + " AND event_id=?", [*args, event_id]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY event_id, current DESC, first_seen_utc", args).fetchall()
        return [
            RevisionRow(
                event_id=r["event_id"], revision=r["revision"], day=r["day"],
                stations=tuple(json.loads(r["stations"])), observations=tuple(json.loads(r["observations"])),
                state=r["state"], owner=r["owner"], generation=r["generation"], detail=r["detail"],
                solution_key=r["solution_key"], current=bool(r["current"]),
                first_seen_utc=r["first_seen_utc"], updated_utc=r["updated_utc"],
            )
            for r in rows
        ]  # fmt: skip
