"""The network cycle of one station: partners' indexes in, events grouped, each revision solved once.

DESIGN 6. :meth:`NetworkCycle.run` takes the days to look at and

1. refreshes the partners' daily indexes (:class:`sync.partners.PartnerIndexes`) and reads its own;
2. groups every observation into events (:class:`sync.events.EventGrouper`): the same ids at every station
   that holds the same indexes;
3. for each event revision this station takes part in (or every revision, ``solve_all``): copies the
   solution when one is published; else, in ``solve`` mode, claims it (:class:`sync.checkout.Checkout`),
   fetches the full meteor records (its own from disk through ``own_record``, the partners' from their
   keys in their indexes, never written back), solves them with the injected solver and publishes the
   solution, or a failure record when the tracks give none; in ``inputs`` mode it publishes the
   revision's inputs (``inputs.json``, write-once, deterministic bytes) for an external engine instead.

A station claims nothing when its store failed the create-if-absent probe or its clock is not
synchronised (:func:`claim_refusal` says why, the report carries it): it still groups and copies.
Everything outside the station (store, clock, solver, the station's own index and records) is injected.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.checkout import Checkout, CheckoutSettings, Claim, Revision
from sync.errors import SyncError
from sync.events import Event, EventGrouper, GroupingSettings, Observation
from sync.partners import PartnerFetch, PartnerIndexes, observations_of_index, record_keys_of_index
from sync.probe import ProbeResult
from sync.store import Store, StoredObject
from trajectory.errors import TrajectoryError

__all__ = [
    "INPUTS_SCHEMA",
    "MODES",
    "NetworkCycle",
    "NetworkSettings",
    "RevisionOutcome",
    "CycleReport",
    "Solver",
    "claim_refusal",
    "event_inputs",
]

log = logging.getLogger("sync.network")

MODES = ("solve", "inputs", "off")
INPUTS_SCHEMA = "stationd.event-inputs/1"
MAX_RECORD_BYTES = 4 * 1024 * 1024
_JSON = "application/json"

Solver = Callable[[Event, list[dict[str, Any]]], dict[str, Any]]
"""Solves an event from its observations' meteor records (in the event's order): the solution document
(``stationd.solution/1``). Raises ``TrajectoryError`` or ``ValueError`` when the tracks give none."""


def claim_refusal(probe: ProbeResult | None, clock_synchronised: bool | None) -> str | None:
    """Why this station must not claim (None: it may). ``probe`` is the start-up probe of its store (None:
    not probed, e.g. a read-only run); ``clock_synchronised`` None means unknown, which is allowed."""
    if probe is not None and not probe.ok:
        detail = "; ".join(probe.errors) if probe.errors else (
            f"{probe.n_winners} of {probe.n_writers} concurrent creates of one key won"
            f"{'' if probe.stored_is_winners else ', and the object does not hold the winner bytes'}"
        )  # fmt: skip
        return (
            f"the store does not honour create-if-absent ({detail}); claiming there could solve an event "
            "twice, so this station does not claim (it still groups and copies solutions)"
        )
    if clock_synchronised is False:
        return (
            "the system clock is not synchronised (NTP); leases need clocks within the lease margin, so "
            "this station does not claim until it is"
        )
    return None


@dataclass(frozen=True)
class NetworkSettings:
    """How the station takes part: ``mode`` (solve, inputs, off), grouping and checkout settings,
    whether it solves events it did not see (``solve_all``), and the Monte Carlo runs of the solver."""

    mode: str = "solve"
    grouping: GroupingSettings = field(default_factory=GroupingSettings)
    checkout: CheckoutSettings = field(default_factory=CheckoutSettings)
    solve_all: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"NetworkSettings.mode: got {self.mode!r}, expected one of {MODES}")


@dataclass(frozen=True)
class RevisionOutcome:
    """What the cycle did with one event revision.

    ``state``: ``solved`` (by this station now), ``copied`` (solved elsewhere), ``failed`` (a failure
    record, ours or another's), ``claimed`` (held by ``owner`` under a live lease), ``lost`` (another
    station won the claim or the solution first), ``refused`` (this station may not claim), ``inputs``
    (inputs published for an external engine), ``grouped`` (mode off), ``error`` (records missing...).
    """

    event: Event
    state: str
    owner: str | None = None
    generation: int = 0
    detail: str | None = None
    solution: dict[str, Any] | None = None

    @property
    def revision(self) -> Revision:
        """Where the revision's objects live."""
        return Revision(self.event.day, self.event.event_id, self.event.revision)


@dataclass(frozen=True)
class CycleReport:
    """One run of the cycle: the partners' fetches, the events' outcomes and the refusal (if any)."""

    fetches: tuple[PartnerFetch, ...]
    outcomes: tuple[RevisionOutcome, ...]
    refusal: str | None

    def count(self, state: str) -> int:
        """How many revisions ended in ``state``."""
        return sum(1 for o in self.outcomes if o.state == state)


