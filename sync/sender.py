"""The sender: delivers the outbox's rows to the store, one at a time, verified, within the bandwidth cap.

For each due row (:meth:`sync.outbox.Outbox.claim_next`: priority, dependencies, retry times):

1. a deletion (a withdrawn product) is done only under the station's own prefixes, never elsewhere;
2. the file is looked at: gone -> the row fails (kept, with the reason); changed since it was queued ->
   its checksums are taken again (what is uploaded is what the row says);
3. a row tried before (a crash, a timeout after the bytes went) first asks the store: an object of the
   right size and ETag is already there -> done, nothing sent twice;
4. ``put_file`` (resumable through the row's checkpoint), then ``head``: the size must match and a
   single-part ETag must be the MD5 (a multipart ETag, ``<hex>-<parts>``, is checked by size only);
5. the transfer's bytes are spent from the :class:`~sync.bucket.TokenBucket`.

Failures: a store that does not answer, refuses the credentials or is misconfigured puts the row back
with exponential backoff and jitter, and pauses the whole sender for as long (one failing request per
pause, not one per row); an object that does not verify is retried with backoff. Backoff is "equal jitter"
(M. Brooker, *Exponential Backoff And Jitter*, AWS Architecture Blog, 2015): half the capped exponential
delay plus a uniform random half.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sync.bucket import TokenBucket
from sync.clock import Clock
from sync.errors import StoreAuthError, StoreConfigError, StoreUnavailable
from sync.keys import StationKeys
from sync.outbox import PINNED_KINDS, Outbox, OutboxItem, RowCheckpoint, digest_file
from sync.store import ObjectInfo, Store

KIB = 1024


@dataclass(frozen=True)
class SenderSettings:
    """How the sender paces and retries (``storage.bandwidth_kib_s``: None for no cap)."""

    bandwidth_kib_s: float | None = None
    burst_s: float = 1.0  # the bucket holds this many seconds of the cap
    backoff_base_s: float = 5.0
    backoff_max_s: float = 900.0  # a row is retried at least this often
    pause_max_s: float = 300.0  # a failing store is asked again at least this often
    wait_step_s: float = 0.5  # longest sleep: a stop request is seen this fast

    def __post_init__(self) -> None:
        for name in ("burst_s", "backoff_base_s", "backoff_max_s", "pause_max_s", "wait_step_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"SenderSettings.{name}: got {getattr(self, name)}, expected > 0")
        if self.bandwidth_kib_s is not None and not self.bandwidth_kib_s > 0:
            raise ValueError(f"SenderSettings.bandwidth_kib_s: got {self.bandwidth_kib_s}, expected > 0")


def backoff_s(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Delay before retry number ``attempt`` (1, 2, ...): equal jitter over a capped exponential.

    >>> d = backoff_s(3, 5.0, 900.0, random.Random(1))
    >>> 10.0 <= d <= 20.0
    True
    """
    ceiling = min(max_s, base_s * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def verify_problem(info: ObjectInfo | None, item: OutboxItem) -> str | None:
    """Why the stored object is not the row's bytes, or None when it is."""
    if info is None:
        return "the object is absent"
    if info.size != item.size_bytes:
        return f"the object has {info.size} bytes, the file {item.size_bytes}"
    etag = info.etag.strip('"').lower()
    if "-" in etag:  # multipart: the ETag is the MD5 of the parts' MD5s, checked through the size only
        return None
    if etag not in (item.md5, item.sha256):
        return f"the object's ETag {etag} is not the file's MD5 {item.md5}"
    return None


@dataclass
class SendReport:
    """What a run of the sender did."""

    sent: int = 0
    deleted: int = 0
    present: int = 0  # found in the store already (after a crash): not sent again
    retried: int = 0
    failed: int = 0
    bytes_sent: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Plain data for ``stationd sync --json``."""
        return {
            "sent": self.sent,
            "deleted": self.deleted,
            "present": self.present,
            "retried": self.retried,
            "failed": self.failed,
            "bytes_sent": self.bytes_sent,
            "errors": list(self.errors),
        }


class _NotVerified(Exception):
    """The object in the store is not what was sent."""


class Sender:
    """Delivers one station's outbox to its store (one sender per outbox at a time)."""

    def __init__(
        self,
        outbox: Outbox,
        store: Store,
        owner: str,
        clock: Clock,
        settings: SenderSettings | None = None,
        rng: random.Random | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.outbox = outbox
        self.store = store
        self.owner = owner
        self.settings = settings or SenderSettings()
        self._clock = clock
        self._rng = rng or random.Random()
        self.log = log or logging.getLogger("sync.sender")
        cap = self.settings.bandwidth_kib_s
        self.bucket = (
            TokenBucket(cap * KIB, cap * KIB * self.settings.burst_s, clock) if cap is not None else None
        )
        self._store_failures = 0
        self._resume_at = -float("inf")  # monotonic time before which the store is not asked again

    @property
    def paused_s(self) -> float:
        """Seconds until a failing store is asked again (0: not paused)."""
        return max(0.0, self._resume_at - self._clock.monotonic_s())

    def run(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        day: str | None = None,
        report: SendReport | None = None,
    ) -> SendReport:
        """Deliver every due row (``day``: of that day and of no day) until none is due, the store fails,
        or ``should_stop()``; returns what was done."""
        report = report if report is not None else SendReport()
        while not should_stop():
            if not self._wait_for_bandwidth(should_stop):
                break
            if self.paused_s > 0:
                break
            outcome = self.step(report, day)
            if outcome is None or outcome == "paused":
                break
        return report

    def _wait_for_bandwidth(self, should_stop: Callable[[], bool]) -> bool:
        while self.bucket is not None and (wait := self.bucket.wait_s()) > 0:
            if should_stop():
                return False
            self._clock.sleep(min(wait, self.settings.wait_step_s))
        return True

    def step(self, report: SendReport, day: str | None = None) -> str | None:
        """Deliver one due row; its outcome (sent, deleted, present, retry, failed, paused) or None."""
        item = self.outbox.claim_next(self.owner, day)
        if item is None:
            return None
        try:
            outcome = self._deliver(item, report)
        except (StoreUnavailable, StoreAuthError, StoreConfigError) as exc:
            return self._store_failed(item, exc, report)
        except _NotVerified as exc:
            return self._retry(item, f"not verified: {exc}", report)
        except OSError as exc:  # the local file: gone or unreadable
            self.outbox.mark_failed(item.key, item.gen, f"local file: {exc}")
            report.failed += 1
            report.errors.append(f"{item.key}: {exc}")
            self.log.error("upload of %s failed: %s", item.key, exc)
            return "failed"
        except Exception as exc:  # a backend bug must not stop delivery of the other rows
            self.log.exception("upload of %s raised", item.key)
            return self._retry(item, f"{type(exc).__name__}: {exc}", report)
        except BaseException:
            self.outbox.release(item.key, item.gen)
            raise
        self._store_failures = 0
        self.outbox.note_success()
        return outcome

    def _deliver(self, item: OutboxItem, report: SendReport) -> str:
        if item.op == "delete":
            if not StationKeys(self.outbox.station).owns(
                item.key
            ):  # never reached: the outbox refuses such keys
                raise StoreConfigError(f"refused to delete {item.key}: not under the station's prefixes")
            self.store.delete(item.key)
            self.outbox.mark_done(item.key, item.gen, None)
            report.deleted += 1
            return "deleted"
        item = self._current(item)
        if item.attempts > 1:
            info = self.store.head(item.key)
            if verify_problem(info, item) is None and info is not None:
                self.outbox.mark_done(item.key, item.gen, info.etag)
                report.present += 1
                return "present"
        assert item.path is not None
        self.store.put_file(
            item.key,
            item.path,
            content_type=item.content_type,
            content_encoding=item.content_encoding,
            checkpoint=RowCheckpoint(self.outbox, item.key, item.gen),
        )
        if self.bucket is not None:
            self.bucket.spend(item.size_bytes or 0)
        info = self.store.head(item.key)
        problem = verify_problem(info, item)
        if problem is not None:
            raise _NotVerified(problem)
        self.outbox.mark_done(item.key, item.gen, info.etag if info else None)
        report.sent += 1
        report.bytes_sent += item.size_bytes or 0
        return "sent"

    def _current(self, item: OutboxItem) -> OutboxItem:
        """The row with the checksums of the file as it is now (re-read only when size or mtime moved)."""
        assert item.path is not None
        st = item.path.stat()
        if (st.st_size, st.st_mtime_ns) == (item.size_bytes, item.mtime_ns):
            return item
        d = digest_file(item.path)
        if item.kind in PINNED_KINDS and d.sha256 != item.sha256:
            raise FileNotFoundError(f"{item.path} changed since it was queued (its key names its content)")
        self.outbox.refresh_digest(item.key, item.gen, d)
        fields = {"size_bytes": d.size_bytes, "mtime_ns": d.mtime_ns, "sha256": d.sha256, "md5": d.md5}
        return OutboxItem(**{**item.__dict__, **fields})

    def _retry(self, item: OutboxItem, error: str, report: SendReport) -> str:
        s = self.settings
        delay = backoff_s(item.attempts, s.backoff_base_s, s.backoff_max_s, self._rng)
        self.outbox.mark_retry(item.key, item.gen, error, self._clock.time_s() + delay)
        self.outbox.note_failure(error)
        report.retried += 1
        report.errors.append(f"{item.key}: {error}")
        self.log.warning("upload of %s: %s; retry in %.0f s", item.key, error, delay)
        return "retry"

    def _store_failed(self, item: OutboxItem, exc: Exception, report: SendReport) -> str:
        """The store itself fails: the row waits, and so does the sender (one request per pause)."""
        self._store_failures += 1
        s = self.settings
        pause = backoff_s(self._store_failures, s.backoff_base_s, s.pause_max_s, self._rng)
        self._resume_at = self._clock.monotonic_s() + pause
        error = f"{type(exc).__name__}: {exc}"
        self.outbox.mark_retry(item.key, item.gen, error, self._clock.time_s() + pause)
        self.outbox.note_failure(error)
        report.retried += 1
        report.errors.append(f"{item.key}: {error}")
        self.log.warning("store failed on %s: %s; sender paused %.0f s", item.key, error, pause)
        return "paused"
