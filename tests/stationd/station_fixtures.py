"""A small real station for pipeline tests: a config file and synthetic minute files in incoming/.

The minutes are short (10 s) and small (320x180) so that a test renders and scans several in seconds; each
has a meteor of known frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from detection.synth.sky import Meteor, SkySettings, SkyVideo

T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)
DAY = "2026-08-12"
WIDTH, HEIGHT = 320, 180


def minute_name(i: int, camera: str = "cam1") -> str:
    t = T0 + timedelta(minutes=i)
    return t.strftime("%Y_%m_%d_%H_%M_%S_") + f"{t.microsecond // 1000:03d}_{camera}.mp4"


@dataclass
class SmallStation:
    root: Path
    data_dir: Path
    config_path: Path
    incoming: Path
    names: list[str]
    truth: dict[str, dict[str, Any]]

    def write_minute(
        self,
        i: int,
        duration_s: float = 10.0,
        size: tuple[int, int] = (WIDTH, HEIGHT),
        objects: list[Any] | None = None,
        folder: Path | None = None,
    ) -> Path:
        """Render minute ``i`` into incoming/ (mtime pushed into the past: settled); by default with one
        meteor of about 20 deg/s, else with ``objects`` (positions as fractions of the frame are the
        caller's business). ``folder`` writes elsewhere (an HD twin) without listing the minute."""
        w, h = size
        sky = SkySettings(width_px=w, height_px=h, duration_s=duration_s, seed=100 + i,
                          start_utc=T0 + timedelta(minutes=i))  # fmt: skip
        if objects is None:
            objects = [Meteor(2.0 + 0.3 * i, 1.5, 0.2 * w, 0.25 * h, 0.7 * w, 0.6 * h, peak_snr=15.0)]
        name = minute_name(i)
        path = (folder or self.incoming) / name
        truth = SkyVideo(sky, objects).write(path)
        old = path.stat().st_mtime - 3600
        os.utime(path, (old, old))
        if folder is None:
            self.truth[name] = truth
            self.names.append(name)
        return path


def make_station(tmp_path: Path, n_minutes: int, ff_policy: str = "all", hd: bool = False) -> SmallStation:
    """A station of one 320x180 camera with ``n_minutes`` meteor minutes (``hd``: an HD incoming folder)."""
    data_dir = tmp_path / "data"
    incoming = data_dir / "incoming" / "cam1"
    incoming.mkdir(parents=True)
    raw: dict[str, Any] = {
        "station": {"id": "XX0001", "latitude_deg": 51.88, "longitude_deg": -1.31, "data_dir": str(data_dir)},
        "cameras": [
            {
                "id": "cam1",
                "width_px": WIDTH,
                "height_px": HEIGHT,
                "fps": 25,
                "pointing": {"az_deg": 240, "alt_deg": 40, "fov_h_deg": 88},
            }
        ],
        "processing": {"workers": 1, "ff_policy": ff_policy},
    }
    if hd:
        (data_dir / "incoming" / "cam1-hd").mkdir()
        raw["cameras"][0]["incoming_hd"] = str(data_dir / "incoming" / "cam1-hd")
    config_path = tmp_path / "stationd.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    station = SmallStation(tmp_path, data_dir, config_path, incoming, [], {})
    for i in range(n_minutes):
        station.write_minute(i)
    return station