def _utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_inputs(event: Event, record_keys: Mapping[str, str]) -> dict[str, Any]:
    """The ``stationd.event-inputs/1`` document of a revision: what an external engine needs to solve
    it (each observation with its station's site, times, directions and the key of its full record).
    A pure function of the event: every station writes the same bytes."""
    return {
        "schema": INPUTS_SCHEMA,
        "event_id": event.event_id,
        "revision": event.revision,
        "day": event.day,
        "solution_key": Revision(event.day, event.event_id, event.revision).solution_key,
        "observations": [
            {
                "station": o.station,
                "camera": o.camera,
                "meteor_id": o.meteor_id,
                "lat_deg": o.lat_deg,
                "lon_deg": o.lon_deg,
                "elevation_m": o.elevation_m,
                "start_utc": _utc(o.start_utc),
                "end_utc": _utc(o.end_utc),
                "begin_az_deg": o.begin_az_deg,
                "begin_alt_deg": o.begin_alt_deg,
                "end_az_deg": o.end_az_deg,
                "end_alt_deg": o.end_alt_deg,
                "record_key": record_keys.get(o.key),
            }
            for o in event.observations
        ],
    }


def _canonical(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n").encode()


class NetworkCycle:
    """One station's part in the network (settings and collaborators here, the days in :meth:`run`).

    Parameters
    ----------
    store : Store
        The shared store (events area, and partners without a store of their own).
    station : str
        This station's id.
    now_utc : callable
        The clock (timezone-aware UTC).
    solver : Solver
        Solves an event from its meteor records.
    partners : sequence of str
        Partner station ids.
    indexes : PartnerIndexes
        The partners' index cache.
    own_index : callable
        The station's own index of a day (``stationd.index/1``), or None.
    own_record : callable
        The station's own meteor record of a meteor id, or None.
    partner_stores : mapping, optional
        Stores of partners that publish elsewhere (others use ``store``).
    refusal : str or None
        Why this station must not claim (:func:`claim_refusal`), or None.
    """

    def __init__(
        self,
        store: Store,
        station: str,
        now_utc: Callable[[], datetime],
        solver: Solver,
        *,
        partners: Sequence[str],
        indexes: PartnerIndexes,
        own_index: Callable[[str], dict[str, Any] | None],
        own_record: Callable[[str], dict[str, Any] | None],
        partner_stores: Mapping[str, Store] | None = None,
        refusal: str | None = None,
        settings: NetworkSettings | None = None,
    ) -> None:
        self.store, self.station, self.now_utc, self.solver = store, station, now_utc, solver
        self.partners, self.indexes = tuple(partners), indexes
        self.own_index, self.own_record = own_index, own_record
        self.partner_stores = dict(partner_stores or {})
        self.refusal = refusal
        self.settings = settings or NetworkSettings()
        self.checkout = Checkout(store, station, now_utc, self.settings.checkout)
        self._record_keys: dict[str, str] = {}

    def store_of(self, partner: str) -> Store:
        """The store a partner publishes to."""
        return self.partner_stores.get(partner, self.store)

    def observations(self, days: Iterable[str]) -> tuple[list[Observation], list[PartnerFetch]]:
        """Own and partners' observations of ``days`` (refreshing the partners' indexes)."""
        days = sorted(set(days))
        observations: list[Observation] = []
        for day in days:
            own = self.own_index(day)
            if own is not None:
                observations += observations_of_index(own)
                self._record_keys.update(record_keys_of_index(own))
        fetches = self.indexes.fetch_all(self.store_of, self.partners, days)
        for f in fetches:
            if f.doc is not None:
                observations += observations_of_index(f.doc)
                self._record_keys.update(record_keys_of_index(f.doc))
        return observations, fetches

    def events(self, days: Iterable[str]) -> tuple[list[Event], list[PartnerFetch]]:
        """The multi-station events of ``days`` (those this station takes part in unless ``solve_all``)."""
        observations, fetches = self.observations(days)
        events = EventGrouper(self.settings.grouping)(observations)
        if not self.settings.solve_all:
            events = [e for e in events if self.station in e.stations]
        return events, fetches

    def run(
        self,
        days: Iterable[str],
        only: Callable[[Event], bool] | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> CycleReport:
        """Refresh, group, and take each revision as far as this station may (see the module).

        ``stop`` is asked before each revision: once it is true the cycle ends there (a daemon shutting
        down), and the revisions not taken are left to the next cycle, whose claims find them as they were.
        """
        events, fetches = self.events(days)
        outcomes: list[RevisionOutcome] = []
        for event in events:
            if only is not None and not only(event):
                continue
            if stop():
                log.info("cycle stopped: %d event revisions left for the next cycle",
                         sum(1 for e in events if only is None or only(e)) - len(outcomes))  # fmt: skip
                break
            outcomes.append(self.take(event))
        return CycleReport(tuple(fetches), tuple(outcomes), self.refusal)

    def take(self, event: Event) -> RevisionOutcome:
        """Copy, claim and solve, or publish the inputs of one event revision."""
        revision = Revision(event.day, event.event_id, event.revision)
        try:
            return self._take(event, revision)
        except SyncError as exc:
            log.warning("event %s/%s: the store failed (%s); next cycle", event.event_id, event.revision, exc)
            return RevisionOutcome(event, "error", detail=f"store: {exc}")
        except Exception as exc:  # a partner's malformed record or object must not stop the other events
            log.exception("event %s/%s: cannot be taken; next cycle", event.event_id, event.revision)
            return RevisionOutcome(event, "error", detail=f"{type(exc).__name__}: {exc}")

    def _take(self, event: Event, revision: Revision) -> RevisionOutcome:
        state = self.checkout.state(revision)
        if state.solved:
            return RevisionOutcome(
                event, "copied", state.owner, state.generation, solution=self.checkout.solution(revision)
            )
        if state.failed:
            return RevisionOutcome(
                event, "failed", state.owner, state.generation, detail=self._failure(revision)
            )
        mode = self.settings.mode
        if mode == "off":
            return RevisionOutcome(event, "grouped", state.owner, state.generation)
        if mode == "inputs":
            body = _canonical(event_inputs(event, self._record_keys))
            self.store.create_if_absent(revision.key("inputs.json"), body, content_type=_JSON)
            return RevisionOutcome(event, "inputs", state.owner, state.generation)
        if self.refusal is not None:
            return RevisionOutcome(event, "refused", state.owner, state.generation, detail=self.refusal)
        claim = self.checkout.claim(revision)
        if claim is None:
            now = self.checkout.state(revision)
            if now.solved:
                return RevisionOutcome(
                    event, "copied", now.owner, now.generation, solution=self.checkout.solution(revision)
                )
            return RevisionOutcome(event, "claimed", now.owner, now.generation)
        records, missing = self.records(event)
        if missing:
            reason = f"meteor records not readable: {'; '.join(missing)}"
            log.warning(
                "event %s/%s: %s (the lease lapses; retried later)", event.event_id, event.revision, reason
            )
            return RevisionOutcome(event, "error", self.station, claim.generation, detail=reason)
        try:
            with self._lease_kept(claim):
                solution = self.solver(event, records)
        except (TrajectoryError, ValueError, KeyError, TypeError) as exc:  # inputs that give no solution
            reason = f"{type(exc).__name__}: {exc}"
            self.checkout.publish_failure(claim, reason)
            return RevisionOutcome(event, "failed", self.station, claim.generation, detail=reason)
        if self.checkout.publish_solution(claim, solution):
            published = self.checkout.solution(revision)
            return RevisionOutcome(event, "solved", self.station, claim.generation, solution=published)
        return RevisionOutcome(
            event, "lost", self.station, claim.generation, detail="another station's solution came first",
            solution=self.checkout.solution(revision),
        )  # fmt: skip

    @contextmanager
    def _lease_kept(self, claim: Claim) -> Iterator[None]:
        """Renew the claim's lease every third of its length while the solver runs (in a thread)."""
        stop = threading.Event()

        def renew() -> None:
            held: Claim | None = claim
            while held is not None and not stop.wait(self.settings.checkout.lease_s / 3):
                try:
                    held = self.checkout.renew(held)
                except SyncError as exc:  # the store hiccuped: try again at the next third
                    log.warning("event %s: lease not renewed (%s)", claim.revision.event_id, exc)
            if held is None:
                log.info("event %s: the claim was taken over while solving", claim.revision.event_id)

        thread = threading.Thread(target=renew, name=f"lease-{claim.revision.event_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _failure(self, revision: Revision) -> str | None:
        found = self.store.get(revision.failure_key)
        if not isinstance(found, StoredObject):
            return None
        try:
            return str(json.loads(found.data).get("reason"))
        except (ValueError, AttributeError):
            return "unreadable failure record"

    def records(self, event: Event) -> tuple[list[dict[str, Any]], list[str]]:
        """The full meteor records of an event's observations, and what could not be read."""
        records, missing = [], []
        for o in event.observations:
            record = self._record(o)
            if isinstance(record, str):
                missing.append(f"{o.key}: {record}")
            else:
                records.append(record)
        return records, missing

    def _record(self, o: Observation) -> dict[str, Any] | str:
        if o.station == self.station:
            own = self.own_record(o.meteor_id)
            return own if own is not None else "not on disk"
        key = self._record_keys.get(o.key)
        if key is None:
            return "no key in the index"
        found = self.store_of(o.station).get(key)
        if not isinstance(found, StoredObject):
            return f"{key} absent"
        if len(found.data) > MAX_RECORD_BYTES:
            return f"{key}: {len(found.data)} bytes, over {MAX_RECORD_BYTES}"
        try:
            record = json.loads(found.data)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"{key}: malformed JSON ({exc})"
        if not isinstance(record, dict) or record.get("meteor_id") != o.meteor_id:
            return f"{key}: not the record of {o.meteor_id}"
        if record.get("station") != o.station:
            return f"{key}: the record names station {record.get('station')!r}"
        return record
