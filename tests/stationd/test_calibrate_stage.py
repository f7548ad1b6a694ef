"""The calibrate stage on a synthetic station night: no plate given, the configured pointing 5 deg off.

Truth: the synthetic sky generator (``detection.synth``) puts Hipparcos stars and meteors through a known
camera model (az 240, alt 40, rotation 0, 88 deg, equidistant) for the site and time; the station's
configuration says az 244, alt 37, rotation 2 (about 5 deg off). The stage must make its first
calibration from that guess, recalibrate on every meteor minute and give the meteors sky positions and
magnitudes. The sky positions are compared with the truth camera's direction of the record's own measured
pixel at the frame's time (what calibration decides; detection's centroid errors are measured apart), the
magnitudes with the generator's: a frame's total meteor light ``F`` (DN) is, for the generator's stars,
the magnitude ``star_mag_1dn - 2.5 log10(F) - extinction_mag (X - 1)`` (X: airmass at the meteor).

Measured: 0.30 arcmin median (0.57 at the 90th percentile) over 77 points of three meteors, magnitudes
0.11 mag median absolute difference (median -0.09).

Caveat of the truth: the generator has no refraction; the plate model refracts (RMS's, for real skies), so
its pointing fit absorbs the mean and leaves the differential refraction across the field (0.5-2 arcmin
between 60 and 20 deg of altitude) in the comparison.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import yaml

from calibration import altaz_to_radec, julian_date
from detection.synth._objects import VideoGeometry, make_drawer
from detection.synth._stars import airmass
from detection.synth.sky import Meteor, SkySettings, SkyVideo
from detection.timing import parse_iso_utc
from stationd import parse_config
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.stages.calibrate import calibrate_day
from stationd.stages.calibration_history import CalibrationHistory
from stationd.station import Station

T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)
DAY = "2026-08-12"
LAT, LON = 51.88, -1.31
METEORS = [
    Meteor(3.0, 1.2, 300.0, 220.0, 700.0, 430.0, peak_snr=25.0),
    Meteor(4.0, 1.0, 900.0, 150.0, 1050.0, 500.0, peak_snr=25.0),
    Meteor(2.5, 1.4, 200.0, 560.0, 600.0, 380.0, peak_snr=25.0),
]


def _sep_arcmin(a1, d1, a2, d2):
    a1, d1, a2, d2 = (np.radians(np.asarray(v, dtype=float)) for v in (a1, d1, a2, d2))
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(a1 - a2)
    return np.degrees(np.arccos(np.clip(c, -1, 1))) * 60.0


def _settings(i: int) -> SkySettings:
    return SkySettings(width_px=1280, height_px=720, duration_s=11.0, seed=40 + i, lat_deg=LAT, lon_deg=LON,
                       start_utc=T0 + timedelta(minutes=i))  # fmt: skip


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("night")
    data_dir = tmp / "data"
    incoming = data_dir / "incoming" / "cam1"
    incoming.mkdir(parents=True)
    raw = {
        "station": {"id": "XX0001", "latitude_deg": LAT, "longitude_deg": LON, "elevation_m": 0,
                    "data_dir": str(data_dir)},
        "cameras": [{"id": "cam1", "width_px": 1280, "height_px": 720, "fps": 25,
                     "pointing": {"az_deg": 244, "alt_deg": 37, "rotation_deg": 2, "fov_h_deg": 88}}],
        "processing": {"workers": 1, "ff_policy": "candidates"},
    }  # fmt: skip
    (tmp / "stationd.yaml").write_text(yaml.safe_dump(raw))
    light: dict[str, Any] = {}
    for i, meteor in enumerate(METEORS):
        t = T0 + timedelta(minutes=i)
        name = t.strftime("%Y_%m_%d_%H_%M_%S_000_cam1.mp4")
        s = _settings(i)
        SkyVideo(s, [meteor]).write(incoming / name)
        # The meteor's light per frame, as the generator draws it (no noise, no clipping).
        drawer = make_drawer(meteor, VideoGeometry(s.width_px, s.height_px, s.fps, s.n_frames, s.noise_dn))
        light[name] = {f: float(p[2].sum()) for f, p in drawer.patches.items()}  # type: ignore[attr-defined]
    # 22:10, on the recalibration grid, without a meteor: its FF files are dropped (policy "candidates"),
    # so its stars come from the minute's max-pixel stack.
    SkyVideo(_settings(10)).write(
        incoming / (T0 + timedelta(minutes=10)).strftime("%Y_%m_%d_%H_%M_%S_000_cam1.mp4")
    )
    config = parse_config(raw)
    with Station(config) as station:
        report = station.reprocess(DAY, settle_s=0.0)
    assert report.ok, [o.error for o in report.outcomes if o.error]
    return config, light


def _errors(records: list[dict[str, Any]], light: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Per point: the RA/Dec error (arcmin) against the truth camera's direction of the measured pixel,
    and the magnitude error against the generator's light of the frame."""
    truth_cam = _settings(0).cam
    s = _settings(0)
    errors, dmag = [], []
    for record in records:
        for f in record["frames"]:
            jd = julian_date(parse_iso_utc(f["t_utc"]))
            az, alt = truth_cam.pixel_to_altaz(f["x_px"], f["y_px"])
            ra, dec = altaz_to_radec(az, alt, jd, LAT, LON)
            errors.append(float(_sep_arcmin(f["ra_deg"], f["dec_deg"], ra, dec)))
            flux = light[record["source"]["video"]].get(f["frame"])
            if flux and "mag" in f:
                true_mag = s.star_mag_1dn - 2.5 * math.log10(flux) - s.extinction_mag * (airmass(alt) - 1.0)
                dmag.append(f["mag"] - float(true_mag))
    return errors, dmag


