"""A station opened for work: its configuration, state store and stage runner, with crash recovery.

``Station.reprocess`` is what ``stationd reprocess DAY`` does; the daemon uses the same pieces.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stationd.config import StationConfig
from stationd.daemon.owner import owner_alive
from stationd.disk.atomic import remove_temporaries
from stationd.disk.layout import StationLayout
from stationd.disk.records import recover_records
from stationd.disk.state import StateStore
from stationd.disk.views import day_status, station_overview
from stationd.errors import ConfigError, ConfigProblem
from stationd.stages import STAGE_ORDER, Outcome, StageContext, StageRunner


@dataclass
class ReprocessReport:
    day: str
    stages: tuple[str, ...]
    registered: int = 0
    ignored: list[Path] = field(default_factory=list)
    unsettled: list[Path] = field(default_factory=list)
    recovered: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many stage runs ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when no minute failed or was quarantined (the command's exit code 0)."""
        return self.count("failed") == 0 and self.count("quarantined") == 0


def existing_station(config: StationConfig, *, with_state: bool = True) -> StationLayout:
    """The layout of the station at ``station.data_dir``; :class:`ConfigError` (exit 2) naming the key and
    the path when there is no station there (a mistyped path must not look like an empty station): no
    such directory, or (``with_state``) no state store in it."""
    layout = StationLayout(config.station.data_dir)
    if not layout.data_dir.is_dir():
        why = "it is not a directory" if layout.data_dir.exists() else "it does not exist"
    elif with_state and not layout.state_db.is_file():
        why = f"it holds no {layout.state_db.name}: no station has run there"
    else:
        return layout
    expected = f"the data directory of a station ({why}; stationd run or reprocess makes one)"
    raise ConfigError(config.source, [ConfigProblem("station.data_dir", str(layout.data_dir), expected)])


class Station:
    """The station's data directory opened by this process: for work, or ``read_only`` to look at an
    existing station (what ``status`` does: nothing is created or written, and a data directory
    without a station is a :class:`ConfigError`)."""

    def __init__(self, config: StationConfig, *, read_only: bool = False) -> None:
        self.config = config
        self.read_only = read_only
        self.layout = existing_station(config) if read_only else StationLayout(config.station.data_dir)
        try:
            if not read_only:
                self.layout.data_dir.mkdir(parents=True, exist_ok=True)
            self.store = StateStore(self.layout.state_db, read_only=read_only)
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            expected = (
                f"a directory that holds the station's state (cannot open {self.layout.state_db}: {reason})"
            )
            problem = ConfigProblem("station.data_dir", str(self.layout.data_dir), expected)
            raise ConfigError(config.source, [problem]) from None
        self.ctx = StageContext(config=config, store=self.store)
        self.runner = StageRunner(self.ctx)

    def close(self) -> None:
        """Close the state store."""
        self.store.close()

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recover(self, day: str | None = None) -> int:
        """Undo what a crash left: stale claims back to pending, temporary files removed."""
        stale = self.store.recover_stale(owner_alive)
        for minute_id, stage, owner in stale:
            self.ctx.log.warning("recovered stale %s claim of minute %d held by %s", stage, minute_id, owner)
        days = [day] if day else self.store.days()
        for d in days:
            for camera in self.config.cameras:  # first: a record caught between its renames is put back
                recover_records(self.layout.meteors_dir(d, camera.id))
            remove_temporaries(self.layout.days_root() / d, recursive=True)
            remove_temporaries(self.layout.exports(d), recursive=True)
        remove_temporaries(self.layout.quarantine)
        remove_temporaries(self.layout.data_dir)
        return len(stale)

    def reprocess(
        self,
        day: str,
        from_stage: str = STAGE_ORDER[0],
        on_outcome: Callable[[Outcome], None] | None = None,
        settle_s: float = 10.0,
    ) -> ReprocessReport:
        """Run ``from_stage`` and every later stage again for all minutes of ``day``."""
        stages = STAGE_ORDER[STAGE_ORDER.index(from_stage) :]
        report = ReprocessReport(day=day, stages=stages)
        report.recovered = self.recover(day)
        found = self.runner.discover(day=day, settle_s=settle_s)
        report.registered = len(found.registered)
        report.ignored = found.ignored
        report.unsettled = found.unsettled
        self.runner.reset_day(day, stages[:1])
        report.outcomes = self.runner.run_pending(stages, day=day, on_outcome=on_outcome)
        return report

    def pending_count(self, day: str, stages: tuple[str, ...]) -> int:
        """Minutes of ``day`` waiting for any of ``stages`` (for progress displays)."""
        return sum(len(self.store.pending(s, day=day, limit=100_000)) for s in stages)

    def status(self, day: str | None = None) -> dict[str, Any]:
        """What ``stationd status`` shows: the station at a glance with every day's counts, or every minute
        of ``day``."""
        if day is None:
            return station_overview(self.config, self.store, datetime.now(UTC))
        return day_status(self.store, self.config.station.id, day)
