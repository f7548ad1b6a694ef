"""Does this store honour create-if-absent? (DESIGN 6: a station refuses to claim on a store that fails.)

S3-compatible servers differ in how they honour ``If-None-Match: *``: some ignore it and let every writer
"win". :func:`probe_create_if_absent` starts ``n_writers`` threads that create one fresh key at once (each
with its own bytes), counts the winners and reads back whose bytes the object holds. A store passes when
exactly one writer won and the object holds that writer's bytes; the probe object is deleted afterwards.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from sync.errors import SyncError
from sync.keys import check_key
from sync.store import Store, StoredObject

__all__ = ["ProbeResult", "probe_create_if_absent"]

log = logging.getLogger("stationd.sync.probe")


@dataclass(frozen=True)
class ProbeResult:
    """What a probe saw: the number of winners and losers, errors, whose bytes the object holds."""

    key: str
    n_writers: int
    n_winners: int
    n_losers: int
    errors: tuple[str, ...] = field(default=())
    stored_is_winners: bool = False

    @property
    def ok(self) -> bool:
        """Exactly one winner, every other writer told it lost, and the object holds the winner's bytes."""
        return (
            self.n_winners == 1
            and self.n_losers == self.n_writers - 1
            and not self.errors
            and self.stored_is_winners
        )


def probe_create_if_absent(store: Store, key_root: str, *, n_writers: int = 8) -> ProbeResult:
    """Race ``n_writers`` threads creating one fresh key under ``key_root`` (e.g. ``events/probe``).

    The key is ``<key_root>/<random hex>``, so probes never meet earlier ones. Errors of single writers are
    reported in the result (they fail the probe); the object is deleted at the end.
    """
    if n_writers < 2:
        raise ValueError(f"n_writers: got {n_writers}, expected at least 2 (a race needs two)")
    key = check_key(f"{key_root.strip('/')}/{secrets.token_hex(8)}")
    payloads = [f"writer {i} {secrets.token_hex(8)}\n".encode() for i in range(n_writers)]
    outcome: list[bool | str] = [False] * n_writers
    start = threading.Barrier(n_writers)

    def write(i: int) -> None:
        try:
            start.wait(timeout=30)
            outcome[i] = store.create_if_absent(key, payloads[i], content_type="text/plain")
        except (SyncError, threading.BrokenBarrierError) as exc:
            outcome[i] = f"writer {i}: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=write, args=(i,), name=f"probe-writer-{i}") for i in range(n_writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in enumerate(outcome) if o is True]
    errors = tuple(o for o in outcome if isinstance(o, str))
    try:
        stored = store.get(key)
    finally:
        try:
            store.delete(key)
        except SyncError as exc:  # a bucket policy may forbid deletes here: the result stands
            log.warning("probe object %s left in the store: %s", key, exc)
    held = stored.data if isinstance(stored, StoredObject) else None
    return ProbeResult(
        key=key,
        n_writers=n_writers,
        n_winners=len(winners),
        n_losers=sum(1 for o in outcome if o is False),
        errors=errors,
        stored_is_winners=len(winners) == 1 and held == payloads[winners[0]],
    )
