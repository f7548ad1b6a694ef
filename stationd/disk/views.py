"""Read-only views of the state store, as plain data: what ``stationd status --json`` prints.

The field names are those of DESIGN 4 and of the state store; the CLI renders the same data as tables.
"""

from __future__ import annotations

from typing import Any

from stationd.disk.layout import iso_utc
from stationd.disk.state import StageRun, StateStore
from stationd.stages.context import STAGE_ORDER


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
    """Every minute of ``day`` with its file, per-stage status, its detect and verify results."""
    runs = store.runs_of_day(day)
    minutes = []
    for m in store.minutes(day=day):
        stages = runs.get(m.id, {})
        detect = stages.get("detect")
        verify = stages.get("verify")
        entry: dict[str, Any] = {
            "camera": m.camera,
            "start_utc": iso_utc(m.start_utc),
            "file": m.name,
            "path": str(m.path),
            "hd_path": str(m.hd_path) if m.hd_path else None,
            "pruned_utc": m.pruned_utc,
            "stages": {name: _run_view(stages[name]) for name in STAGE_ORDER if name in stages},
            "detect": detect.result if detect is not None and detect.result is not None else None,
            "verify": verify.result if verify is not None and verify.result is not None else None,
        }
        minutes.append(entry)
    return {
        "station": station,
        "day": day,
        "counts": store.counts(day),
        "detect_counts": _detect_counts(minutes),
        "meteors": sum(len((m["verify"] or {}).get("meteors", [])) for m in minutes),
        "minutes": minutes,
    }


def _detect_counts(minutes: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"none": 0, "candidates": 0, "too-many": 0, "candidate_events": 0}
    for entry in minutes:
        result = entry["detect"]
        if result is None:
            continue
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        counts["candidate_events"] += len(result.get("candidates", []))
    return counts


def station_status(store: StateStore, station: str) -> dict[str, Any]:
    """A summary of every day the station knows: counts per stage and status."""
    return {
        "station": station,
        "days": [{"day": day, "counts": store.counts(day)} for day in store.days()],
        "totals": store.counts(),
    }
