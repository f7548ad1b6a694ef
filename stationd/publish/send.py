"""``stationd sync``: rebuild the changed indexes and send the outbox now (or list what would be sent).

"Now" means every pending row, also those a failed attempt put off to a later retry time: the operator
who runs it has usually just fixed the store (credentials, bucket, network).

It may run beside the daemon: rows are claimed in transactions, so the two never send the same row; only
when no daemon holds the station does it also take back rows a dead process left ``sending``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stationd.config import StationConfig
from stationd.daemon.lock import lock_holder
from stationd.daemon.owner import current_owner, owner_alive
from stationd.disk.layout import StationLayout
from stationd.publish.index import rebuild_dirty
from stationd.publish.outbox import SystemClock, open_outbox
from stationd.store_factory import open_store
from sync.sender import Sender, SenderSettings, SendReport


@dataclass
class SyncReport:
    """What ``stationd sync`` did (or, dry, would do)."""

    day: str | None
    dry_run: bool
    indexes: list[str] = field(default_factory=list)  # days whose index was (or would be) rebuilt
    waiting: list[dict[str, Any]] = field(default_factory=list)  # dry run: the rows that would go
    sent: SendReport | None = None
    outbox: dict[str, Any] = field(default_factory=dict)
    store_error: str | None = None  # the store failed: what is left waits for the next try

    @property
    def ok(self) -> bool:
        """Nothing failed (exit code 0)."""
        return self.store_error is None and (self.sent is None or self.sent.failed == 0)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "day": self.day,
            "dry_run": self.dry_run,
            "indexes": self.indexes,
            "waiting": self.waiting,
            "sent": self.sent.to_json() if self.sent else None,
            "outbox": self.outbox,
            "store_error": self.store_error,
            "ok": self.ok,
        }


def sync_now(
    config: StationConfig,
    day: str | None = None,
    dry_run: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Send the outbox (``day``: that day's rows and those of no day, its index rebuilt first)."""
    report = SyncReport(day, dry_run)
    if dry_run:
        with open_outbox(config, read_only=True) as outbox:
            report.indexes = [d for d, _ in outbox.dirty_days() if day is None or d == day]
            report.waiting = [i.to_json() for i in outbox.items(["pending", "sending", "failed"], day)]
            report.outbox = outbox.summary()
        return report
    with open_outbox(config) as outbox:
        if not lock_holder(StationLayout(config.station.data_dir).lock_file).running:
            outbox.recover_stale(owner_alive)
        outbox.retry_failed()
        outbox.retry_now()  # "send now": rows waiting for a retry time go too (the store may be fixed)
        if day is not None:
            outbox.mark_day_dirty(day)
        report.indexes = [r.day for r in rebuild_dirty(config, outbox)]
        store = open_store(config)
        sender = Sender(
            outbox,
            store,
            current_owner(),
            SystemClock(),
            SenderSettings(bandwidth_kib_s=config.storage.bandwidth_kib_s),
            rng=random.Random(),
        )
        report.sent = sender.run(should_stop, day)
        if sender.paused_s > 0:
            report.store_error = report.sent.errors[-1] if report.sent.errors else "the store failed"
        report.outbox = outbox.summary()
    return report
