"""The checkout protocol: each event revision of a network solved exactly once, through the store alone.

DESIGN 6. The only atomic operation relied on is create-if-absent (``Store.create_if_absent``). Under
``events/YYYY-MM-DD/<event_id>/<revision>/`` a revision has:

- ``claim-<generation>.json`` (generation 1, 2, ...): created if absent by the station that takes the work,
  with its owner and lease expiry; only that owner ever rewrites it, to renew the lease while it solves;
- ``solution.json`` and ``failure.json``: write-once; whoever creates one first ends the revision.

A station claims a revision only when it has no solution or failure, and no claim whose lease is alive:
a lease counts as expired only ``margin_s`` after its stated expiry, so clocks that disagree by less than
the margin never make two live owners. An expired claim is taken over by creating the next generation;
of several stations racing for one generation, create-if-absent lets exactly one win. A slow owner whose
lease was taken over may still finish: its solution is refused if the new owner's came first (counted as
a wasted solve), so there is never more than one solution object.

The clock is injected (``now_utc``): tests drive time, and the station decides whether its clock is
synchronised enough to claim at all (``Checkout.claim`` refuses when told it is not).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.errors import SyncError
from sync.keys import event_key
from sync.store import Store, StoredObject

_CLAIM = re.compile(r"claim-(\d{4,})\.json$")
SCHEMA_CLAIM = "stationd.claim/1"
_JSON = "application/json"


class ClaimRefused(SyncError):
    """This station must not claim (its clock is not synchronised, or the store failed the probe)."""


@dataclass(frozen=True)
class Revision:
    """One revision of one event: where its claims and results live."""

    day: str  # YYYY-MM-DD
    event_id: str
    revision: str

    def key(self, name: str) -> str:
        """Key of one of the revision's objects (built and checked by ``sync.keys``)."""
        return event_key(self.day, self.event_id, self.revision, name)

    @property
    def prefix(self) -> str:
        """Key prefix of the revision's objects (under the store's configured prefix)."""
        return self.key("x")[:-1]

    def claim_key(self, generation: int) -> str:
        """Key of the claim of ``generation`` (1, 2, ...)."""
        return self.key(f"claim-{generation:04d}.json")

    @property
    def solution_key(self) -> str:
        """Key of the write-once solution."""
        return self.key("solution.json")

    @property
    def failure_key(self) -> str:
        """Key of the write-once failure record."""
        return self.key("failure.json")


@dataclass(frozen=True)
class Claim:
    """A claim this station holds: its revision, generation and current lease expiry."""

    revision: Revision
    generation: int
    owner: str
    expires_utc: datetime


@dataclass(frozen=True)
class RevisionState:
    """What the store says of a revision: solved, failed, or who holds it until when."""

    solved: bool
    failed: bool
    generation: int  # the highest claim generation (0: never claimed)
    owner: str | None
    expires_utc: datetime | None

    @property
    def done(self) -> bool:
        """True once a solution or a failure is written: nothing more to do."""
        return self.solved or self.failed


@dataclass(frozen=True)
class CheckoutSettings:
    """Lease length and the margin that absorbs clock differences between stations."""

    lease_s: float = 600.0
    margin_s: float = 120.0

    def __post_init__(self) -> None:
        if not self.lease_s > 0:
            raise ValueError(f"CheckoutSettings.lease_s: got {self.lease_s!r}, expected > 0")
        if not 0 <= self.margin_s < self.lease_s:
            raise ValueError(f"CheckoutSettings.margin_s: got {self.margin_s!r}, expected 0 <= it < lease_s")


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


