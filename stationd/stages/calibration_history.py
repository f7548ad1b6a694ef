"""A camera's plate solutions over time: ``<data_dir>/calibration/<camera>/`` (DESIGN 3).

::

    calibration/<camera>/platepar_cmn2010.cal        a plate given by the operator (RMS's, or ``stationd
                                                     calibrate FILE... --out``): the start when there is
                                                     no history yet
    calibration/<camera>/history/YYYYMMDD_HHMMSS.cal  every recalibration, named by the UTC time of its
                                                     stars, with its verdict
    calibration/<camera>/latest.cal                  a copy of the newest accepted solution

Each history file is an RMS platepar (RMS tools read it) with its matched stars as ``star_list`` (rows
``jd, x, y, intensity, ra, dec, mag``, as in RMS's ``.cal``) and two keys of ours, which RMS keeps and
ignores: ``stationd_convention`` (the pointing convention) and ``stationd`` (the verdict: ``accepted``,
``jump`` (rejected: the pointing disagrees with the previous solutions), ``moved`` (accepted: several
successive solutions agree on a new pointing), the minute, the fit's figures and the photometric zero
point). Files are written atomically and compactly (one line, at most :data:`MAX_STAR_ROWS` stars); a
rerun of a minute replaces its own file. At dawn, days older than :data:`KEEP_DAYS` are thinned to their
last accepted solution.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from calibration import Platepar, parse_platepar
from calibration.errors import CalibrationError
from stationd.disk.atomic import atomic_write_bytes, atomic_write_text

log = logging.getLogger("stationd.calibrate")

CONVENTION_KEY = "stationd_convention"
INFO_KEY = "stationd"
ACCEPTED = ("accepted", "moved")
MAX_STAR_ROWS = 200
"""Matched stars kept in a history file (the brightest first): enough for the night's lens refit."""
KEEP_DAYS = 30
"""Every solution is kept this long; older days keep their last accepted one (:meth:`prune`)."""
_NAME = "%Y%m%d_%H%M%S"


@dataclass(frozen=True)
class HistoryEntry:
    """One solution of the history: its time, verdict, plate and file."""

    t_utc: datetime
    status: str
    platepar: Platepar
    path: Path
    info: dict[str, Any]

    @property
    def accepted(self) -> bool:
        """Whether the solution may calibrate meteors (``accepted`` or ``moved``)."""
        return self.status in ACCEPTED


@cache
def _read(path: Path, mtime_ns: int) -> HistoryEntry | None:
    """A history file, read again when it changes; None when it cannot be used (logged)."""
    try:
        data = json.loads(path.read_bytes())
        pp = parse_platepar(json.dumps(data), convention=data.get(CONVENTION_KEY, "precessed+nutation"),
                            source=str(path))  # fmt: skip
        info = dict(data.get(INFO_KEY) or {})
        t = datetime.strptime(path.stem, _NAME).replace(tzinfo=UTC)
    except (OSError, ValueError, CalibrationError) as exc:
        log.warning("the history solution %s cannot be used: %s", path, exc)
        return None
    return HistoryEntry(t, str(info.get("status", "accepted")), pp, path, info)


class CalibrationHistory:
    """The solutions of one camera (module docstring); reads only the files near the time asked about."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.history_dir = folder / "history"
        self.latest_path = folder / "latest.cal"

    def path_for(self, t_utc: datetime) -> Path:
        """The history file of a solution of stars seen at ``t_utc``."""
        return self.history_dir / f"{t_utc.astimezone(UTC):{_NAME}}.cal"

    def entries(self, around_utc: datetime, span: timedelta = timedelta(hours=36)) -> list[HistoryEntry]:
        """The solutions within ``span`` of ``around_utc``, oldest first."""
        if not self.history_dir.is_dir():
            return []
        lo, hi = f"{around_utc - span:{_NAME}}.cal", f"{around_utc + span:{_NAME}}.cal"
        out = []
        for path in sorted(self.history_dir.glob("*.cal")):
            if lo <= path.name <= hi:
                try:
                    entry = _read(path, path.stat().st_mtime_ns)
                except FileNotFoundError:
                    continue
                if entry is not None:
                    out.append(entry)
        return out

    def entry_at(self, t_utc: datetime) -> HistoryEntry | None:
        """The solution of stars seen at ``t_utc``, when there is one."""
        path = self.path_for(t_utc)
        try:
            return _read(path, path.stat().st_mtime_ns)
        except FileNotFoundError:
            return None

    def nearest_accepted(self, t_utc: datetime, exclude: Path | None = None) -> HistoryEntry | None:
        """The accepted solution nearest in time to ``t_utc`` (the earlier one on a tie)."""
        accepted = [e for e in self.entries(t_utc) if e.accepted and e.path != exclude]
        if not accepted:
            accepted = [
                e for e in self.entries(t_utc, timedelta(days=400)) if e.accepted and e.path != exclude
            ]
        return min(accepted, key=lambda e: (abs((e.t_utc - t_utc).total_seconds()), e.t_utc), default=None)

    def before(self, t_utc: datetime) -> tuple[list[Platepar], list[Platepar]]:
        """For :func:`calibration.judge_pointing`: the accepted solutions before ``t_utc`` (newest last) and
        the jumps since the last of them."""
        earlier = [e for e in self.entries(t_utc) if e.t_utc < t_utc]
        accepted = [e for e in earlier if e.accepted]
        if not accepted:  # a long gap (cloudy days): the last accepted solution of the year before
            accepted = [e for e in self.entries(t_utc, timedelta(days=400)) if e.accepted and e.t_utc < t_utc]
        last = accepted[-1].t_utc if accepted else None
        jumps = [e.platepar for e in earlier if e.status == "jump" and (last is None or e.t_utc > last)]
        return [e.platepar for e in accepted[-5:]], jumps

    def write(
        self, t_utc: datetime, platepar: Platepar, info: dict[str, Any], stars: list[list[float]]
    ) -> Path:
        """Write a solution (``info`` holds its ``status``); ``latest.cal`` follows the newest accepted."""
        data = platepar.to_dict()
        data["star_list"] = stars[:MAX_STAR_ROWS]
        data[CONVENTION_KEY] = platepar.convention
        data[INFO_KEY] = info
        path = self.path_for(t_utc)
        # Compact: a solution every 10 minutes with its star list would take 6 MB a night indented.
        atomic_write_text(path, json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")
        if info.get("status") in ACCEPTED:
            self._update_latest()
        return path

    def _update_latest(self) -> None:
        """``latest.cal``: a copy of the newest accepted solution (workers may finish out of order)."""
        for path in sorted(self.history_dir.glob("*.cal"), reverse=True):
            entry = _read(path, path.stat().st_mtime_ns)
            if entry is not None and entry.accepted:
                atomic_write_bytes(self.latest_path, path.read_bytes())
                return

    def prune(self, now_utc: datetime, keep_days: int = KEEP_DAYS) -> int:
        """Remove the solutions older than ``keep_days`` except the last accepted one of each UTC day (the
        history of a year stays a few hundred files); returns how many were removed."""
        if not self.history_dir.is_dir():
            return 0
        cutoff = f"{now_utc - timedelta(days=keep_days):{_NAME}}.cal"
        old = [p for p in sorted(self.history_dir.glob("*.cal")) if p.name < cutoff]
        keep: dict[str, Path] = {}
        for path in old:
            entry = _read(path, path.stat().st_mtime_ns)
            if entry is not None and entry.accepted:
                keep[path.name[:8]] = path  # the last accepted one of its day, by name order
        removed = 0
        for path in old:
            if keep.get(path.name[:8]) != path:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
