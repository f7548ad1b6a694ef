"""Helpers shared by the OPS tests (retention, health): a small station with minutes in chosen states."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from stationd.config import StationConfig, parse_config
from stationd.config_example import example_config
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute, StateStore
from stationd.stages.results import ScanStageResult

OWNER = "testhost:1:0"


def make_config(data_dir: Path, **sections: Any) -> StationConfig:
    """The example configuration (one camera, cam1, at Oxford) with sections replaced."""
    cfg = parse_config(yaml.safe_load(example_config(data_dir, "XX0001", "cam1", 51.8831, -1.30616, 80)))
    return dataclasses.replace(cfg, **sections)


def minute_name(t: datetime, camera: str = "cam1") -> str:
    return t.strftime("%Y_%m_%d_%H_%M_%S_") + f"{t.microsecond // 1000:03d}_{camera}.mp4"


def write(path: Path, n_bytes: int = 1000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * n_bytes)
    return path


def add_minute(
    store: StateStore,
    layout: StationLayout,
    t: datetime,
    detect: dict[str, Any] | None,
    *,
    scanned: bool = True,
    camera: str = "cam1",
    n_ff: int = 2,
) -> Minute:
    """A minute with its files: scanned (video moved, values, stack, preview, FF) and detected with
    ``detect`` as the result (None: detect still pending). Not scanned: the video waits in incoming/."""
    name = minute_name(t, camera)
    minute, _ = store.register_minute(camera, t, name, layout.incoming(camera) / name)
    if not scanned:
        write(layout.incoming(camera) / name)
        return minute
    day, stem = minute.day, minute.stem
    video = write(layout.video(day, camera) / name)
    write(layout.values(day, camera, stem))
    write(layout.stack(day, camera, stem))
    write(layout.preview(day, camera, stem))
    ff = [f"FF_XX0001_{t:%Y%m%d_%H%M%S}_000_{i * 256:07d}.fits" for i in range(n_ff)]
    for f in ff:
        write(layout.ff_dir(day, camera) / f)
    store.set_paths(minute.id, video)
    assert store.claim(minute.id, "scan", OWNER, "scan/1")
    store.complete(
        minute.id,
        "scan",
        OWNER,
        ScanStageResult(name, 2, 2, 25.0, 1500, tuple(ff), f"{stem}.values.npz", None, 0.0, 0.0).to_json(),
        1.0,
        then=("candidates",),
    )
    if detect is not None:
        assert store.claim(minute.id, "candidates", OWNER, "candidates/1")
        store.complete(minute.id, "candidates", OWNER, detect, 0.1)
    return store.minute(minute.id)


NONE = {"status": "none", "reason": "", "candidates": []}
TOO_MANY = {"status": "too-many", "reason": "flash", "candidates": []}


def candidates(n: int = 1) -> dict[str, Any]:
    return {
        "status": "candidates",
        "reason": "",
        "candidates": [
            {
                "frame_start": i,
                "frame_end": i + 9,
                "start_utc": "2026-07-12T22:00:00.000000Z",
                "end_utc": "2026-07-12T22:00:00.360000Z",
                "n_points": 0,
                "speed_px_frame": 2.0,
                "points": [],
            }
            for i in range(n)
        ],
    }
