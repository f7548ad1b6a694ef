"""The outbox's rows: what is queued (:class:`Upload`), what a row holds (:class:`OutboxItem`), the order
of delivery (:class:`Priority`) and the checksums that identify a file's bytes (:func:`digest_file`)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from sync.clock import iso_of

PINNED_KINDS = frozenset({"calibration"})
"""Kinds whose key names their content (a plate solution by its SHA-256): a changed file is not theirs."""


class Priority(IntEnum):
    """Order of delivery among rows that are due (lower first): bright events ahead of the queue, small
    records before the big clips."""

    LIVE = 0
    LIVE_CLIP = 1
    STATUS = 2
    CALIBRATION = 3
    RECORD = 4
    INDEX = 5
    STACK = 6
    EXPORT = 7
    CLIP = 8
    CLIP_HD = 9


@dataclass(frozen=True)
class Digest:
    """What identifies a file's bytes: size, mtime (to notice a change cheaply) and checksums."""

    size_bytes: int
    mtime_ns: int
    sha256: str
    md5: str


def digest_file(path: Path, chunk_bytes: int = 1 << 20) -> Digest:
    """Size, mtime and the SHA-256 and MD5 of ``path`` in one read."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        while block := f.read(chunk_bytes):
            sha.update(block)
            md5.update(block)
    return Digest(st.st_size, st.st_mtime_ns, sha.hexdigest(), md5.hexdigest())


@dataclass(frozen=True)
class Upload:
    """One object to publish: its key, the local file and how it is sent."""

    key: str
    path: Path
    kind: str
    priority: Priority
    day: str | None = None
    content_type: str = "application/octet-stream"
    content_encoding: str | None = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxItem:
    """A row as the sender and the views see it."""

    key: str
    op: str  # put | delete
    path: Path | None
    size_bytes: int | None
    mtime_ns: int | None
    sha256: str | None
    md5: str | None
    kind: str
    priority: int
    day: str | None
    content_type: str
    content_encoding: str | None
    state: str
    gen: int
    attempts: int
    next_attempt_s: float
    last_error: str | None
    queued_utc: str
    sent_utc: str | None

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json`` output (same field names as the table)."""
        return {
            "key": self.key,
            "op": self.op,
            "path": str(self.path) if self.path else None,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "kind": self.kind,
            "priority": self.priority,
            "day": self.day,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_utc": iso_of(self.next_attempt_s) if self.next_attempt_s else None,
            "last_error": self.last_error,
            "queued_utc": self.queued_utc,
            "sent_utc": self.sent_utc,
        }


def item_of_row(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        key=row["key"],
        op=row["op"],
        path=Path(row["path"]) if row["path"] else None,
        size_bytes=row["size_bytes"],
        mtime_ns=row["mtime_ns"],
        sha256=row["sha256"],
        md5=row["md5"],
        kind=row["kind"],
        priority=row["priority"],
        day=row["day"],
        content_type=row["content_type"],
        content_encoding=row["content_encoding"],
        state=row["state"],
        gen=row["gen"],
        attempts=row["attempts"],
        next_attempt_s=row["next_attempt_s"],
        last_error=row["last_error"],
        queued_utc=row["queued_utc"],
        sent_utc=row["sent_utc"],
    )
