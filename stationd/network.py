"""The station's part in the network (issue 15): the network cycle wired to its disk, store, clock and
solver, and what it keeps of the results.

:func:`run_network` runs :class:`sync.network.NetworkCycle` for some days and then

- records every event revision, its state and its claim in the state store (``network_revisions``);
- keeps each solution it solved or copied under ``<data_dir>/events/<day>/<event_id>/<revision>/``;
- adds a ``trajectory`` block (event id, revision, solution key, stations, who solved it) to each of its
  own meteor records the solution covers, and queues those records again (``publish_meteors``);
- writes the day's solutions as the GMN trajectory summary ``exports/<day>/traj_summary_<day>.txt``
  (published with the day's exports under ``stations/<STATION>/exports/<day>/``).

Before it may claim, a station probes its store (``sync.probe_create_if_absent``) and reads the kernel's
clock state (``stationd.ops.health.kernel_clock_state``); either failing makes it group and copy only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_text
from stationd.disk.layout import StationLayout
from stationd.disk.network_state import NetworkLedger, RevisionRow, RevisionUpdate
from stationd.disk.records import RECORD_NAME, read_record
from stationd.disk.state import StateStore
from stationd.errors import StationError, UsageError
from stationd.ops.health import kernel_clock_state
from stationd.publish.index import build_day_index
from stationd.publish.meteors import publish_meteors
from stationd.store_factory import open_store
from sync import ProbeResult, StationKeys, Store, probe_create_if_absent
from sync import open_store as open_sync_store
from sync.checkout import CheckoutSettings
from sync.events import Event, GroupingSettings
from sync.gmn_summary import summary_text
from sync.network import CycleReport, NetworkCycle, NetworkSettings, claim_refusal
from sync.partners import PartnerIndexes, PartnerSettings
from trajectory import solution_to_json, solve_event, tracks_from_meteor_record

__all__ = [
    "NetworkRun",
    "event_rows",
    "find_own_record",
    "is_event_id",
    "network_cycle",
    "run_network",
    "solve_one",
    "solve_records",
]

log = logging.getLogger("stationd.network")


def solve_records(
    event: Event, records: list[dict[str, Any]], *, mc_runs: int = 0, seed: int = 0
) -> dict[str, Any]:
    """The ``stationd.solution/1`` document of an event from its meteor records (the trajectory solver
    with its orbit; ``mc_runs`` Monte Carlo runs seeded by ``seed``)."""
    tracks = [
        t
        for o, r in zip(event.observations, records, strict=True)
        for t in tracks_from_meteor_record(r, o.key)
    ]
    solved = solve_event(tracks, mc_runs=mc_runs, seed=seed)
    doc = solution_to_json(
        solved.solution,
        tracks,
        monte_carlo=solved.monte_carlo,
        event_id=event.event_id,
        revision=event.revision,
    )
    if solved.orbit_problem:
        log.info("event %s: no heliocentric orbit (%s)", event.event_id, solved.orbit_problem)
    return doc


def find_own_record(layout: StationLayout, meteor_id: str) -> Path | None:
    """The folder of one of the station's meteor records by id (any day, any camera), or None."""
    for path in sorted(layout.data_dir.glob(f"days/*/*/meteors/{meteor_id}/{RECORD_NAME}")):
        return path.parent
    return None


def _own_record(layout: StationLayout) -> Callable[[str], dict[str, Any] | None]:
    def read(meteor_id: str) -> dict[str, Any] | None:
        folder = find_own_record(layout, meteor_id)
        try:
            return read_record(folder) if folder is not None else None
        except (OSError, ValueError):
            return None

    return read


def _partner_stores(config: StationConfig) -> dict[str, Store]:
    base = config.storage.store_settings(config.station.data_dir)
    return {p.id: open_sync_store(p.settings(base)) for p in config.station.partner_stores}


