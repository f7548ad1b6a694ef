"""``stationd demo``: a synthetic night through the whole pipeline, on embedded defaults.

It makes a fresh station directory with a generated configuration, synthesizes minute files of one camera
(stars, meteors of known tracks and light curves, and hard negatives: a plane, a satellite, a hot pixel, a
flash, a passing cloud) into ``incoming/``, runs every stage as ``stationd reprocess`` does, and compares
what was found with the truth. Everything is seeded: the same arguments give the same night.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detection.synth.sky import SkySettings, SkyVideo, default_camera, random_meteor, random_negatives
from stationd.config import StationConfig, parse_config
from stationd.config_example import example_config
from stationd.disk.atomic import atomic_write_json, atomic_write_text
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.errors import UsageError
from stationd.publish.outbox import open_outbox
from stationd.publish.send import SyncReport, sync_now
from stationd.stages import Outcome
from stationd.station import Station

MARKER = ".stationd-demo"
START_UTC = datetime(2026, 11, 21, 22, 0, 0, tzinfo=UTC)
STATION_ID = "DEMO01"  # not the placeholder XX0001 of config init: the demo station can be run
LAT_DEG, LON_DEG, ELEVATION_M = 51.8831, -1.30616, 80.0
# One kind of hard negative per minute, in turn; every minute also has meteors.
NEGATIVES = (("plane", "hot_pixel"), ("satellite",), ("flash",), ("cloud",))


@dataclass(frozen=True)
class DemoSettings:
    directory: Path
    minutes: int = 4
    meteors_per_minute: int = 2
    seed: int = 2026

    def __post_init__(self) -> None:
        if not 1 <= self.minutes <= 60:
            raise UsageError(f"--minutes {self.minutes}: expected 1..60")


@dataclass
class DemoMinute:
    name: str
    truth: dict[str, Any]
    candidates: dict[str, Any] | None = None
    meteors: list[dict[str, Any]] = field(default_factory=list)  # verified meteor records of the minute

    def true_meteors(self) -> list[dict[str, Any]]:
        """The meteors the generator put into this minute (its truth), to score the pipeline against."""
        return [o for o in self.truth["objects"] if o["kind"] == "meteor"]

    def record_of(self, truth: dict[str, Any]) -> dict[str, Any] | None:
        """The verified record of a true meteor: frames in common, centroids within 5 px of the truth's."""
        for record in self.meteors:
            errors = _errors_px(record, truth)
            if errors and float(np.median(errors)) < 5.0:
                return record
        return None

    def false_meteors(self) -> list[dict[str, Any]]:
        """Verified records that match no true meteor."""
        matched = {id(r) for t in self.true_meteors() if (r := self.record_of(t)) is not None}
        return [r for r in self.meteors if id(r) not in matched]


@dataclass
class DemoReport:
    directory: Path
    config: StationConfig
    minutes: list[DemoMinute] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    published: SyncReport | None = None  # the outbox sent to the embedded store (``<data_dir>/store``)
    objects: list[dict[str, Any]] = field(default_factory=list)  # what the store holds: key, kind, bytes

    @property
    def day(self) -> str:
        """The UTC day of the synthetic night (where its minutes are filed)."""
        return START_UTC.strftime("%Y-%m-%d")

    def meteor_rows(self) -> list[dict[str, Any]]:
        """One row per injected meteor: its truth, the candidate that covers it and the verified record."""
        rows = []
        for minute in self.minutes:
            candidates = (minute.candidates or {}).get("candidates", [])
            for obj in minute.true_meteors():
                first, last = obj["first_frame"], obj["last_frame"]
                found = next(
                    (c for c in candidates if c["frame_start"] <= last and c["frame_end"] >= first), None
                )
                record = minute.record_of(obj)
                rows.append({"minute": minute.name, "first_frame": first, "last_frame": last,
                             "peak_snr": obj["peak_snr"], "found": found,
                             "meteor": _summary(record, obj) if record else None})  # fmt: skip
        return rows

    def negative_rows(self) -> list[dict[str, Any]]:
        """One row per minute: its negatives, what detection said of it, and meteors verified in error."""
        rows = []
        for minute in self.minutes:
            kinds = [o["kind"] for o in minute.truth["objects"] if o["kind"] != "meteor"]
            false = [r["meteor_id"] for r in minute.false_meteors()]
            rows.append({"minute": minute.name, "negatives": kinds, "candidates": minute.candidates,
                         "false_meteors": false})  # fmt: skip
        return rows


