"""Station health: conditions an operator must hear about, checked periodically by the daemon.

Checks (thresholds in the ``health`` section of the configuration):

===================  ===========================================================================  ========
key                  condition                                                                     severity
===================  ===========================================================================  ========
``no-video:<cam>``   no new minute file from the camera for ``no_video_min`` minutes, at night     error
``ignored:<cam>``    the camera's incoming folder has held video files for ``no_video_min``        error
                     minutes, none of them named by the camera's pattern, and no minute of the
                     camera arrived meanwhile: the station would look healthy while ignoring all
``candidates:<cam>`` more than ``max_candidates_per_hour`` candidates in the last hour             warning
``failures``         ``max_failures_per_hour`` or more failed stage runs in the last hour          error
``backlog``          ``backlog_min`` or more pending stage runs, and more than ``backlog_window_min``
                     minutes ago                                                                   warning
``disk``             free space under ``retention.min_free_gb``, or retention could not free enough  error
``clock``            the kernel says the clock is not synchronised (``adjtimex``: ``STA_UNSYNC``)  warning
``upload``           uploads have failed for ``upload_failing_min`` minutes (no success since)     error
``camera-moved:``    the calibrate stage confirmed a new pointing of the camera within the last    warning
``<cam>``            ``CALIBRATION_WINDOW`` (a jump that several successive solutions agree on)
``calibration:``     in the last ``CALIBRATION_WINDOW`` at least ``CALIBRATION_FAILURES`` of the  error
``<cam>``            camera's recalibrations failed with a clear sky (enough stars, no match) and
                     none succeeded
(hooks)              whatever extra checks return (calibration health, later stages)
===================  ===========================================================================  ========

Each alert is logged once when raised and once when cleared (also across restarts: the active alerts are
read back from ``status.json``), written to ``<data_dir>/status.json`` (atomic) and handed to the
:class:`~stationd.ops.alerts.Notifier`. At dawn the monitor logs the summary line of the night that ended and
writes it to ``<data_dir>/nights/<night>.json`` (:mod:`stationd.ops.night`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from detection.timing import iso_utc, parse_iso_utc
from stationd.config import CameraSection, StationConfig
from stationd.disk.atomic import TMP_PREFIX, atomic_write_json
from stationd.disk.discover import VIDEO_SUFFIXES, minute_of
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute, StageRun, StateStore, Status
from stationd.ops.alerts import Alert, AlertEvent, Notifier
from stationd.ops.logs import log_event
from stationd.ops.night import night_name, summarize_night, write_night_summary
from stationd.ops.retention import GB, RetentionReport
from stationd.ops.sun import is_daytime_for, last_night
from stationd.publish.outbox import open_outbox
from stationd.stages.results import CalibrateStageResult, CandidatesStageResult, read_result
from stationd.text import plural

STATUS_FILE = "status.json"
STATUS_SCHEMA = "stationd.status/1"

CALIBRATION_WINDOW = timedelta(hours=3)
"""How far back the calibration alerts look."""
CALIBRATION_FAILURES = 6
"""Failed recalibrations with a clear sky (and none solved) in the window that mean an alert."""

HealthCheck = Callable[[datetime], Iterable[Alert]]
"""An extra check (calibration health, later stages): the alerts that hold at the given time."""


@dataclass(frozen=True)
class ClockState:
    synced: bool | None  # None: unknown (no adjtimex here)
    max_error_us: int | None = None
    source: str = "adjtimex"


_STA_UNSYNC = 0x0040


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    """``struct timex`` of <sys/timex.h> (glibc, LP64 and ILP32), with room to spare at the end."""

    _fields_ = [
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
        ("time", _Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int), ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int), ("_reserved", ctypes.c_int * 32),
    ]  # fmt: skip


def kernel_clock_state() -> ClockState:
    """Read-only ``adjtimex`` (modes=0): the kernel's NTP state, what chrony and timesyncd maintain.

    The clock counts as synchronised when ``STA_UNSYNC`` is clear (the test timedatectl's
    ``NTPSynchronized`` makes).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return ClockState(None, source="unavailable")
    if state < 0:
        return ClockState(None, source=f"adjtimex failed: {os.strerror(ctypes.get_errno())}")
    return ClockState(not (tx.status & _STA_UNSYNC), int(tx.maxerror))


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """The last status file the daemon wrote (plain data), or None when there is none."""
    try:
        data = json.loads((data_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def active_alerts(data_dir: Path) -> list[dict[str, Any]]:
    """The active alerts of the status file, for ``stationd status``: dicts of :meth:`Alert.to_dict`."""
    status = read_status(data_dir) or {}
    alerts = status.get("alerts", [])
    return [a for a in alerts if isinstance(a, dict)] if isinstance(alerts, list) else []


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


class HealthMonitor:
    """Evaluates the health checks; one instance lives as long as the daemon."""

    def __init__(
        self,
        config: StationConfig,
        store: StateStore,
        log: logging.Logger | None = None,
        *,
        notifier: Notifier | None = None,
        clock_state: Callable[[], ClockState] = kernel_clock_state,
        disk_free: Callable[[Path], int] = _free_bytes,
        daytime: Callable[[datetime], bool] | None = None,
        extra_checks: Sequence[HealthCheck] = (),
        started_utc: datetime | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.log = log or logging.getLogger("stationd.ops.health")
        self.layout = StationLayout(config.station.data_dir)
        self.notifier = notifier or Notifier(config.alerts, config.station.id, log=self.log)
        self.clock_state = clock_state
        self.disk_free = disk_free
        self.daytime = daytime or (lambda t: is_daytime_for(config, t))
        self.extra_checks = list(extra_checks)
        self.at_dawn: list[Callable[[datetime, datetime], object]] = []  # called with the night's bounds
        self.started_utc = started_utc
        self._backlog: deque[tuple[datetime, int]] = deque()
        self._retention: RetentionReport | None = None
        self._was_day: bool | None = None
        previous = read_status(self.layout.data_dir) or {}
        self._active = {a["key"]: Alert.from_dict(a) for a in previous.get("alerts", []) if "key" in a}
        night = previous.get("last_night")
        self._last_night: dict[str, Any] | None = night if isinstance(night, dict) else None
        self._last_night_end: str | None = (self._last_night or {}).get("end_utc")

    def add_check(self, check: HealthCheck) -> None:
        """Register an extra check (e.g. calibration health)."""
        self.extra_checks.append(check)

    def note_retention(self, report: RetentionReport) -> None:
        """The latest retention run: a quota it could not meet is a ``disk`` alert."""
        self._retention = report

    # -- the checks ----------------------------------------------------------------------------------

    def check(self, now_utc: datetime) -> list[Alert]:
        """Evaluate every check at ``now_utc``; log, record and notify changes; return the active alerts."""
        now_utc = now_utc.astimezone(UTC)
        if self.started_utc is None:
            self.started_utc = now_utc
        day = self.daytime(now_utc)
        found: list[Alert] = []
        for name, check in self._checks(day):
            try:
                found.extend(check(now_utc))
            except Exception as exc:  # a broken check must not stop the others (or the daemon)
                self.log.exception("health: check %s failed: %s", name, exc)
        events = self._transitions({a.key: a for a in found}, now_utc)
        for event in events:
            level = logging.INFO if event.state == "cleared" else _LEVELS[event.alert.severity]
            log_event(
                self.log, "alert " + event.line(), level=level, alert=event.alert.key, state=event.state
            )
        if events:
            self.notifier.notify(events, iso_utc(now_utc))
        self._night_summary(now_utc, day)
        self._write_status(now_utc, day)
        return list(self._active.values())

    def _checks(self, day: bool) -> list[tuple[str, HealthCheck]]:
        checks: list[tuple[str, HealthCheck]] = [
            ("video", lambda t: self._no_video(t, day)),
            ("ignored", self._ignored),
            ("candidates", self._candidates),
            ("failures", self._failures),
            ("backlog", self._backlog_growth),
            ("disk", self._disk),
            ("calibration", self._calibration),
        ]
        if self.config.health.check_clock:
            checks.append(("clock", self._clock))
        checks.append(("uploads", self._uploads))
        checks += [(getattr(c, "__name__", "hook"), c) for c in self.extra_checks]
        return checks

    def _recent(self, now: datetime, span: timedelta) -> list[tuple[Minute, dict[str, StageRun]]]:
        """Minutes that started within ``span`` before ``now`` with their stage runs."""
        out = []
        for day in sorted({(now - span).strftime("%Y-%m-%d"), now.strftime("%Y-%m-%d")}):
            runs = self.store.runs_of_day(day)
            out += [
                (m, runs.get(m.id, {}))
                for m in self.store.minutes(day=day)
                if now - span <= m.start_utc <= now
            ]
        return out

    def _no_video(self, now: datetime, day: bool) -> list[Alert]:
        span = timedelta(minutes=self.config.health.no_video_min)
        if day or self.daytime(now - span):
            return []  # only at night, and only once the night is older than the span
        recent = self._recent(now, timedelta(hours=24))
        alerts = []
        for cam in self.config.cameras:
            last = max((m.start_utc for m, _ in recent if m.camera == cam.id), default=None)
            newest = _newest_mtime(cam.incoming_sd)
            seen = max((t for t in (last, newest) if t is not None), default=None)
            floor = max(t for t in (seen, self.started_utc) if t is not None)
            if now - floor > span:
                ago_min = (now - floor).total_seconds() / 60
                text = f"no new video from {cam.id} for {ago_min:.0f} min" + (
                    f" (last minute {iso_utc(seen)})" if seen else " (none since the daemon started)"
                )
                details = {"camera": cam.id, "last_utc": iso_utc(seen) if seen else None}
                alerts.append(Alert(f"no-video:{cam.id}", "no-video", "error", text, details=details))
        return alerts

    def _ignored(self, now: datetime) -> list[Alert]:
        span = timedelta(minutes=self.config.health.no_video_min)
        arrived = {m.camera for m, _ in self._recent(now, span)}
        alerts = []
        for i, cam in enumerate(self.config.cameras):
            ignored = _ignored_videos(cam)
            if not ignored or cam.id in arrived:
                continue
            oldest = min(t for _, t in ignored)
            if now - oldest <= span:
                continue
            name = min(ignored, key=lambda item: item[1])[0]
            text = (
                f"{plural(len(ignored), 'video file')} in {cam.incoming_sd} "
                f"{'is' if len(ignored) == 1 else 'are'} ignored: their names do not match "
                f"the pattern of camera {cam.id} ({cam.filename_pattern}), e.g. {name}; "
                f"check cameras[{i}].id and cameras[{i}].filename_pattern"
            )
            details = {
                "camera": cam.id,
                "ignored": len(ignored),
                "example": name,
                "oldest_utc": iso_utc(oldest),
            }
            alerts.append(Alert(f"ignored:{cam.id}", "ignored", "error", text, details=details))
        return alerts

    def _candidates(self, now: datetime) -> list[Alert]:
        limit = self.config.health.max_candidates_per_hour
        per_cam: dict[str, int] = {}
        for m, runs in self._recent(now, timedelta(hours=1)):
            found = read_result(runs, CandidatesStageResult)
            per_cam[m.camera] = per_cam.get(m.camera, 0) + (len(found.candidates) if found else 0)
        return [
            Alert(f"candidates:{cam}", "candidates", "warning",
                  f"{n} candidates from {cam} in the last hour (limit {limit}): rain, insects or lights?",
                  details={"camera": cam, "candidates_per_hour": n})
            for cam, n in sorted(per_cam.items()) if n > limit
        ]  # fmt: skip

    def _calibration(self, now: datetime) -> list[Alert]:
        per_cam: dict[str, list[tuple[Minute, CalibrateStageResult]]] = {}
        for m, runs in self._recent(now, CALIBRATION_WINDOW):
            result = read_result(runs, CalibrateStageResult)
            if result is not None and result.status in ("accepted", "moved", "jump", "failed"):
                per_cam.setdefault(m.camera, []).append((m, result))
        return [a for cam, results in sorted(per_cam.items()) for a in _calibration_alerts(cam, results)]

    def _failures(self, now: datetime) -> list[Alert]:
        since = iso_utc(now - timedelta(hours=1))
        failed = [
            (m, r) for m, runs in self._recent(now, timedelta(hours=25)) for r in runs.values()
            if r.status == Status.FAILED and (r.finished_utc or "") >= since
        ]  # fmt: skip
        limit = self.config.health.max_failures_per_hour
        if len(failed) < limit:
            return []
        m, r = failed[-1]
        text = f"{len(failed)} failed stage runs in the last hour; last: {r.stage} {m.name}: {r.error}"
        return [Alert("failures", "failures", "error", text, details={"failed_per_hour": len(failed)})]

    def _backlog_growth(self, now: datetime) -> list[Alert]:
        pending = sum(by.get(Status.PENDING.value, 0) for by in self.store.counts().values())
        window = timedelta(minutes=self.config.health.backlog_window_min)
        self._backlog.append((now, pending))
        while len(self._backlog) > 1 and self._backlog[1][0] <= now - window:
            self._backlog.popleft()
        t0, then = self._backlog[0]
        if pending < self.config.health.backlog_min or t0 > now - window or pending <= then:
            return []
        text = (
            f"backlog of {pending} pending stage runs, {then} at {iso_utc(t0)}: the station is falling behind"
        )
        return [
            Alert("backlog", "backlog", "warning", text, details={"pending": pending, "pending_before": then})
        ]

    def _disk(self, now: datetime) -> list[Alert]:
        free = self.disk_free(self.layout.data_dir)
        floor = int(self.config.retention.min_free_gb * GB)
        short = self._retention.short_bytes if self._retention is not None else 0
        if free >= floor and short == 0:
            return []
        text = f"low disk: {free / GB:.2f} GB free (floor {floor / GB:.2f} GB)"
        if short:
            text += f"; retention is {short / GB:.2f} GB short with only protected files left"
        return [Alert("disk", "disk", "error", text, details={"free_bytes": free, "short_bytes": short})]

    def _clock(self, now: datetime) -> list[Alert]:
        state = self.clock_state()
        if state.synced is not False:
            return []
        err = f" (max error {state.max_error_us / 1e6:.1f} s)" if state.max_error_us is not None else ""
        text = f"the system clock is not synchronised{err}: check chrony or systemd-timesyncd"
        return [Alert("clock", "clock", "warning", text, details={"max_error_us": state.max_error_us})]

    def _uploads(self, now: datetime) -> list[Alert]:
        if not self.layout.state_db.is_file():
            return []
        with open_outbox(self.config, read_only=True) as outbox:
            meta = outbox.meta()
        return upload_alerts(meta, now, self.config.health.upload_failing_min)

    # -- bookkeeping ---------------------------------------------------------------------------------

    def _transitions(self, current: dict[str, Alert], now: datetime) -> list[AlertEvent]:
        events: list[AlertEvent] = []
        stamp = iso_utc(now)
        for key, alert in current.items():
            old = self._active.get(key)
            since = old.since_utc if old is not None else stamp
            current[key] = Alert(alert.key, alert.kind, alert.severity, alert.message, since, alert.details)
            if old is None:
                events.append(AlertEvent(current[key], "raised", stamp))
        events += [
            AlertEvent(old, "cleared", stamp) for key, old in self._active.items() if key not in current
        ]
        self._active = current
        return events

    def _night_summary(self, now: datetime, day: bool) -> None:
        """At dawn, log the night's summary and write ``nights/<night>.json``; a daemon whose first check
        comes by day writes that of the night whose dawn it missed (restarted in the morning), if it has
        minutes and no summary yet."""
        was_day, self._was_day = self._was_day, day
        if not day or was_day is True:
            return
        s = self.config.station
        bounds = last_night(now, s.latitude_deg, s.longitude_deg, s.elevation_m,
                            self.config.processing.daytime_sun_alt_deg)  # fmt: skip
        if bounds is None or iso_utc(bounds[1]) == self._last_night_end:
            return
        if was_day is None and self.layout.night_summary(night_name(bounds[0])).exists():
            return
        summary = summarize_night(self.store, tuple(c.id for c in self.config.cameras), *bounds)
        if was_day is None and summary.totals.minutes == 0:
            return
        log_event(self.log, summary.line(), kind="night-summary")
        self._last_night_end = iso_utc(bounds[1])
        self._last_night = summary.to_dict()
        try:
            write_night_summary(self.layout, summary)
        except OSError as exc:  # a full disk must not stop the checks; the line above was logged
            self.log.warning("health: could not write the night summary: %s", exc)
        for hook in self.at_dawn:  # the night's lens refit (stationd.stages.night_refit)
            try:
                hook(*bounds)
            except Exception as exc:  # a broken hook must not stop the checks
                self.log.exception("health: the dawn hook %s failed: %s", hook, exc)

    def _write_status(self, now: datetime, day: bool) -> None:
        status = {
            "schema": STATUS_SCHEMA,
            "station": self.config.station.id,
            "updated_utc": iso_utc(now),
            "daytime": day,
            "alerts": [a.to_dict() for a in self._active.values()],
            "pending": self._backlog[-1][1] if self._backlog else None,
            "retention": self._retention.to_dict() if self._retention is not None else None,
            "last_night": self._last_night,
        }
        try:
            atomic_write_json(self.layout.data_dir / STATUS_FILE, status)
        except OSError as exc:  # a full disk must not stop the checks
            self.log.warning("health: could not write %s: %s", STATUS_FILE, exc)


_LEVELS = {"warning": logging.WARNING, "error": logging.ERROR}


def upload_alerts(meta: dict[str, str], now: datetime, failing_min: float) -> list[Alert]:
    """The ``upload`` alert when the outbox says uploads fail since longer than ``failing_min``."""
    since = meta.get("failing_since_utc")
    if since is None:
        return []
    failing_s = (now - parse_iso_utc(since)).total_seconds()
    if failing_s < failing_min * 60:
        return []
    last = meta.get("last_success_utc")
    text = (f"uploads have failed for {failing_s / 60:.0f} min"
            f" (last success {last or 'never'}): {meta.get('last_error', 'unknown error')}")  # fmt: skip
    details = {"failing_since_utc": since, "last_success_utc": last, "last_error": meta.get("last_error")}
    return [Alert("upload", "upload", "error", text, details=details)]


def _ignored_videos(camera: CameraSection) -> list[tuple[str, datetime]]:
    """The video files of the camera's incoming folder (name, mtime) when none of them matches the
    camera's pattern; empty when one does (the station takes it) or there are none."""
    found = []
    try:
        with os.scandir(camera.incoming_sd) as it:
            for entry in it:
                if entry.name.startswith((".", TMP_PREFIX)) or not entry.is_file(follow_symlinks=False):
                    continue
                if minute_of(Path(entry.name), camera) is not None:
                    return []
                if entry.name.lower().endswith(VIDEO_SUFFIXES):
                    mtime = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC)
                    found.append((entry.name, mtime))
    except OSError:
        return []
    return found


def _newest_mtime(folder: Path) -> datetime | None:
    newest = None
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                    t = entry.stat(follow_symlinks=False).st_mtime
                    newest = t if newest is None or t > newest else newest
    except OSError:
        return None
    return datetime.fromtimestamp(newest, UTC) if newest is not None else None


def _calibration_alerts(cam: str, results: list[tuple[Minute, CalibrateStageResult]]) -> list[Alert]:
    """A confirmed move of the camera; recalibrations failing with a clear sky and none succeeding."""
    results = sorted(results, key=lambda item: item[0].start_utc)
    alerts = []
    moved = [(m, r) for m, r in results if r.status == "moved"]
    if moved:
        m, r = moved[-1]
        text = f"camera {cam} moved: {r.reason} (at {iso_utc(m.start_utc)}); check its mount"
        details = {"camera": cam, "change_deg": r.change_deg, "minute": m.name}
        alerts.append(Alert(f"camera-moved:{cam}", "camera-moved", "warning", text, details=details))
    failed = [(m, r) for m, r in results if r.status == "failed"]
    solved = any(r.status in ("accepted", "moved") for _, r in results)
    if len(failed) >= CALIBRATION_FAILURES and not solved:
        m, r = failed[-1]
        text = (f"camera {cam} cannot be calibrated although the sky is clear: {len(failed)} recalibrations "
                f"failed in the last {CALIBRATION_WINDOW} (last: {r.reason})")  # fmt: skip
        details = {"camera": cam, "failed": len(failed), "last_minute": m.name}
        alerts.append(Alert(f"calibration:{cam}", "calibration", "error", text, details=details))
    return alerts