def network_settings(config: StationConfig) -> NetworkSettings:
    """The cycle's settings of the configuration's ``network`` section."""
    n = config.network
    return NetworkSettings(
        mode=n.mode,
        grouping=GroupingSettings(time_tolerance_s=n.time_tolerance_s),
        checkout=CheckoutSettings(lease_s=n.lease_s, margin_s=n.lease_margin_s),
        solve_all=n.solve_all,
    )


def network_cycle(
    config: StationConfig,
    *,
    store: Store | None = None,
    now_utc: Callable[[], datetime] = lambda: datetime.now(UTC),
    probe: bool | ProbeResult = True,
    clock_synchronised: bool | None = None,
) -> NetworkCycle:
    """The station's cycle: its store (probed now when ``probe`` is True, not at all when False, or the
    result of an earlier probe), clock state (the kernel's unless given), own index and records from
    disk, the partners as configured."""
    store = store if store is not None else open_store(config)
    layout = StationLayout(config.station.data_dir)
    result: ProbeResult | None = None
    if isinstance(probe, ProbeResult):
        result = probe
    elif probe and config.network.mode == "solve":
        # under the station's own prefix: any bucket policy that lets it publish lets it probe there
        result = probe_create_if_absent(store, StationKeys(config.station.id).root + "probe")
    synced = clock_synchronised if clock_synchronised is not None else kernel_clock_state().synced
    refusal = claim_refusal(result, synced)
    if refusal is not None and config.network.mode == "solve":
        log.warning("%s: %s", config.station.id, refusal)
    mc_runs = config.network.mc_runs
    return NetworkCycle(
        store,
        config.station.id,
        now_utc,
        lambda event, records: solve_records(event, records, mc_runs=mc_runs),
        partners=config.station.partners,
        indexes=PartnerIndexes(
            layout.data_dir / "partners",
            now_utc,
            PartnerSettings(max_index_bytes=config.network.max_index_kib * 1024),
        ),
        own_index=lambda day: build_day_index(config, day),
        own_record=_own_record(layout),
        partner_stores=_partner_stores(config),
        refusal=refusal,
        settings=network_settings(config),
    )


@dataclass(frozen=True)
class NetworkRun:
    """A cycle's report and what the station did with it (records annotated, summary files written)."""

    report: CycleReport
    annotated: tuple[str, ...]
    summaries: tuple[Path, ...]


def default_days(now_utc: datetime) -> list[str]:
    """Yesterday and today (UTC): a night spans two UTC days in most longitudes."""
    return [(now_utc - timedelta(days=1)).date().isoformat(), now_utc.date().isoformat()]


