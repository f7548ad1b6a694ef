"""The summary line logged once per finished night: what each camera delivered and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from detection.timing import iso_utc
from stationd.disk.state import StateStore, Status
from stationd.stages.results import CandidatesStageResult, read_result


@dataclass
class CameraNight:
    minutes: int = 0
    expected: int = 0
    with_candidates: int = 0
    candidates: int = 0
    too_many: int = 0
    failed: int = 0
    quarantined: int = 0
    pending: int = 0


@dataclass
class NightSummary:
    start_utc: datetime
    end_utc: datetime
    cameras: dict[str, CameraNight] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types for ``status.json``'s ``last_night`` (shown by ``stationd status``)."""
        return {
            "start_utc": iso_utc(self.start_utc),
            "end_utc": iso_utc(self.end_utc),
            "cameras": {k: vars(v) for k, v in self.cameras.items()},
        }

    def line(self) -> str:
        """The summary as one log line, every camera in it, so a morning ``grep night`` tells the story."""
        hours = (self.end_utc - self.start_utc).total_seconds() / 3600
        head = f"night {self.start_utc:%Y-%m-%d %H:%M} - {self.end_utc:%H:%M} UTC ({hours:.1f} h)"
        parts = [
            f"{cam}: {c.minutes}/{c.expected} minutes, {c.with_candidates} with candidates ({c.candidates} "
            f"candidates), {c.too_many} too-many, {c.failed} failed, {c.quarantined} quarantined, "
            f"{c.pending} pending"
            for cam, c in self.cameras.items()
        ]
        return head + ": " + "; ".join(parts)


def summarize_night(
    store: StateStore, cameras: tuple[str, ...], start_utc: datetime, end_utc: datetime
) -> NightSummary:
    """Counts from the state store for the minutes that started in [start_utc, end_utc)."""
    summary = NightSummary(start_utc, end_utc)
    expected = int((end_utc - start_utc).total_seconds() // 60)
    for cam in cameras:
        summary.cameras[cam] = CameraNight(expected=expected)
    days = sorted({(start_utc + timedelta(days=i)).astimezone(UTC).strftime("%Y-%m-%d") for i in (0, 1)})
    for day in days:
        runs = store.runs_of_day(day)
        for m in store.minutes(day=day):
            if m.camera not in summary.cameras or not start_utc <= m.start_utc < end_utc:
                continue
            c = summary.cameras[m.camera]
            c.minutes += 1
            stages = runs.get(m.id, {})
            statuses = {r.status for r in stages.values()}
            c.failed += Status.FAILED in statuses
            c.quarantined += Status.QUARANTINED in statuses
            c.pending += bool(statuses & {Status.PENDING, Status.RUNNING})
            found = read_result(stages, CandidatesStageResult)
            if found is not None and found.status == "candidates":
                c.with_candidates += 1
                c.candidates += len(found.candidates)
            elif found is not None and found.status == "too-many":
                c.too_many += 1
    return summary
