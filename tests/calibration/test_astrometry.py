"""calibration.astrometry: a meteor's points through a plate solution give RMS's FTPdetectinfo columns.

Known answers (``../shared/data/README.md``):
- rms/UK005U_20240809: the night's 12-column FTPdetectinfo (3,046 points) was written by RMS of 2024-07 with
  the per-FF plates of ``platepars_all_recalibrated.json`` (precessed convention); time of a point = FF time +
  Frame# / 25, cut to whole milliseconds. Measured: RA/Dec 0.14 arcsec median, 0.25 at most; az/alt 0.13 /
  0.23 arcsec; magnitudes within 0.005 (the file's two decimals).
- rms/UK0006_20220914: the 9-column FTPdetectinfo of 2022 (legacy convention). The two meteors of the two FF
  files, with the per-FF recalibrated plate RMS used: 0.003 arcmin median, 0.004 at most; magnitudes within
  0.005. With the night's ``platepar_cmn2010.cal`` instead (not the plate that wrote the file): 0.48 and
  2.2 arcmin median, magnitudes 0.17-0.19 fainter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from calibration import (
    MeteorSky,
    meteor_sky,
    parse_platepar,
    parse_recalibrated_platepars,
    solution_summary,
)
from detection import read_ftpdetectinfo


def _sep_arcmin(a1, d1, a2, d2):
    a1, d1, a2, d2 = (np.radians(np.asarray(v, dtype=float)) for v in (a1, d1, a2, d2))
    c = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(a1 - a2)
    return np.degrees(np.arccos(np.clip(c, -1, 1))) * 60.0


def _sky_of(pp, det, *, cut_ms: bool) -> MeteorSky:
    times = []
    for p in det.points:
        t = det.start_utc + timedelta(seconds=p.frame / det.fps)
        times.append(t.replace(microsecond=t.microsecond // 1000 * 1000) if cut_ms else t)
    return meteor_sky(
        pp, [p.x_px for p in det.points], [p.y_px for p in det.points], np.array(times, dtype=object),
        [p.intensity for p in det.points], lat_deg=pp.lat_deg, lon_deg=pp.lon_deg, elevation_m=pp.elevation_m,
    )  # fmt: skip


def _errors(sky: MeteorSky, det) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pts = det.points
    radec = _sep_arcmin(sky.ra_deg, sky.dec_deg, [p.ra_deg for p in pts], [p.dec_deg for p in pts])
    altaz = _sep_arcmin(sky.az_deg, sky.alt_deg, [p.az_deg for p in pts], [p.alt_deg for p in pts])
    dmag = sky.mag - np.array([p.mag for p in pts])
    return radec, altaz, dmag


@pytest.mark.realdata
def test_uk005u_night_reproduced_to_arcseconds(shared_data: Path) -> None:
    night = shared_data / "rms" / "UK005U_20240809"
    pps = parse_recalibrated_platepars(
        (night / "platepars_all_recalibrated.json").read_bytes(), convention="precessed"
    )
    ftp = read_ftpdetectinfo(next(night.glob("FTPdetectinfo_*.txt")))
    radec, altaz, dmag = (np.concatenate(v) for v in zip(
        *(_errors(_sky_of(pps[d.ff_name], d, cut_ms=True), d) for d in ftp.detections), strict=True
    ))  # fmt: skip
    assert len(radec) == 3046
    assert np.max(radec) * 60 < 0.5  # arcsec; measured 0.25
    assert np.max(altaz) * 60 < 0.5  # measured 0.23
    assert np.max(np.abs(dmag)) <= 0.0051  # the file's two decimals


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("plate", "max_arcmin", "dmag"),
    [
        # The per-FF plate that wrote the file: 0.003 arcmin median, 0.004 max; magnitudes to 0.005.
        ("recalibrated", 0.01, (-0.006, 0.006)),
        # The night's .cal: the first meteor 0.48 arcmin median (0.75 max), the second 2.2 (2.36 max).
        ("cal", 2.5, (0.15, 0.21)),
    ],
)
def test_uk0006_meteors_match_ftpdetectinfo(shared_data: Path, plate: str, max_arcmin: float, dmag) -> None:
    night = shared_data / "rms" / "UK0006_20220914"
    cal = parse_platepar((night / "platepar_cmn2010.cal").read_bytes(), convention="legacy")
    recal = parse_recalibrated_platepars(
        (night / "platepars_all_recalibrated.json").read_bytes(), convention="legacy"
    )
    ftp = read_ftpdetectinfo(next(night.glob("FTPdetectinfo_*.txt")))
    ffs = {p.name for p in night.glob("FF_*.fits")}
    dets = [d for d in ftp.detections if d.ff_name in ffs]
    assert [len(d.points) for d in dets] == [21, 20]
    for det in dets:
        pp = recal[det.ff_name] if plate == "recalibrated" else cal
        radec, altaz, dm = _errors(_sky_of(pp, det, cut_ms=False), det)
        assert np.max(radec) < max_arcmin, det.ff_name
        assert np.max(altaz) < max_arcmin, det.ff_name
        assert dmag[0] < np.min(dm) and np.max(dm) < dmag[1], det.ff_name


def _plate():
    from calibration import CameraModel, platepar_from_camera

    cam = CameraModel(1280, 720, az_deg=200.0, alt_deg=45.0, rotation_deg=3.0, fov_h_deg=80.0)
    return platepar_from_camera(cam, 2459837.3958, 51.8831, -1.30616, 80.0)


def test_plate_of_another_site_is_refused() -> None:
    pp = _plate()
    t = datetime(2022, 9, 14, 21, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="not of the station"):
        meteor_sky(pp, [640.0], [360.0], t, [1000.0], lat_deg=45.0, lon_deg=-1.3, elevation_m=80.0)


def test_centre_points_at_the_pointing_and_dark_points_have_no_magnitude() -> None:
    pp = _plate()
    t = datetime(2022, 9, 14, 21, 30, tzinfo=UTC)
    sky = meteor_sky(
        pp, [640.0, 640.0], [360.0, 360.0], t, [1000.0, 0.0], lat_deg=51.8831, lon_deg=-1.30616,
        elevation_m=80.0,
    )  # fmt: skip
    assert abs(sky.az_deg[0] - 200.0) < 0.5 and abs(sky.alt_deg[0] - 45.0) < 0.5
    assert np.isfinite(sky.mag[0]) and np.isnan(sky.mag[1])
    assert 0 <= sky.ra_deg[0] < 360


def test_solution_summary_with_and_without_stars() -> None:
    pp = _plate()
    t = datetime(2022, 9, 14, 21, 30, tzinfo=UTC)
    assert solution_summary(pp, "p1").to_json()["residual_px"] is None
    x, y = np.array([100.0, 600.0, 1100.0]), np.array([100.0, 400.0, 650.0])
    ra, dec = pp.pixel_to_sky(x, y, t)
    summary = solution_summary(
        pp, "p1", star_x_px=x, star_y_px=y + 0.5, star_t_utc=t, star_ra_deg=ra, star_dec_deg=dec
    )
    assert summary.n_stars == 3
    assert summary.residual_px is not None and 0.4 < summary.residual_px < 0.6