def run_network(
    config: StationConfig,
    days: Iterable[str] | None = None,
    *,
    cycle: NetworkCycle | None = None,
    only: Callable[[Event], bool] | None = None,
    publish: bool = True,
    stop: Callable[[], bool] = lambda: False,
) -> NetworkRun:
    """Run the cycle for ``days`` (default: yesterday and today) and keep its results (module docstring);
    ``stop`` ends the cycle before its next event revision (the daemon's shutdown)."""
    cycle = cycle if cycle is not None else network_cycle(config)
    now = cycle.now_utc()
    days = sorted(set(days if days is not None else default_days(now)))
    report = cycle.run(days, only=only, stop=stop)
    layout = StationLayout(config.station.data_dir)
    updates = []
    for o in report.outcomes:
        e = o.event
        key = o.revision.solution_key if o.solution is not None else None
        keys = tuple(x.key for x in e.observations)
        updates.append(
            RevisionUpdate(
                e.event_id, e.revision, e.day, e.stations, keys, o.state, o.owner, o.generation, o.detail, key
            )
        )
    StateStore(layout.state_db).close()  # creates or migrates to the schema with the network's table
    annotated = []
    for o in report.outcomes:
        if o.solution is not None:
            annotated += _keep_solution(config, layout, o.event, o.solution, o.revision.solution_key, publish)
    with NetworkLedger(layout.state_db) as ledger:
        ledger.record(updates, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        out_days = sorted({o.event.day for o in report.outcomes})
        summaries = tuple(_write_summary(layout, day, ledger, now) for day in out_days)
    return NetworkRun(report, tuple(annotated), tuple(p for p in summaries if p is not None))


def _solutions_dir(layout: StationLayout, day: str) -> Path:
    return layout.data_dir / "events" / day


def _keep_solution(
    config: StationConfig,
    layout: StationLayout,
    event: Event,
    solution: dict[str, Any],
    key: str,
    publish: bool,
) -> list[str]:
    path = _solutions_dir(layout, event.day) / event.event_id / event.revision / "solution.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(solution, sort_keys=True, indent=1) + "\n")
    block = {"event_id": event.event_id, "revision": event.revision, "solution_key": key,
             "stations": list(event.stations), "solved_by": solution.get("solved_by")}  # fmt: skip
    annotated = []
    for o in event.observations:
        if o.station != config.station.id:
            continue
        folder = find_own_record(layout, o.meteor_id)
        if folder is None:
            continue
        record = read_record(folder)
        if record.get("trajectory") == block:
            continue
        record["trajectory"] = block
        atomic_write_text(folder / RECORD_NAME, json.dumps(record, indent=1, allow_nan=False) + "\n")
        annotated.append(o.meteor_id)
        if publish:
            publish_meteors(config, folder.parent.parent.parent.name, record["camera"], [o.meteor_id])
    return annotated


def _write_summary(layout: StationLayout, day: str, ledger: NetworkLedger, now: datetime) -> Path | None:
    """The day's GMN trajectory summary of the current revisions' solutions kept on disk (None: none);
    rewritten only when its rows change (the time stamp alone does not make a new upload)."""
    docs = []
    for row in ledger.revisions(day):
        path = _solutions_dir(layout, day) / row.event_id / row.revision / "solution.json"
        if row.current and row.solution_key is not None:
            try:
                docs.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
    if not docs:
        return None
    out = layout.exports(day) / f"traj_summary_{day.replace('-', '')}.txt"
    text = summary_text(docs, now)
    try:
        if out.read_text().split("\n", 1)[1] == text.split("\n", 1)[1]:
            return out
    except (OSError, IndexError):
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text)
    return out


_EVENT_ID = re.compile(r"(\d{8})_\d{6}_[0-9a-f]{6}")


def is_event_id(text: str) -> bool:
    """Whether ``text`` is an event id (``YYYYMMDD_HHMMSS_<6 hex>``)."""
    return _EVENT_ID.fullmatch(text) is not None


def event_rows(
    config: StationConfig, day: str | None = None, event_id: str | None = None
) -> list[RevisionRow]:
    """The event revisions of ``day`` (or of one event) as the state store holds them (read-only)."""
    layout = StationLayout(config.station.data_dir)
    StateStore(layout.state_db, read_only=True).close()  # refuses a missing store, upgrades an old one
    with NetworkLedger(layout.state_db, read_only=True) as ledger:
        return ledger.revisions(day, event_id)


def solve_one(config: StationConfig, event_id: str, *, cycle: NetworkCycle | None = None) -> NetworkRun:
    """Take one event through the protocol by hand (``stationd solve EVENT``): copy its solution, or claim
    and solve it; :class:`UsageError` for a malformed id, :class:`StationError` when the indexes the
    station holds give no such event."""
    match = _EVENT_ID.fullmatch(event_id)
    if match is None:
        raise UsageError(
            f"{event_id!r} is not an event id (YYYYMMDD_HHMMSS_<6 hex>, see stationd events DAY)"
        )
    day = datetime.strptime(match.group(1), "%Y%m%d").date()
    days = [day.isoformat(), (day + timedelta(days=1)).isoformat()]
    run = run_network(config, days, cycle=cycle, only=lambda e: e.event_id == event_id)
    if not run.report.outcomes:
        raise StationError(
            f"no event {event_id} among the observations of {', '.join(days)} this station and its partners "
            "hold (stationd events DAY lists the events found)"
        )
    return run
