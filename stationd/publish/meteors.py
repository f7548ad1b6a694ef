"""What a verified meteor puts in the outbox: its record and products, its plate solution, and, when it
is bright, a copy under ``live/<STATION>/`` at the head of the queue (DESIGN 6).

Called by the verify stage once a minute's records are written (and by ``calibrate_day`` once they are
rewritten with sky columns): each meteor's folder of objects is replaced as a group (a product the new
version lacks is withdrawn), the meteors that reprocessing removed are withdrawn (their objects deleted
under the station's own prefix), and the day is marked for its index to be rebuilt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stationd.config import StationConfig
from stationd.disk.layout import StationLayout
from stationd.disk.records import RECORD_NAME, read_record
from stationd.publish.outbox import open_outbox
from sync import StationKeys
from sync.outbox import Outbox, Priority, Upload

log = logging.getLogger("stationd.publish")

_PRODUCTS = {  # product name in the record -> (priority, content type; live priority)
    "stack": (Priority.STACK, "image/jpeg", Priority.LIVE),
    "clip": (Priority.CLIP, "video/mp4", Priority.LIVE_CLIP),
    "clip_hd": (Priority.CLIP_HD, "video/mp4", Priority.LIVE_CLIP),
}


@dataclass
class PublishReport:
    """Keys queued and withdrawn for a minute's (or day's) meteors, and those that went live."""

    queued: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # meteor ids


def peak_mag(record: dict[str, Any]) -> float | None:
    """The brightest (smallest) magnitude of the record's frames, None before calibration."""
    mags = [f["mag"] for f in record["frames"] if "mag" in f]
    return min(mags) if mags else None


def is_bright(record: dict[str, Any], live_max_mag: float) -> bool:
    """A fireball, or a calibrated meteor at least as bright as ``live_max_mag``."""
    mag = peak_mag(record)
    return bool(record.get("fireball")) or (mag is not None and mag <= live_max_mag)


def _calibration_upload(config: StationConfig, record: dict[str, Any]) -> Upload | None:
    """The plate solution that calibrated the record, when it is still the camera's current file."""
    solution = record.get("calibration")
    if not isinstance(solution, dict) or "#" not in str(solution.get("solution_id", "")):
        return None
    name, sha12 = str(solution["solution_id"]).rsplit("#", 1)
    path = StationLayout(config.station.data_dir).calibration_dir(record["camera"]) / name
    if not path.is_file():
        return None
    key = StationKeys(config.station.id).calibration(record["camera"], sha12, name)
    return Upload(key, path, "calibration", Priority.CALIBRATION, content_type="application/json")


def meteor_uploads(
    config: StationConfig, day: str, record: dict[str, Any], live: bool = False
) -> list[Upload]:
    """The uploads of one meteor's folder (``live``: its copies under ``live/<STATION>/``)."""
    keys, meteor_id = StationKeys(config.station.id), record["meteor_id"]
    folder = StationLayout(config.station.data_dir).meteor_dir(day, record["camera"], meteor_id)
    prefix = keys.live_meteor_prefix(day, meteor_id) if live else keys.meteor_prefix(day, meteor_id)
    calibration = None if live else _calibration_upload(config, record)
    needs = (calibration.key,) if calibration is not None else ()
    kind = "live" if live else "meteor"
    uploads = [
        Upload(
            prefix + RECORD_NAME,
            folder / RECORD_NAME,
            kind,
            Priority.LIVE if live else Priority.RECORD,
            day=day,
            content_type="application/json",
            depends_on=needs,
        )
    ]
    for product, (priority, ctype, live_priority) in _PRODUCTS.items():
        name = record.get("products", {}).get(product)
        if name and (folder / name).is_file():
            uploads.append(
                Upload(
                    prefix + name,
                    folder / name,
                    kind if live else product,
                    live_priority if live else priority,
                    day=day,
                    content_type=ctype,
                )
            )
    return uploads


def _publish_one(
    config: StationConfig, outbox: Outbox, day: str, record: dict[str, Any], report: PublishReport
) -> None:
    station, meteor_id = config.station.id, record["meteor_id"]
    calibration = _calibration_upload(config, record)
    if calibration is not None:
        report.queued += outbox.enqueue([calibration])
    bright = is_bright(record, config.storage.live_max_mag)
    if bright:  # the live copies first: they are what the network waits for
        queued, withdrawn = outbox.replace_group(
            StationKeys(station).live_meteor_prefix(day, meteor_id),
            meteor_uploads(config, day, record, live=True),
        )
        report.queued += queued
        report.withdrawn += withdrawn
        report.live.append(meteor_id)
    else:
        report.withdrawn += outbox.withdraw(StationKeys(station).live_meteor_prefix(day, meteor_id))
    queued, withdrawn = outbox.replace_group(
        StationKeys(station).meteor_prefix(day, meteor_id), meteor_uploads(config, day, record)
    )
    report.queued += queued
    report.withdrawn += withdrawn


def publish_meteors(
    config: StationConfig,
    day: str,
    camera: str,
    meteor_ids: Iterable[str],
    removed: Iterable[str] = (),
    outbox: Outbox | None = None,
) -> PublishReport:
    """Queue the meteors ``meteor_ids`` of a camera's day and withdraw ``removed`` ones (ids that
    reprocessing did not find again); mark the day's index for rebuilding."""
    layout = StationLayout(config.station.data_dir)
    report = PublishReport()
    own = outbox is None
    box = open_outbox(config) if outbox is None else outbox
    try:
        ids = list(meteor_ids)
        for meteor_id in sorted(set(removed) - set(ids)):
            report.withdrawn += box.withdraw(StationKeys(config.station.id).meteor_prefix(day, meteor_id))
            report.withdrawn += box.withdraw(
                StationKeys(config.station.id).live_meteor_prefix(day, meteor_id)
            )
        for meteor_id in ids:
            record = read_record(layout.meteor_dir(day, camera, meteor_id))
            _publish_one(config, box, day, record, report)
        box.mark_day_dirty(day)
    finally:
        if own:
            box.close()
    if report.live:
        log.info("live: %s queued ahead of the outbox", ", ".join(report.live))
    return report
