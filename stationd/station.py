"""A station opened for work: its configuration, state store and stage runner, with crash recovery.

``Station.reprocess`` is what ``stationd reprocess DAY`` does and ``Station.retry`` what ``stationd retry``
does; the daemon uses the same pieces.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stationd.config import StationConfig
from stationd.daemon.owner import owner_alive
from stationd.disk.atomic import atomic_move, remove_temporaries
from stationd.disk.layout import StationLayout, parse_day
from stationd.disk.records import recover_records
from stationd.disk.state import Minute, StateStore, Status
from stationd.disk.views import day_status, station_overview
from stationd.errors import ConfigError, ConfigProblem, UsageError
from stationd.stages import STAGE_ORDER, Outcome, StageContext, StageRunner


@dataclass
class ReprocessReport:
    day: str
    stages: tuple[str, ...]
    registered: int = 0
    ignored: list[Path] = field(default_factory=list)
    unsettled: list[Path] = field(default_factory=list)  # still being written when the wait ended
    recording: list[Path] = field(default_factory=list)  # appeared while waiting (a camera recording now)
    recovered: int = 0
    requeued: int = 0  # quarantined minutes whose file was back in incoming/
    waited_s: float = 0.0  # for young files to settle
    minutes: int = 0  # minutes of the day the station knows (0: no data that day)
    looked_in: list[Path] = field(default_factory=list)  # where minutes of the day were looked for
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many stage runs ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when no minute failed, was quarantined or was skipped unsettled (the exit code 0)."""
        return self.count("failed") == 0 and self.count("quarantined") == 0 and not self.unsettled


