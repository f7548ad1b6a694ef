"""Retention: keep the data directory under ``retention.max_disk_gb`` and its file system above
``retention.min_free_gb`` by deleting what is least worth keeping first.

Order of deletion (each class oldest minute first, across cameras; a class is only touched once the one
before it is exhausted, and deletion stops as soon as enough space is free):

1. **no-candidates**: processed minutes whose detection found nothing (``none``) or only widespread change
   (``too-many``): their video (and HD video), values file and stack/preview images.
2. **ff**: FF blocks of processed minutes (those with candidates too).
3. **previews**: stack and preview images of processed minutes of days before the current UTC day.

Never deleted: minutes not yet through detection (``scan`` or ``candidates`` pending, running, failed or
quarantined), the videos and values of minutes with candidates, anything under ``days/*/*/meteors/`` (meteor
records and clips), ``incoming/``, ``quarantine/``, ``calibration/``, ``index/``, ``exports/``, the state
store and the local object store, and any file whose upload is still pending in the outbox (it would be lost
to the network). Only files inside ``days/<day>/<camera>/{video,values,stacks,ff}/`` are
ever removed; :func:`_deletable` checks every path before it goes.

When everything deletable is gone and the quota still is not met, the report says how much is missing
(``short_bytes``): the station keeps running, the health monitor raises its low-disk alert, and the next
run tries again. Sizes are apparent sizes (``st_size``); a gigabyte is 10^9 bytes.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from stationd.config import StationConfig
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute, StageRun, StateStore, Status
from stationd.publish.outbox import open_outbox
from stationd.stages.results import CandidatesStageResult, ScanStageResult, read_result
from stationd.text import plural

GB = 1_000_000_000
_DELETABLE_FOLDERS = frozenset({"video", "values", "stacks", "ff"})
_NO_CANDIDATES = frozenset({"none", "too-many"})

DiskFree = Callable[[Path], int]


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


@dataclass(frozen=True)
class Deletion:
    """Files of one minute deleted together, and why."""

    minute: str
    paths: tuple[Path, ...]
    bytes: int
    reason: str


@dataclass
class RetentionReport:
    used_bytes: int | None  # size of the data directory before (None: no max_disk_gb, not measured)
    free_bytes: int  # free space on its file system before
    need_bytes: int  # what had to be freed to meet both limits
    freed_bytes: int = 0
    deleted: list[Deletion] = field(default_factory=list)

    @property
    def short_bytes(self) -> int:
        """Space still missing after everything deletable went (0 when the limits are met)."""
        return max(0, self.need_bytes - self.freed_bytes)

    @property
    def ok(self) -> bool:
        """Whether both disk limits are met now; when not, the station is short of space and says so."""
        return self.short_bytes == 0

    def to_dict(self) -> dict[str, object]:
        """Totals only (counts, not the deleted paths) for ``status.json``."""
        return {
            "used_bytes": self.used_bytes,
            "free_bytes": self.free_bytes,
            "need_bytes": self.need_bytes,
            "freed_bytes": self.freed_bytes,
            "short_bytes": self.short_bytes,
            "deleted_minutes": len(self.deleted),
            "deleted_files": sum(len(d.paths) for d in self.deleted),
        }


def tree_size(folder: Path) -> int:
    """Apparent size in bytes of every regular file under ``folder`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # removed while we looked
            total += st.st_size
    return total


def _deletable(path: Path, layout: StationLayout) -> bool:
    """Only files in days/<day>/<camera>/{video,values,stacks,ff}/ (video/hd/ too) may be deleted."""
    try:
        rel = path.resolve().relative_to(layout.days_root().resolve())
    except ValueError:
        return False
    parts = rel.parts
    return len(parts) >= 4 and parts[2] in _DELETABLE_FOLDERS and "meteors" not in parts


@dataclass
class _Planner:
    """Yields groups of files to delete, class by class, oldest first."""

    config: StationConfig
    store: StateStore
    today: str

    @property
    def layout(self) -> StationLayout:
        return StationLayout(self.config.station.data_dir)

    def _processed(self) -> Iterator[tuple[Minute, dict[str, StageRun]]]:
        for day in self.store.days():
            runs = self.store.runs_of_day(day)
            for minute in self.store.minutes(day=day):
                stages = runs.get(minute.id, {})
                run = stages.get(CandidatesStageResult.STAGE)
                if run is not None and run.status == Status.DONE and run.result is not None:
                    yield minute, stages

    def _video_files(self, m: Minute) -> list[Path]:
        files = [self.layout.video(m.day, m.camera) / m.name]
        if m.hd_path is not None:
            files.append(self.layout.video_hd(m.day, m.camera) / m.hd_path.name)
        return files

    def _images(self, m: Minute) -> list[Path]:
        return [self.layout.stack(m.day, m.camera, m.stem), self.layout.preview(m.day, m.camera, m.stem)]

    def _ff_files(self, m: Minute, stages: dict[str, StageRun]) -> list[Path]:
        scan = read_result(stages, ScanStageResult)
        names = scan.ff_files if scan is not None else ()
        return [self.layout.ff_dir(m.day, m.camera) / n for n in names]

    def groups(self) -> Iterator[tuple[Minute, list[Path], str]]:
        for m, stages in self._processed():
            found = read_result(stages, CandidatesStageResult)
            status = found.status if found is not None else None
            if status in _NO_CANDIDATES:
                files = [*self._video_files(m), self.layout.values(m.day, m.camera, m.stem), *self._images(m)]
                yield m, files, f"no candidates ({status}), oldest processed minute"
        for m, stages in self._processed():
            yield m, self._ff_files(m, stages), "FF blocks of a processed minute"
        for m, _stages in self._processed():
            if m.day < self.today:
                yield m, self._images(m), f"stack and preview of an old day ({m.day})"


def _existing(paths: list[Path]) -> list[tuple[Path, int]]:
    out = []
    for p in paths:
        try:
            out.append((p, p.lstat().st_size))
        except FileNotFoundError:
            continue
    return out


def _uploading(config: StationConfig, layout: StationLayout) -> frozenset[Path]:
    """Files whose upload is not finished: retention keeps them whatever the quota says."""
    if not layout.state_db.is_file():
        return frozenset()
    with open_outbox(config, read_only=True) as outbox:
        return frozenset(outbox.pending_paths())


def enforce_retention(
    config: StationConfig,
    store: StateStore,
    log: logging.Logger | None = None,
    now_utc: datetime | None = None,
    disk_free: DiskFree = _free_bytes,
) -> RetentionReport:
    """Delete in the documented order until both disk limits are met; one log line per deleted minute."""
    log = log or logging.getLogger("stationd.ops.retention")
    layout = StationLayout(config.station.data_dir)
    limits = config.retention
    free = disk_free(layout.data_dir)
    used = tree_size(layout.data_dir) if limits.max_disk_gb is not None else None
    need = max(0, int(limits.min_free_gb * GB) - free)
    if used is not None and limits.max_disk_gb is not None:
        need = max(need, used - int(limits.max_disk_gb * GB))
    report = RetentionReport(used_bytes=used, free_bytes=free, need_bytes=need)
    if need == 0:
        return report
    uploading = _uploading(config, layout)
    today = (now_utc or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")
    for minute, paths, reason in _Planner(config, store, today).groups():
        if report.freed_bytes >= need:
            break
        _delete_group(report, layout, minute, [p for p in paths if p not in uploading], reason, log, store)
    if not report.ok:
        log.error(
            "retention: still %.3f GB short after deleting everything deletable (protected: unprocessed "
            "minutes, candidate videos, meteors, calibration, quarantine)",
            report.short_bytes / GB,
        )
    return report


def _delete_group(
    report: RetentionReport, layout: StationLayout, minute: Minute, paths: list[Path], reason: str,
    log: logging.Logger, store: StateStore | None = None,
) -> None:  # fmt: skip
    done: list[Path] = []
    size = 0
    for path, n_bytes in _existing(paths):
        if not _deletable(path, layout):
            log.error("retention: refused to delete %s: outside the deletable folders", path)
            continue
        try:
            path.unlink()
        except OSError as exc:
            log.warning("retention: could not delete %s: %s", path, exc)
            continue
        done.append(path)
        size += n_bytes
    if not done:
        return
    if store is not None and layout.video(minute.day, minute.camera) / minute.name in done:
        store.mark_pruned(minute.id)
    report.freed_bytes += size
    report.deleted.append(Deletion(minute.name, tuple(done), size, reason))
    names = ", ".join(p.relative_to(layout.data_dir).as_posix() for p in done)
    log.info(
        "retention: deleted %s, %.1f MB of %s: %s [%s]",
        *(plural(len(done), "file"), size / 1e6, minute.name, reason, names),
        extra={"camera": minute.camera, "stage": "retention", "file": minute.name},
    )
