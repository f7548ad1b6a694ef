"""Running stages on minutes: claim in the state store, run, record the outcome.

An unreadable video (a ``VideoError``: empty, truncated, not a video, wrong resolution) is quarantined:
the file moves to ``quarantine/`` beside a ``.reason`` file and the stage is marked ``quarantined``; nothing
else stops. Any other exception marks the stage ``failed`` with its text and leaves the input where it is,
for a retry.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from detection.errors import VideoError
from detection.timing import iso_utc
from stationd.disk.atomic import atomic_move, atomic_write_text
from stationd.disk.discover import DiscoverReport, discover_camera
from stationd.disk.state import Minute
from stationd.ops.logs import log_event
from stationd.stages.calibration_stage import run_calibrate
from stationd.stages.candidates import run_candidates
from stationd.stages.context import STAGE_ORDER, STAGE_VERSIONS, StageContext
from stationd.stages.results import StageResult
from stationd.stages.scan import locate_original, run_scan
from stationd.stages.verify import run_verify

StageFunction = Callable[[StageContext, Minute], StageResult]

STAGES: dict[str, StageFunction] = {
    "scan": run_scan,
    "candidates": run_candidates,
    "verify": run_verify,
    "calibrate": run_calibrate,
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one stage of one minute."""

    minute: Minute
    stage: str
    status: str  # done | failed | quarantined | skipped (someone else holds it)
    duration_s: float = 0.0
    error: str | None = None
    result: StageResult | None = None


@dataclass
class StageRunner:
    ctx: StageContext
    stages: dict[str, StageFunction] = field(default_factory=lambda: dict(STAGES))

    def discover(self, day: str | None = None, settle_s: float = 10.0) -> DiscoverReport:
        """Register the complete minute files of every camera (of ``day``, also in its video folders)."""
        total = DiscoverReport()
        for camera in self.ctx.config.cameras:
            report = discover_camera(self.ctx.store, self.ctx.layout, camera, settle_s, day=day)
            total.registered += report.registered
            total.requeued += report.requeued
            total.known += report.known
            total.ignored += report.ignored
            total.unsettled += report.unsettled
        return total  # callers report ``ignored`` (reprocess prints them, the daemon warns once per file)

    def run_one(self, stage: str, minute: Minute) -> Outcome:
        """Claim and run ``stage`` for ``minute``; 'skipped' when it is not pending."""
        store, owner = self.ctx.store, self.ctx.owner
        if not store.claim(minute.id, stage, owner, STAGE_VERSIONS[stage]):
            return Outcome(minute, stage, "skipped")
        minute = store.minute(minute.id)
        t0 = time.monotonic()
        try:
            result = self.stages[stage](self.ctx, minute)
        except VideoError as exc:
            duration = time.monotonic() - t0
            try:
                self._quarantine(minute, stage, exc.reason)
            except OSError as move_error:  # the input stays put; the failure is recorded and retried
                return self._failed(minute, stage, move_error, duration)
            store.fail(minute.id, stage, owner, exc.reason, duration, quarantined=True)
            log_event(self.ctx.log, f"quarantined: {exc.reason}", level=logging.ERROR, camera=minute.camera,
                      stage=stage, file=minute.name, duration_s=duration)  # fmt: skip
            return Outcome(minute, stage, "quarantined", duration, exc.reason)
        except Exception as exc:  # a bug or a full disk: record it, keep the station going
            return self._failed(minute, stage, exc, time.monotonic() - t0)
        except BaseException:
            store.release(minute.id, stage, owner)
            raise
        duration = time.monotonic() - t0
        nxt = STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :][:1]
        store.complete(minute.id, stage, owner, result.to_json(), duration, then=nxt)
        log_event(self.ctx.log, result.summary(), camera=minute.camera, stage=stage, file=minute.name,
                  duration_s=duration)  # fmt: skip
        return Outcome(minute, stage, "done", duration, None, result)

    def _failed(self, minute: Minute, stage: str, exc: BaseException, duration: float) -> Outcome:
        text = f"{type(exc).__name__}: {exc}"
        self.ctx.store.fail(minute.id, stage, self.ctx.owner, text, duration)
        log_event(self.ctx.log, f"failed: {text}\n{traceback.format_exc(limit=4)}", level=logging.ERROR,
                  camera=minute.camera, stage=stage, file=minute.name, duration_s=duration)  # fmt: skip
        return Outcome(minute, stage, "failed", duration, text)

    def _quarantine(self, minute: Minute, stage: str, reason: str) -> None:
        """Move the minute's original into quarantine/ with a reason file; never delete it."""
        try:
            source = locate_original(self.ctx, minute)
        except FileNotFoundError:
            return
        target = _free_name(self.ctx.layout.quarantine / source.name)
        atomic_write_text(
            target.with_name(target.name + ".reason"),
            f"file: {source}\ncamera: {minute.camera}\nstage: {stage}\nreason: {reason}\n"
            f"time_utc: {iso_utc(datetime.now(UTC))}\n",
        )
        atomic_move(source, target)
        self.ctx.store.set_paths(minute.id, target)

    def run_pending(
        self,
        stages: tuple[str, ...] = STAGE_ORDER,
        day: str | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> list[Outcome]:
        """Run every pending minute through ``stages`` in pipeline order (each minute as far as it goes)."""
        outcomes: list[Outcome] = []
        for stage in (s for s in STAGE_ORDER if s in stages):
            for minute in self.ctx.store.pending(stage, day=day, limit=100_000):
                if should_stop():
                    return outcomes
                outcome = self.run_one(stage, minute)
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
        return outcomes

    def run_minutes(
        self,
        minute_ids: list[int],
        stages: tuple[str, ...] = STAGE_ORDER,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Run the pending ``stages`` of these minutes only, in pipeline order (``stationd retry``)."""
        outcomes: list[Outcome] = []
        for stage in (s for s in STAGE_ORDER if s in stages):
            for minute_id in minute_ids:
                run = self.ctx.store.runs(minute_id).get(stage)
                if run is None or run.status != "pending":
                    continue
                outcome = self.run_one(stage, self.ctx.store.minute(minute_id))
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
        return outcomes

    def reset_day(self, day: str, stages: tuple[str, ...], camera: str | None = None) -> int:
        """Make the given stages of a day pending again (the first of them for every minute); minutes that
        went through the stage before it without it (a stage new in the pipeline) get it as well."""
        n = 0
        for stage in stages:
            k = STAGE_ORDER.index(stage)
            if k > 0:
                n += self.ctx.store.add_missing(stage, day, after=STAGE_ORDER[k - 1], camera=camera)
            n += self.ctx.store.reset(stage, day, camera)
        return n


def _free_name(target: Path) -> Path:
    """``target``, or ``<stem>.2<suffix>``, ``.3``... when a file of that name (or its reason) is already in
    quarantine: a second bad file of one minute must not replace the first (quarantine is never deleted)."""
    candidate, n = target, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".reason").exists():
        n += 1
        candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
    return candidate