def _errors_px(record: dict[str, Any], truth: dict[str, Any]) -> list[float]:
    """Distances of a record's centroids from the true ones, on the frames they share."""
    true_xy = {p["frame"]: (p["centroid_x_px"], p["centroid_y_px"]) for p in truth["frames"]}
    return [
        float(np.hypot(p["x_px"] - true_xy[p["frame"]][0], p["y_px"] - true_xy[p["frame"]][1]))
        for p in record["frames"]
        if p["frame"] in true_xy
    ]


def _summary(record: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """A verified record beside its truth: id, frames, and the median distance to the true centroids."""
    errors = _errors_px(record, truth)
    return {
        "meteor_id": record["meteor_id"],
        "first_frame": record["frames"][0]["frame"],
        "last_frame": record["frames"][-1]["frame"],
        "n_frames": len(record["frames"]),
        "fireball": record["fireball"],
        "median_error_px": round(float(np.median(errors)), 2) if errors else None,
    }


def _prepare_directory(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise UsageError(f"{directory} is not empty and not a demo station: choose another --dir")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by stationd demo; removed by the next demo in this folder\n")


def _config(directory: Path) -> StationConfig:
    raw = yaml.safe_load(
        example_config(directory.resolve(), STATION_ID, "cam1", LAT_DEG, LON_DEG, ELEVATION_M)
    )
    cam = default_camera()
    raw["cameras"][0]["pointing"] = {"az_deg": cam.az_deg, "alt_deg": cam.alt_deg,
                                     "rotation_deg": cam.rotation_deg, "fov_h_deg": cam.fov_h_deg,
                                     "projection": cam.projection}  # fmt: skip
    raw["processing"]["ff_policy"] = "all"
    text = yaml.safe_dump(raw, sort_keys=False)
    atomic_write_text(directory / "stationd.yaml", text)
    return parse_config(raw, str(directory / "stationd.yaml"))


def synthesize(settings: DemoSettings, incoming: Path, on_minute: Callable[[str], None]) -> list[DemoMinute]:
    """Write the demo's minute files into ``incoming`` with AllSkyCams names; returns their truth."""
    rng = np.random.default_rng(settings.seed)
    minutes = []
    for i in range(settings.minutes):
        start = START_UTC + timedelta(minutes=i)
        sky = SkySettings(start_utc=start, seed=settings.seed + i, lat_deg=LAT_DEG, lon_deg=LON_DEG)
        objects: list[Any] = [
            random_meteor(rng, sky, peak_snr=(6.0, 30.0), duration_s=(0.3, 1.5),
                          t_range_s=(2.0 + 25.0 * k, 25.0 + 25.0 * k))
            for k in range(settings.meteors_per_minute)
        ]  # fmt: skip
        objects += random_negatives(rng, sky, NEGATIVES[i % len(NEGATIVES)])
        name = start.strftime("%Y_%m_%d_%H_%M_%S_") + f"{start.microsecond // 1000:03d}_cam1.mp4"
        truth = SkyVideo(sky, objects).write(incoming / name)
        atomic_write_json(incoming.parent.parent / "truth" / f"{Path(name).stem}.json", truth)
        minutes.append(DemoMinute(name, truth))
        on_minute(name)
    return minutes


def run_demo(
    settings: DemoSettings,
    on_minute: Callable[[str], None] = lambda name: None,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> DemoReport:
    """Synthesize the night, process it like ``stationd reprocess``, and collect truth beside results."""
    _prepare_directory(settings.directory)
    config = _config(settings.directory)
    incoming = config.cameras[0].incoming_sd
    incoming.mkdir(parents=True, exist_ok=True)
    report = DemoReport(settings.directory, config)
    report.minutes = synthesize(settings, incoming, on_minute)
    day = START_UTC.strftime("%Y-%m-%d")
    with Station(config) as station:
        report.outcomes = station.reprocess(day, on_outcome=on_outcome, settle_s=0.0).outcomes
        status = station.status(day)
    by_name = {m["file"]: m["candidates"] for m in status["minutes"]}
    records = list(iter_records(StationLayout(config.station.data_dir), day))
    for minute in report.minutes:
        minute.candidates = by_name.get(minute.name)
        minute.meteors = [r for r in records if r["source"]["video"] == minute.name]
    report.published = sync_now(config)  # the embedded local object store: the night's index and products
    with open_outbox(config, read_only=True) as outbox:
        report.objects = [
            {"key": i.key, "kind": i.kind, "size_bytes": i.size_bytes} for i in outbox.items(["done"])
        ]
    return report