@pytest.mark.slow
def test_night_calibrated_from_a_guess_5_deg_off(night) -> None:
    config, light = night
    layout = StationLayout(config.station.data_dir)
    records = list(iter_records(layout, DAY, "cam1"))
    assert len(records) == len(METEORS)
    history = CalibrationHistory(layout.calibration_dir("cam1"))
    entries = history.entries(T0)
    assert len(entries) == len(METEORS) + 1 and all(e.accepted for e in entries)
    assert [e.info["source"] for e in entries] == ["ff", "ff", "ff", "stack"]
    assert entries[-1].info["zero_point"] is None  # a max-pixel stack is no photometry: zero point kept
    assert entries[-1].platepar.mag_lev == entries[-2].platepar.mag_lev
    assert (layout.calibration_dir("cam1") / "latest.cal").is_file()
    for record in records:
        assert record["calibration"]["solution_id"].startswith(entries[0].path.name[:9])  # history/…cal#sha
        assert record["calibration"]["n_stars"] > 50
        # the magnitudes' zero point and its scatter over the solution's stars (from an FF average)
        assert record["calibration"]["mag_lev"] > 0 and 0 < record["calibration"]["mag_scatter"] < 0.5
        assert record["observer"] == {"lat_deg": LAT, "lon_deg": LON, "elevation_m": 0.0}
    errors, dmag = _errors(records, light)
    median_arcmin = float(np.median(errors))
    print(f"RA/Dec error vs truth: median {median_arcmin:.2f} arcmin, p90 {np.percentile(errors, 90):.2f} "
          f"({len(errors)} points); magnitude: median {np.median(dmag):+.2f}, "
          f"median |d| {np.median(np.abs(dmag)):.2f} ({len(dmag)} points)")  # fmt: skip
    assert median_arcmin < 1.5  # measured 0.30 arcmin median, 0.57 at the 90th percentile
    assert len(dmag) > 50 and float(np.median(np.abs(dmag))) < 0.3  # measured 0.11 (median -0.09)
    (exported,) = (layout.exports(DAY) / "cam1").glob("FTPdetectinfo_*.txt")
    assert "Calibrated with stationd" in exported.read_text()
    plate = json.loads((layout.exports(DAY) / "cam1" / "platepar_cmn2010.cal").read_text())
    assert plate["stationd"]["status"] == "accepted" and plate["mag_lev"] > 5


@pytest.mark.slow
def test_calibrate_night_again_beside_the_state_store(night) -> None:
    """``stationd calibrate --night``: the lens refitted on the day's pooled stars when that improves the
    residual, the stage run again through the claims; the meteors stay calibrated as well (measured: the
    pooled lens 0.170 px against the solutions' 0.202 px, not kept; when it was kept the meteors were 0.35
    arcmin off instead of 0.30: the truth has no distortion for a lens refit to find)."""
    config, light = night
    report = calibrate_day(config, DAY)
    assert report.calibrated == {"cam1": len(METEORS)} and not report.failed and not report.without_plate
    records = list(iter_records(StationLayout(config.station.data_dir), DAY, "cam1"))
    errors, dmag = _errors(records, light)
    print(f"after calibrate --night (lens {report.lenses}): RA/Dec median {np.median(errors):.2f} arcmin, "
          f"magnitudes median |d| {np.median(np.abs(dmag)):.2f}")  # fmt: skip
    assert float(np.median(errors)) < 1.5 and float(np.median(np.abs(dmag))) < 0.3
