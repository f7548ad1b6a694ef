"""Read-only views of the state store, as plain data: what ``stationd status --json`` prints.

The field names are those of DESIGN 4 and of the state store; the CLI renders the same data as tables.
"""

from __future__ import annotations

from typing import Any

from detection.timing import iso_utc
from stationd.disk.state import StageRun, StateStore
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
    """A summary of every day the station knows: counts per stage and status."""
    return {
        "station": station,
        "days": [{"day": day, "counts": store.counts(day)} for day in store.days()],
        "totals": store.counts(),
    }