@dataclass
class RetryReport:
    target: str  # the file name or day asked for
    minutes: list[Minute] = field(default_factory=list)  # the quarantined minutes found
    moved: list[tuple[Path, Path]] = field(default_factory=list)  # quarantine/ -> incoming/
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # minutes that could not be put back, and why
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many stage runs ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when every minute was put back and went through without failing again (exit code 0)."""
        return not self.problems and self.count("failed") == 0 and self.count("quarantined") == 0


WaitCallback = Callable[[list[Path], float, float], None]
"""Told while ``reprocess`` waits: the files still young, seconds until the last settles, seconds left."""

_DAY_ARGUMENT = re.compile(r"^\d{4}[-_]\d{2}[-_]\d{2}$")


class _NotRetried(Exception):
    """A quarantined minute that cannot be put back (its file is missing, its camera gone)."""


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

    def recover_claims(self) -> list[tuple[int, str, str]]:
        """Put claims whose owner process is gone back to pending (the daemon does it at every sweep)."""
        stale = self.store.recover_stale(owner_alive)
        for minute_id, stage, owner in stale:
            self.ctx.log.warning("recovered stale %s claim of minute %d held by %s", stage, minute_id, owner)
        return stale

    def recover(self, day: str | None = None) -> int:
        """Undo what a crash left: stale claims back to pending, temporary files removed."""
        stale = self.recover_claims()
        days = [day] if day else self.store.days()
        for d in days:
            # First: a record caught between its renames is put back, for every camera folder on disk
            # (a camera taken out of the configuration keeps its records).
            for meteors in sorted((self.layout.days_root() / d).glob("*/meteors")):
                recover_records(meteors)
            remove_temporaries(self.layout.days_root() / d, recursive=True)
            remove_temporaries(self.layout.exports(d), recursive=True)
        for folder in ("quarantine", "nights", "sky", "logs"):
            remove_temporaries(self.layout.data_dir / folder)
        remove_temporaries(self.layout.data_dir)
        if self.config.storage.backend == "local":  # a LocalStore put cut short by the crash
            store_dir = self.config.storage.store_settings(self.layout.data_dir).path
            if store_dir is not None:
                remove_temporaries(store_dir, recursive=True)
        return len(stale)

    def reprocess(
        self,
        day: str,
        from_stage: str = STAGE_ORDER[0],
        on_outcome: Callable[[Outcome], None] | None = None,
        settle_s: float = 10.0,
        wait_s: float = 120.0,
        on_wait: WaitCallback | None = None,
    ) -> ReprocessReport:
        """Run ``from_stage`` and every later stage again for all minutes of ``day``.

        Files of the day younger than ``settle_s`` (just copied in) are waited for, up to ``wait_s``;
        those still changing then are listed in ``unsettled`` (not processed, and not ok).
        """
        stages = STAGE_ORDER[STAGE_ORDER.index(from_stage) :]
        report = ReprocessReport(day=day, stages=stages)
        report.recovered = self.recover(day)
        t0 = time.monotonic()
        found = self.runner.discover(day=day, settle_s=settle_s)
        registered, requeued = list(found.registered), list(found.requeued)
        # Wait for the files that were young when the command started (just copied in); a camera still
        # recording the current night keeps writing new ones, which must not make reprocess wait forever.
        waiting = set(found.unsettled)
        while (young := [p for p in found.unsettled if p in waiting]) and (
            left_s := t0 + wait_s - time.monotonic()
        ) > 0:
            settles_in_s = max(0.0, settle_s - min(_age_s(p) for p in young))
            if on_wait is not None:
                on_wait(young, settles_in_s, left_s)
            time.sleep(min(0.5, left_s, max(0.05, settles_in_s)))
            found = self.runner.discover(day=day, settle_s=settle_s)
            registered += found.registered
            requeued += found.requeued
        report.waited_s = time.monotonic() - t0
        report.registered = len(registered)
        report.requeued = len(requeued)
        report.ignored = found.ignored
        report.unsettled = [p for p in found.unsettled if p in waiting]
        report.recording = [p for p in found.unsettled if p not in waiting]
        report.minutes = len(self.store.minutes(day=day))
        report.looked_in = [c.incoming_sd for c in self.config.cameras]
        report.looked_in += [self.layout.video(day, c.id) for c in self.config.cameras]
        self.runner.reset_day(day, stages[:1])
        report.outcomes = self.runner.run_pending(stages, day=day, on_outcome=on_outcome)
        return report

    def retry(self, target: str, on_outcome: Callable[[Outcome], None] | None = None) -> RetryReport:
        """Put quarantined minutes back and process them again from scan: ``target`` is a quarantined
        file's name or path, or a day (``YYYY-MM-DD``: every quarantined minute of that day).

        Each file moves from quarantine/ into its camera's incoming folder, its ``.reason`` file goes, and
        its stage runs start again. Raises :class:`UsageError` for a file that is not a quarantined minute.
        """
        report = RetryReport(target=target)
        self.recover_claims()
        report.minutes = self._quarantined_minutes(target)
        ids = []
        for minute in report.minutes:
            try:
                self._put_back(minute, report)
            except (_NotRetried, OSError) as exc:
                report.problems.append(f"{minute.name}: {exc}")
                continue
            ids.append(minute.id)
        report.outcomes = self.runner.run_minutes(ids, on_outcome=on_outcome)
        return report

    def _is_quarantined(self, minute: Minute) -> bool:
        runs = self.store.runs(minute.id).values()
        return minute.path.parent == self.layout.quarantine or any(
            r.status is Status.QUARANTINED for r in runs
        )

    def _quarantined_minutes(self, target: str) -> list[Minute]:
        if _DAY_ARGUMENT.match(target):
            return self.store.quarantined(parse_day(target).isoformat())
        name = Path(target).name
        known = self.store.minutes_named(name)
        found = [m for m in known if self._is_quarantined(m)]
        if found:
            return found
        if known:
            runs = self.store.runs(known[0].id)
            state = ", ".join(f"{s}: {r.status.value}" for s, r in runs.items())
            raise UsageError(
                f"{name} is not quarantined ({state}); `stationd reprocess {known[0].day}` runs it again"
            )
        raise UsageError(
            f"{name} is not a minute this station knows; quarantined files are in {self.layout.quarantine}"
        )

    def _put_back(self, minute: Minute, report: RetryReport) -> None:
        """Move a quarantined original back into incoming/, drop its reason, start its stages again."""
        try:
            camera = self.config.camera(minute.camera)
        except KeyError:
            raise _NotRetried(f"camera {minute.camera} is not configured any more") from None
        in_quarantine = minute.path.parent == self.layout.quarantine
        source = minute.path if in_quarantine else self.layout.quarantine / minute.name
        reason = source.with_name(source.name + ".reason")
        target = camera.incoming_sd / minute.name
        if source.exists() and target.exists():
            report.notes.append(f"{target} is newer than the quarantined file: it is taken, {source} stays")
        elif source.exists():
            atomic_move(source, target)
            report.moved.append((source, target))
            reason.unlink(missing_ok=True)
        elif not target.exists():
            raise _NotRetried(f"the file is neither in {source.parent} nor in {target.parent}")
        else:
            reason.unlink(missing_ok=True)  # put back by hand already
        # False when the daemon heard the file come back and requeued it first: it is pending all the same
        self.store.requeue_quarantined(minute.id, target, self.layout.quarantine)

    def pending_count(self, day: str, stages: tuple[str, ...]) -> int:
        """Minutes of ``day`` waiting for any of ``stages`` (for progress displays)."""
        return sum(len(self.store.pending(s, day=day, limit=100_000)) for s in stages)

    def status(self, day: str | None = None) -> dict[str, Any]:
        """What ``stationd status`` shows: the station at a glance with every day's counts, or every minute
        of ``day``."""
        if day is None:
            return station_overview(self.config, self.store, datetime.now(UTC))
        return day_status(self.store, self.config.station.id, day)


def _age_s(path: Path) -> float:
    """Seconds since the file last changed (a file gone meanwhile counts as settled)."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return float("inf")
