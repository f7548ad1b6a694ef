"""Read-only views of the station, as plain data: what ``stationd status --json`` prints.

The field names are those of DESIGN 4 and of the state store; the CLI renders the same data as tables.
The station overview (``stationd status`` without a day) also reads the daemon's instance lock and the
status file its health monitor writes every minute, and measures the disk.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from detection.timing import iso_utc, parse_iso_utc
from stationd.config import StationConfig
from stationd.daemon.lock import lock_holder
from stationd.disk.layout import StationLayout
from stationd.disk.state import StageRun, StateStore, Status
from stationd.ops.health import active_alerts, read_status
from stationd.ops.retention import GB, tree_size
from stationd.stages.context import STAGE_ORDER
from stationd.stages.results import CandidatesStageResult, VerifyStageResult, read_result


def _run_view(run: StageRun) -> dict[str, Any]:
    return {
        "status": run.status.value,
        "version": run.version,
        "attempts": run.attempts,
        "finished_utc": run.finished_utc,
        "duration_s": None if run.duration_s is None else round(run.duration_s, 3),
        "error": run.error,
    }


def day_status(store: StateStore, station: str, day: str) -> dict[str, Any]:
    """Every minute of ``day`` with its file, per-stage status, its candidates and verify results."""
    runs = store.runs_of_day(day)
    minutes = []
    for m in store.minutes(day=day):
        stages = runs.get(m.id, {})
        found = read_result(stages, CandidatesStageResult)
        verified = read_result(stages, VerifyStageResult)
        entry: dict[str, Any] = {
            "camera": m.camera,
            "start_utc": iso_utc(m.start_utc),
            "file": m.name,
            "path": str(m.path),
            "hd_path": str(m.hd_path) if m.hd_path else None,
            "pruned_utc": m.pruned_utc,
            "stages": {name: _run_view(stages[name]) for name in STAGE_ORDER if name in stages},
            "candidates": found.to_json() if found is not None else None,
            "verify": verified.to_json() if verified is not None else None,
        }
        minutes.append(entry)
    return {
        "station": station,
        "day": day,
        "counts": store.counts(day),
        "candidate_counts": _candidate_counts(minutes),
        "meteors": sum(len((m["verify"] or {}).get("meteors", [])) for m in minutes),
        "minutes": minutes,
    }


def _candidate_counts(minutes: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"none": 0, "candidates": 0, "too-many": 0, "candidate_events": 0}
    for entry in minutes:
        result = entry["candidates"]
        if result is None:
            continue
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        counts["candidate_events"] += len(result.get("candidates", []))
    return counts


def station_status(store: StateStore, station: str) -> dict[str, Any]:
    """Every day the station knows: counts per stage and status, verified meteors and fireballs."""
    verified = store.verified_per_day()
    days = []
    for day in store.days():
        meteors, fireballs = verified.get(day, (0, 0))
        days.append({"day": day, "counts": store.counts(day), "meteors": meteors, "fireballs": fireballs})
    return {"station": station, "days": days, "totals": store.counts()}


def station_overview(
    config: StationConfig, store: StateStore, now_utc: datetime, *, measure_data_dir: bool = True
) -> dict[str, Any]:
    """The station at a glance: the daemon, the cameras' last minutes, the backlog, open alerts, the disk,
    then :func:`station_status`'s table of days. ``now_utc`` gives the ages (seconds) of what is shown;
    ``measure_data_dir`` False skips walking the data directory for its size (the heartbeat)."""
    layout = StationLayout(config.station.data_dir)
    summary = station_status(store, config.station.id)
    totals = summary["totals"]
    last = store.last_minutes()
    cameras = [
        {
            "camera": cam.id,
            "last_minute_utc": last.get(cam.id),
            "last_minute_age_s": _age_s(last.get(cam.id), now_utc),
        }
        for cam in config.cameras
    ]
    return {
        "station": config.station.id,
        "checked_utc": iso_utc(now_utc),
        "daemon": _daemon_view(layout, now_utc),
        "cameras": cameras,
        "backlog": {
            "pending": sum(by.get(Status.PENDING.value, 0) for by in totals.values()),
            "running": sum(by.get(Status.RUNNING.value, 0) for by in totals.values()),
            "pending_by_stage": {stage: by.get(Status.PENDING.value, 0) for stage, by in totals.items()},
        },
        "alerts": active_alerts(layout.data_dir),
        "disk": _disk_view(layout, measure_data_dir),
        "days": summary["days"],
        "totals": totals,
    }


def _age_s(stamp: str | None, now_utc: datetime) -> float | None:
    if stamp is None:
        return None
    try:
        return round((now_utc - parse_iso_utc(stamp)).total_seconds(), 1)
    except ValueError:
        return None


HEARTBEAT_STALE_S = 180.0
"""The health monitor writes status.json every minute: a running daemon silent this long is in trouble."""


def _daemon_view(layout: StationLayout, now_utc: datetime) -> dict[str, Any]:
    holder = lock_holder(layout.lock_file)
    heartbeat = (read_status(layout.data_dir) or {}).get("updated_utc")
    heartbeat = heartbeat if isinstance(heartbeat, str) else None
    since = iso_utc(holder.since_utc) if holder.since_utc is not None else None
    age_s, up_s = _age_s(heartbeat, now_utc), _age_s(since, now_utc)
    silent_s = min(t for t in (age_s, up_s) if t is not None) if up_s is not None else None
    return {
        "running": holder.running,
        "pid": holder.pid if holder.held else None,
        "lock_held": holder.held,
        "since_utc": since,
        "heartbeat_utc": heartbeat,
        "heartbeat_age_s": age_s,
        "heartbeat_stale": holder.running and silent_s is not None and silent_s > HEARTBEAT_STALE_S,
    }


def _disk_view(layout: StationLayout, measure: bool = True) -> dict[str, Any]:
    try:
        usage = shutil.disk_usage(layout.data_dir)
    except OSError:
        return {"data_dir": str(layout.data_dir), "disk_total_gb": None, "disk_free_gb": None,
                "disk_used_gb": None, "data_dir_gb": None}  # fmt: skip
    return {
        "data_dir": str(layout.data_dir),
        "disk_total_gb": round(usage.total / GB, 6),
        "disk_free_gb": round(usage.free / GB, 6),
        "disk_used_gb": round(usage.used / GB, 6),
        "data_dir_gb": round(tree_size(layout.data_dir) / GB, 6) if measure else None,
    }
