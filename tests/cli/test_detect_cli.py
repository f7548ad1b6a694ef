"""``stationd detect FILE... [--json]`` without a station, and ``stationd export`` of a day."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli.main import cli
from detection import read_ftpdetectinfo
from detection.synth.sky import Meteor, SkySettings, SkyVideo
from detection.timing import parse_iso_utc
from stationd.schemas import detection_schema
from tests.stationd.station_fixtures import DAY, make_station

UK0006 = "rms/UK0006_20220914"
FF_FILES = ("FF_UK0006_20220914_194911_205_0079616.fits", "FF_UK0006_20220914_200017_020_0096000.fits")


def _validate(detections: list[dict]) -> None:
    validator = jsonschema.Draft202012Validator(detection_schema())
    for d in detections:
        validator.validate(d)


@pytest.mark.realdata
def test_detect_on_real_rms_ff_files_prints_schema_valid_detections(shared_data: Path) -> None:
    paths = [str(shared_data / UK0006 / name) for name in FF_FILES]
    mask = str(shared_data / UK0006 / "mask.bmp")
    # platepar_cmn2010.cal of UK0006: about 15.66 px/deg.
    result = CliRunner().invoke(cli, ["detect", *paths, "--scale", "15.66", "--mask", mask, "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)
    assert [f["kind"] for f in files] == ["ff", "ff"]
    assert [len(f["detections"]) for f in files] == [1, 1]
    for f in files:
        _validate(f["detections"])
        assert f["start_utc"].startswith("2022-09-14T")
    # FTPdetectinfo of that night: the first meteor runs from frame 59 near (499, 42) to frame 79.5 near
    # (468, 360).
    first = files[0]["detections"][0]["frames"]
    assert abs(first[0]["frame"] - 59) <= 2 and abs(first[-1]["frame"] - 79) <= 2


def test_detect_reports_a_meteor_in_a_video_and_names_an_unreadable_file(tmp_path: Path) -> None:
    sky = SkySettings(width_px=320, height_px=240, duration_s=6.0, fps=30.0, seed=5)
    video = tmp_path / "clip.avi"
    # 200 px in 2.5 s at 320 px / 120 deg: 30 deg/s.
    SkyVideo(sky, [Meteor(2.0, 2.5, 60.0, 50.0, 260.0, 50.0, peak_snr=20.0)]).write(video)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    result = CliRunner().invoke(cli, ["detect", str(video), str(junk), "--fov", "120", "--json", "--all"])
    assert result.exit_code == 1
    files = json.loads(result.stdout)
    assert files[0]["ok"] and files[0]["kind"] == "video" and files[0]["fps"] == 30.0
    assert len(files[0]["detections"]) == 1
    _validate(files[0]["detections"])
    assert all(r["reasons"] for r in files[0]["rejected"])
    assert files[1] == {"path": str(junk), "ok": False, "reason": files[1]["reason"]} and files[1]["reason"]

    table = CliRunner().invoke(cli, ["detect", str(video), "--fov", "120"])
    assert table.exit_code == 0 and "│ meteor" in table.output  # the verdict cell, not the title


def test_export_of_a_day_without_meteors_writes_nothing(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    result = CliRunner().invoke(cli, ["export", DAY, "--config", str(station.config_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"files": []}


def test_detect_of_a_still_image_fails_saying_it_is_not_a_video(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    still = tmp_path / "sky.png"
    assert cv2.imwrite(str(still), np.full((48, 64), 30, np.uint8))
    result = CliRunner().invoke(cli, ["detect", str(still)])
    assert result.exit_code == 1, result.output
    assert "not a video: 1 frame" in " ".join(result.stderr.split())
    assert "no meteor" not in result.stdout
    as_json = CliRunner().invoke(cli, ["detect", str(still), "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)[0]["reason"].startswith("not a video: 1 frame")


@pytest.mark.realdata
def test_detect_of_a_truncated_ff_file_prints_one_message_ours(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / UK0006 / FF_FILES[0]).read_bytes()
    cut = tmp_path / FF_FILES[0]
    cut.write_bytes(data[: len(data) // 2])
    result = CliRunner().invoke(cli, ["detect", str(cut), "--json"])
    assert result.exit_code == 1, result.output
    assert "WARNING" not in result.stderr and "astropy" not in result.stderr
    assert "cut short (truncated)" in json.loads(result.stdout)[0]["reason"]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot search {cut}")


@pytest.mark.realdata
def test_detect_with_a_platepar_gives_each_point_rmss_sky_position(shared_data: Path) -> None:
    """Issue 12 item 6: ``detect --platepar``. Known answer: the night's FTPdetectinfo (RMS, per-FF
    recalibrated plates) gives RA/Dec for the same frames; the station's plate (fitted with RMS's legacy
    pointing convention, data/README.md) must put our centroids within arcminutes of them."""
    folder = shared_data / UK0006
    args = ["detect", str(folder / FF_FILES[0]), "--scale", "15.66", "--mask", str(folder / "mask.bmp")]
    plate = ["--platepar", str(folder / "platepar_cmn2010.cal"), "--convention", "legacy", "--json"]
    result = CliRunner().invoke(cli, [*args, *plate])
    assert result.exit_code == 0, result.output
    (detection,) = json.loads(result.stdout)[0]["detections"]
    _validate([detection])
    assert detection["observer"] == {"lat_deg": 51.8831, "lon_deg": -1.30616, "elevation_m": 80.0}
    assert detection["calibration"]["convention"] == "legacy"
    assert detection["calibration"]["residual_px"] < 0.2  # its star list: 0.11 px (data/README.md)
    (info,) = [read_ftpdetectinfo(p) for p in folder.glob("FTPdetectinfo_*.txt")]
    (rms,) = [d for d in info.detections if d.ff_name == FF_FILES[0]]
    ours = {f["frame"]: f for f in detection["frames"]}
    start = parse_iso_utc(json.loads(result.stdout)[0]["start_utc"])
    assert parse_iso_utc(detection["frames"][0]["t_utc"]) > start
    seps = []
    for p in rms.points:
        f = ours.get(round(p.frame))
        if f is None or abs(f["frame"] - p.frame) > 0.3 or p.ra_deg is None or p.dec_deg is None:
            continue
        dra = (f["ra_deg"] - p.ra_deg + 180.0) % 360.0 - 180.0
        cos_dec = abs(math.cos(math.radians(p.dec_deg)))
        seps.append(60.0 * ((dra * cos_dec) ** 2 + (f["dec_deg"] - p.dec_deg) ** 2) ** 0.5)
    seps.sort()
    print(f"\n{len(seps)} common frames: median {seps[len(seps) // 2]:.2f} arcmin from RMS's RA/Dec")
    assert len(seps) >= 10
    assert seps[len(seps) // 2] < 2.0  # centroids differ by ~0.1-0.5 px (~0.5-2 arcmin at 15.66 px/deg)
    assert all("mag" in f for f in detection["frames"] if f["intensity"] > 0)
