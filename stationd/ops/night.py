"""The summary of a night: what each camera delivered, what was found, and what processing it took.

After each night the daemon's health monitor logs one summary line and writes the summary as JSON
(``"schema": "stationd.night/1"``) to ``<data_dir>/nights/<night>.json``. A night is named by the UTC date of
its evening: the date of its start (the sun sinking below ``processing.daytime_sun_alt_deg``), as RMS names a
night's folder by the UTC time its capture began. A night that has not ended yet (or one whose summary the
daemon did not write) is counted from the state store on the fly (:func:`night_report`).

Counts per camera, for the minutes that started in the night: minutes (of those expected), minutes with
candidates and the candidates, too-many minutes, verified meteors and fireballs (from the verify results),
failed, quarantined and pending minutes, and ``processing_s``: the durations of the minutes' stage runs
summed (the CPU time the night cost, not its wall time).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from detection.timing import iso_utc, parse_iso_utc
from stationd.config import StationConfig
from stationd.disk.atomic import atomic_write_json
from stationd.disk.layout import StationLayout, parse_day
from stationd.disk.state import StateStore, Status
from stationd.errors import UsageError
from stationd.ops.sun import last_night, sun_altitude_deg
from stationd.stages.results import CandidatesStageResult, VerifyStageResult, read_result

SCHEMA = "stationd.night/1"


@dataclass
class CameraNight:
    minutes: int = 0
    expected: int = 0
    with_candidates: int = 0
    candidates: int = 0
    too_many: int = 0
    meteors: int = 0
    fireballs: int = 0
    failed: int = 0
    quarantined: int = 0
    pending: int = 0
    processing_s: float = 0.0

    def add(self, other: CameraNight) -> None:
        """Add ``other``'s counts to these (the night's totals over its cameras)."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class NightSummary:
    start_utc: datetime
    end_utc: datetime  # the dawn that ends the night (still to come when it is not finished)
    cameras: dict[str, CameraNight] = field(default_factory=dict)
    finished: bool = True
    until_utc: datetime | None = None  # counted up to here: the end, or now for a night still going on
    path: Path | None = None  # the summary file it was read from (None: counted from the state store)

    @property
    def night(self) -> str:
        """The night's name: the UTC date of its evening (``YYYY-MM-DD``)."""
        return night_name(self.start_utc)

    @property
    def totals(self) -> CameraNight:
        """Every camera's counts added up."""
        total = CameraNight()
        for c in self.cameras.values():
            total.add(c)
        return total

    def to_dict(self) -> dict[str, Any]:
        """The ``stationd.night/1`` JSON (also ``status.json``'s ``last_night``)."""
        return {
            "schema": SCHEMA,
            "night": self.night,
            "start_utc": iso_utc(self.start_utc),
            "end_utc": iso_utc(self.end_utc),
            "until_utc": iso_utc(self.until_utc or self.end_utc),
            "finished": self.finished,
            "totals": _rounded(asdict(self.totals)),
            "cameras": {k: _rounded(asdict(v)) for k, v in self.cameras.items()},
        }

    def view(self) -> dict[str, Any]:
        """What ``stationd night --json`` prints: :meth:`to_dict` and ``summary_file``, the file it was read
        from (null: counted from the state store just now)."""
        return {**self.to_dict(), "summary_file": str(self.path) if self.path is not None else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> NightSummary:
        """Read a summary file's JSON (``ValueError``/``KeyError`` when it is not one)."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} summary: schema {data.get('schema')!r}")
        known = {f.name for f in fields(CameraNight)}
        cameras = {
            cam: CameraNight(**{k: v for k, v in counts.items() if k in known})
            for cam, counts in data["cameras"].items()
        }
        until = data.get("until_utc")
        return cls(
            parse_iso_utc(data["start_utc"]), parse_iso_utc(data["end_utc"]), cameras,
            bool(data.get("finished", True)), parse_iso_utc(until) if until else None, path,
        )  # fmt: skip

    def line(self) -> str:
        """The summary as one log line, every camera in it, so a morning ``grep night`` tells the story."""
        hours = (self.end_utc - self.start_utc).total_seconds() / 3600
        head = f"night {self.start_utc:%Y-%m-%d %H:%M} - {self.end_utc:%H:%M} UTC ({hours:.1f} h)"
        parts = [
            f"{cam}: {c.minutes}/{c.expected} minutes, {c.with_candidates} with candidates ({c.candidates} "
            f"candidates), {c.too_many} too-many, {c.meteors} meteors ({c.fireballs} fireballs), "
            f"{c.failed} failed, {c.quarantined} quarantined, {c.pending} pending, "
            f"processing {c.processing_s:.0f} s"
            for cam, c in self.cameras.items()
        ]
        return head + ": " + "; ".join(parts)


def _rounded(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in counts.items()}


def night_name(start_utc: datetime) -> str:
    """The name of the night starting at ``start_utc``: the UTC date of its evening."""
    return start_utc.astimezone(UTC).strftime("%Y-%m-%d")


def summarize_night(
    store: StateStore,
    cameras: tuple[str, ...],
    start_utc: datetime,
    end_utc: datetime,
    until_utc: datetime | None = None,
) -> NightSummary:
    """Counts from the state store for the minutes that started in [start_utc, end_utc), or in
    [start_utc, until_utc) for a night still going on (then it is not ``finished``)."""
    until = end_utc if until_utc is None else min(until_utc, end_utc)
    summary = NightSummary(start_utc, end_utc, finished=until >= end_utc, until_utc=until)
    expected = max(0, int((until - start_utc).total_seconds() // 60))
    for cam in cameras:
        summary.cameras[cam] = CameraNight(expected=expected)
    days = sorted({(start_utc + timedelta(days=i)).astimezone(UTC).strftime("%Y-%m-%d") for i in (0, 1)})
    for day in days:
        runs = store.runs_of_day(day)
        for m in store.minutes(day=day):
            if m.camera not in summary.cameras or not start_utc <= m.start_utc < until:
                continue
            c = summary.cameras[m.camera]
            c.minutes += 1
            stages = runs.get(m.id, {})
            statuses = {r.status for r in stages.values()}
            c.failed += Status.FAILED in statuses
            c.quarantined += Status.QUARANTINED in statuses
            c.pending += bool(statuses & {Status.PENDING, Status.RUNNING})
            c.processing_s += sum(r.duration_s or 0.0 for r in stages.values())
            found = read_result(stages, CandidatesStageResult)
            if found is not None and found.status == "candidates":
                c.with_candidates += 1
                c.candidates += len(found.candidates)
            elif found is not None and found.status == "too-many":
                c.too_many += 1
            verified = read_result(stages, VerifyStageResult)
            if verified is not None and stages["verify"].status == Status.DONE:
                c.meteors += len(verified.meteors)
                c.fireballs += len(verified.fireballs)
    return summary


def write_night_summary(layout: StationLayout, summary: NightSummary) -> Path:
    """Write ``nights/<night>.json`` (atomic); returns its path."""
    path = layout.night_summary(summary.night)
    atomic_write_json(path, summary.to_dict())
    return path


def read_night_summary(layout: StationLayout, night: str) -> NightSummary | None:
    """The summary the daemon wrote for ``night``, or None when there is none (or it is unreadable)."""
    path = layout.night_summary(night)
    try:
        return NightSummary.from_dict(json.loads(path.read_text(encoding="utf-8")), path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def night_bounds(
    day: date,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float = 0.0,
    sun_alt_limit_deg: float = -6.0,
    step_s: float = 300.0,
) -> tuple[datetime, datetime] | None:
    """Start and end (UTC) of the night named ``day``: the first dusk on that UTC date and the dawn after it
    (searched until two days later), each good to ``step_s``; None when no night begins that day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    grid = [start + timedelta(seconds=step_s * i) for i in range(int(2 * 86400 / step_s) + 1)]
    is_day = sun_altitude_deg(grid, lat_deg, lon_deg, elevation_m) > sun_alt_limit_deg
    dusks = [int(i) + 1 for i in np.flatnonzero(is_day[:-1] & ~is_day[1:]) if grid[int(i) + 1].date() == day]
    if not dusks:
        return None
    dawns = np.flatnonzero(is_day[dusks[0] :])
    if dawns.size == 0:
        return None  # a night of more than two days: nothing this summary can count
    return grid[dusks[0]], grid[dusks[0] + int(dawns[0])]


@dataclass(frozen=True)
class NightSpan:
    """A night of the station by name and bounds; ``until_utc`` is its end, or now while it goes on."""

    night: str
    start_utc: datetime
    end_utc: datetime
    until_utc: datetime

    @property
    def finished(self) -> bool:
        """Whether the night has ended."""
        return self.until_utc >= self.end_utc


def find_night(config: StationConfig, night: str | None = None, now_utc: datetime | None = None) -> NightSpan:
    """The night named ``night`` (``YYYY-MM-DD`` or ``YYYY_MM_DD``), by default the last finished one, at the
    station; :class:`UsageError` when there is no such night (polar day, or one still to come)."""
    now = (now_utc or datetime.now(UTC)).astimezone(UTC)
    s, limit = config.station, config.processing.daytime_sun_alt_deg
    if night is None:
        bounds = last_night(now, s.latitude_deg, s.longitude_deg, s.elevation_m, limit)
        if bounds is None:
            raise UsageError("no night ended at the station in the last 36 hours: name one (DAY)")
        return NightSpan(night_name(bounds[0]), bounds[0], bounds[1], bounds[1])
    day = parse_day(night)
    found = night_bounds(day, s.latitude_deg, s.longitude_deg, s.elevation_m, limit)
    if found is None:
        raise UsageError(f"no night begins on {day} at the station (the sun stays above {limit} deg)")
    if found[0] > now:
        raise UsageError(f"the night of {day} has not begun (it begins at {iso_utc(found[0])})")
    return NightSpan(day.isoformat(), found[0], found[1], min(now, found[1]))


def night_report(
    config: StationConfig, store: StateStore, night: str | None = None, now_utc: datetime | None = None
) -> NightSummary:
    """What ``stationd night [DAY]`` shows: the summary the daemon wrote for the night named ``night``
    (default: the last finished night), else one counted from the state store now, which says whether the
    night is finished. :class:`UsageError` when no such night exists at the station."""
    layout = StationLayout(config.station.data_dir)
    cameras = tuple(c.id for c in config.cameras)
    if night is not None:
        written = read_night_summary(layout, parse_day(night).isoformat())
        if written is not None:
            return _current(written, store, cameras)
    span = find_night(config, night, now_utc)
    written = read_night_summary(layout, span.night)
    if written is not None:
        return _current(written, store, cameras)
    return summarize_night(store, cameras, span.start_utc, span.end_utc, until_utc=span.until_utc)


def _current(written: NightSummary, store: StateStore, cameras: tuple[str, ...]) -> NightSummary:
    """The summary written at dawn, or counted again when work was still pending then (a backlog, or a
    reprocess since): the meteors verified after dawn belong to the night too."""
    if written.totals.pending == 0:
        return written
    now = summarize_night(store, cameras, written.start_utc, written.end_utc)
    counts = ("minutes", "with_candidates", "candidates", "meteors", "fireballs", "failed", "quarantined")
    same = all(
        [getattr(now.cameras[c], k) for k in counts] == [getattr(w, k) for k in counts]
        for c, w in written.cameras.items()
        if c in now.cameras
    )
    return written if same else now
