"""The daemon's network job (issue 15): the network cycle after the night's processing and at an interval.

The scheduler calls the job every minute; it runs the cycle (:func:`stationd.network.run_network`) when

- ``network.interval_min`` has passed since the last run, or
- the night's processing is done: minutes were registered since the last run and none of yesterday's or
  today's (UTC) is pending or running any more, so the night's meteors are all in the index.

The store is probed once, at the job's first run (``sync.probe_create_if_absent``); the clock state is
read at every run. A cycle that fails on the store is logged and tried again at the next interval. When
the daemon is asked to stop, the cycle ends before its next event revision (the partners' indexes, fetched
before the first revision, are not interrupted: each fetch has the store's own retries and timeouts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stationd.config import StationConfig
from stationd.network import NetworkRun, default_days, network_cycle, run_network
from stationd.store_factory import open_store
from sync import ProbeResult, StationKeys, SyncError, probe_create_if_absent

__all__ = ["NetworkJob"]

log = logging.getLogger("stationd.network")


class NetworkJob:
    """Decides when the cycle runs and runs it (the daemon passes itself: its ``station.store``)."""

    def __init__(
        self, config: StationConfig, now_utc: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.config, self.now_utc = config, now_utc
        self.last_run: datetime | None = None
        self._seen_minutes = -1
        self._probe: ProbeResult | None = None
        self.last: NetworkRun | None = None

    def due(self, state: Any) -> bool:
        """Whether the cycle should run now (see the module docstring); ``state`` is the StateStore."""
        now = self.now_utc()
        if self.last_run is None:
            return True
        if (now - self.last_run).total_seconds() >= self.config.network.interval_min * 60:
            return True
        days = default_days(now)
        minutes = sum(len(state.minutes(day=d)) for d in days)
        busy = sum(
            n for d in days for by_status in state.counts(d).values()
            for status, n in by_status.items() if status in ("pending", "running")
        )  # fmt: skip
        return minutes > self._seen_minutes and busy == 0

    def __call__(self, daemon: Any) -> NetworkRun | None:
        """Run the cycle when due (a scheduler job)."""
        if not self.due(daemon.station.store):
            return None
        self._seen_minutes = sum(
            len(daemon.station.store.minutes(day=d)) for d in default_days(self.now_utc())
        )
        self.last_run = self.now_utc()
        try:
            store = open_store(self.config)
            if self._probe is None and self.config.network.mode == "solve":
                self._probe = probe_create_if_absent(
                    store, StationKeys(self.config.station.id).root + "probe"
                )
                p = self._probe
                note = "" if p.ok else " (the station will not claim)"
                log.info("store probe: %d of %d concurrent creates won%s", p.n_winners, p.n_writers, note)
            cycle = network_cycle(self.config, store=store, now_utc=self.now_utc, probe=self._probe or False)
            run = run_network(
                self.config, cycle=cycle, stop=lambda: bool(getattr(daemon, "stop_requested", False))
            )
        except SyncError as exc:
            log.warning("network cycle: the store failed (%s); next try in %.0f min", exc,
                        self.config.network.interval_min)  # fmt: skip
            return None
        r = run.report
        log.info("network cycle: %d event revisions: %d solved here, %d copied, %d failed, %d held by others"
                 "%s", len(r.outcomes), r.count("solved"), r.count("copied"), r.count("failed"),
                 r.count("claimed"), f"; not claiming: {r.refusal}" if r.refusal else "")  # fmt: skip
        self.last = run
        return run