class Checkout:
    """The protocol for one station: claim, renew, publish a solution or a failure, read a revision."""

    def __init__(
        self,
        store: Store,
        station: str,
        now_utc: Callable[[], datetime],
        settings: CheckoutSettings | None = None,
    ) -> None:
        self.store, self.station, self.now_utc = store, station, now_utc
        self.settings = settings or CheckoutSettings()

    def state(self, revision: Revision) -> RevisionState:
        """The revision as the store holds it now."""
        keys = [info.key for info in self.store.list(revision.prefix)]
        generations = [int(m.group(1)) for k in keys if (m := _CLAIM.search(k))]
        generation = max(generations, default=0)
        owner = expires = None
        if generation:
            claim = self._read_claim(revision, generation)
            if claim is not None:
                owner, expires = claim
        return RevisionState(
            solved=revision.solution_key in keys,
            failed=revision.failure_key in keys,
            generation=generation,
            owner=owner,
            expires_utc=expires,
        )

    def claim(self, revision: Revision, *, clock_synchronised: bool = True) -> Claim | None:
        """Take the revision if nobody holds it: the claim, or None (done, held by another, lost a race)."""
        if not clock_synchronised:
            raise ClaimRefused(
                f"{self.station}: the clock is not synchronised; not claiming {revision.event_id}"
            )
        state = self.state(revision)
        if state.done:
            return None
        now = self.now_utc()
        if state.generation and state.expires_utc is not None:
            if state.owner == self.station and state.expires_utc > now:
                return self._renewed(Claim(revision, state.generation, self.station, state.expires_utc))
            if state.expires_utc + timedelta(seconds=self.settings.margin_s) > now:
                return None  # a live lease (or one within the clock margin) of another station
        generation = state.generation + 1
        expires = now + timedelta(seconds=self.settings.lease_s)
        body = self._claim_body(generation, expires)
        if not self.store.create_if_absent(revision.claim_key(generation), body, content_type=_JSON):
            return None
        return Claim(revision, generation, self.station, expires)

    def renew(self, claim: Claim) -> Claim | None:
        """Extend the lease while solving; None when the claim was taken over (stop and drop the work)."""
        state = self.state(claim.revision)
        if state.done or state.generation != claim.generation:
            return None
        return self._renewed(claim)

    def publish_solution(self, claim: Claim, solution: dict[str, Any]) -> bool:
        """Write the solution once: True if it is ours, False if another was there first (a wasted solve)."""
        body = _json({**solution, "solved_by": self.station, "claim_generation": claim.generation})
        return self.store.create_if_absent(claim.revision.solution_key, body, content_type=_JSON)

    def publish_failure(self, claim: Claim, reason: str) -> bool:
        """Record once that the revision cannot be solved (with why); False if it already has an end."""
        if self.state(claim.revision).solved:
            return False
        body = _json(
            {
                "schema": "stationd.failure/1",
                "event_id": claim.revision.event_id,
                "revision": claim.revision.revision,
                "station": self.station,
                "reason": reason,
                "failed_utc": self.now_utc().isoformat(),
            }
        )
        return self.store.create_if_absent(claim.revision.failure_key, body, content_type=_JSON)

    def solution(self, revision: Revision) -> dict[str, Any] | None:
        """The published solution of a revision (to copy), or None."""
        found = self.store.get(revision.solution_key)
        if not isinstance(found, StoredObject):
            return None
        try:
            solution = json.loads(found.data)
        except ValueError:
            return None  # an unreadable solution object is not one to copy
        return solution if isinstance(solution, dict) else None

    def _renewed(self, claim: Claim) -> Claim:
        expires = self.now_utc() + timedelta(seconds=self.settings.lease_s)
        body = self._claim_body(claim.generation, expires)
        self.store.put_bytes(claim.revision.claim_key(claim.generation), body, content_type=_JSON)
        return Claim(claim.revision, claim.generation, self.station, expires)

    def _claim_body(self, generation: int, expires: datetime) -> bytes:
        return _json(
            {
                "schema": SCHEMA_CLAIM,
                "owner": self.station,
                "generation": generation,
                "claimed_utc": self.now_utc().isoformat(),
                "expires_utc": expires.isoformat(),
            }
        )

    def _read_claim(self, revision: Revision, generation: int) -> tuple[str, datetime] | None:
        found = self.store.get(revision.claim_key(generation))
        if not isinstance(found, StoredObject):
            return None
        try:
            raw = json.loads(found.data)
            return str(raw["owner"]), datetime.fromisoformat(raw["expires_utc"])
        except (ValueError, KeyError, TypeError):
            # An unreadable claim holds nothing: it expires at once and the next generation takes over.
            return "?", datetime.min.replace(tzinfo=self.now_utc().tzinfo)
