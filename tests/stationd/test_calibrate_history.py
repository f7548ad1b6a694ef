"""A camera's solution history on disk, the calibration alerts, and the guarded rewrite of records."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calibration import CameraModel, platepar_from_camera
from calibration.sky import julian_date
from detection.timing import VideoTime
from stationd.disk.layout import StationLayout
from stationd.disk.records import build_record, read_record, write_record
from stationd.disk.state import Minute
from stationd.ops.health import CALIBRATION_FAILURES, _calibration_alerts
from stationd.stages import calibrate
from stationd.stages.calibrate import Observer, RecordChanged, plate_of, recalibrate_records
from stationd.stages.calibration_history import CalibrationHistory
from stationd.stages.results import CalibrateStageResult

T0 = datetime(2026, 8, 12, 22, 0, 0, tzinfo=UTC)
LAT, LON = 51.88, -1.31


def _plate(d_ra: float = 0.0):
    cam = CameraModel(1280, 720, az_deg=240.0, alt_deg=40.0, rotation_deg=0.0, fov_h_deg=88.0)
    pp = platepar_from_camera(cam, julian_date(T0), LAT, LON, 0.0)
    return replace(pp, ra_ref_deg=pp.ra_ref_deg + d_ra, mag_lev=9.0)


def _write(history: CalibrationHistory, minutes: int, status: str, d_ra: float = 0.0) -> Path:
    return history.write(
        T0 + timedelta(minutes=minutes), _plate(d_ra), {"status": status, "n_stars": 100}, []
    )


def test_history_nearest_accepted_jumps_and_latest(tmp_path: Path) -> None:
    history = CalibrationHistory(tmp_path / "calibration" / "cam1")
    assert history.nearest_accepted(T0) is None and history.before(T0) == ([], [])
    _write(history, 0, "accepted")
    _write(history, 10, "jump", d_ra=1.0)
    _write(history, 20, "accepted", d_ra=0.01)
    _write(history, 30, "jump", d_ra=1.0)
    entries = history.entries(T0)
    assert [e.status for e in entries] == ["accepted", "jump", "accepted", "jump"]
    assert history.nearest_accepted(T0 + timedelta(minutes=12)).t_utc == T0 + timedelta(minutes=20)
    accepted, jumps = history.before(T0 + timedelta(minutes=40))
    assert len(accepted) == 2 and len(jumps) == 1  # only the jump after the last accepted solution
    latest = json.loads(history.latest_path.read_text())
    assert latest["stationd"]["status"] == "accepted" and abs(latest["RA_d"] - _plate(0.01).ra_ref_deg) < 1e-9
    layout = StationLayout(tmp_path)
    assert calibrate.camera_plate(layout, "cam1") is not None  # latest.cal is the camera's current plate
    assert calibrate.camera_plate(layout, "cam1", include_latest=False) is None


def _minute(i: int) -> Minute:
    t = T0 + timedelta(minutes=i)
    return Minute(i, "cam1", t, "2026-08-12", f"m{i}.mp4", Path(f"m{i}.mp4"), None)


def test_alerts_for_a_moved_camera_and_for_a_clear_sky_that_cannot_be_calibrated() -> None:
    moved = [
        (_minute(0), CalibrateStageResult("accepted")),
        (_minute(10), CalibrateStageResult("jump")),
        (_minute(11), CalibrateStageResult("moved", "the camera moved by 1.2 deg", change_deg=1.2)),
    ]
    (alert,) = _calibration_alerts("cam1", moved)
    assert alert.key == "camera-moved:cam1" and "1.2 deg" in alert.message
    failing = [
        (_minute(i), CalibrateStageResult("failed", "only 3 stars matched"))
        for i in range(CALIBRATION_FAILURES)
    ]
    (alert,) = _calibration_alerts("cam1", failing)
    assert alert.key == "calibration:cam1" and alert.severity == "error" and "clear" in alert.message
    assert _calibration_alerts("cam1", failing[:-1]) == []
    assert _calibration_alerts("cam1", [*failing, (_minute(99), CalibrateStageResult("accepted"))]) == []


def _record() -> dict[str, Any]:
    frames = [
        {"frame": f, "x_px": 600.0 + 5 * f, "y_px": 300.0 + 3 * f, "intensity": 800.0} for f in range(5)
    ]
    detection = {
        "frames": frames,
        "line": {"x_begin_px": 600.0, "y_begin_px": 300.0, "x_end_px": 620.0, "y_end_px": 312.0},
        "checks": {},
        "fireball": False,
    }
    source = {"video": "m0.mp4", "ff_files": [], "hd_video": None}
    clock = VideoTime(T0, 25.0)
    return build_record(
        station="XX0001", camera="cam1", clock=clock, detection=detection, source=source, products={}
    )


def test_records_calibrated_and_a_record_replaced_meanwhile_is_not_overwritten(
    tmp_path: Path, monkeypatch
) -> None:
    layout = StationLayout(tmp_path)
    history = CalibrationHistory(layout.calibration_dir("cam1"))
    plate = plate_of(_write(history, 0, "accepted"))
    assert plate is not None
    record = _record()
    write_record(layout, "2026-08-12", record, lambda folder: {})
    observer = Observer(LAT, LON, 0.0)
    done = recalibrate_records(layout, "2026-08-12", "cam1", "m0.mp4", plate, observer)
    assert done == [record["meteor_id"]]
    again = read_record(layout.meteor_dir("2026-08-12", "cam1", record["meteor_id"]))
    assert "ra_deg" in again["frames"][0] and again["frames"][0]["mag"] < 5
    assert again["calibration"]["solution_id"].startswith("20260812_220000.cal#")

    real = calibrate.calibrate_record

    def verify_replaces_it(rec: dict[str, Any], *args: Any) -> dict[str, Any]:
        out = real(rec, *args)
        write_record(layout, "2026-08-12", {**_record(), "fireball": True}, lambda folder: {})  # verify again
        return out

    monkeypatch.setattr(calibrate, "calibrate_record", verify_replaces_it)
    with pytest.raises(RecordChanged, match="replaced while it was being calibrated"):
        recalibrate_records(layout, "2026-08-12", "cam1", "m0.mp4", plate, observer)
    kept = read_record(layout.meteor_dir("2026-08-12", "cam1", record["meteor_id"]))
    assert kept["fireball"] is True and kept["calibration"] is None  # verify's record stands


def test_the_night_lens_is_refitted_on_the_pooled_stars(tmp_path: Path) -> None:
    from calibration import load_hipparcos
    from calibration.fit import _fit_reverse
    from stationd import parse_config
    from stationd.disk.state import StateStore
    from stationd.stages.night_refit import night_lens, refit_nights, with_lens

    truth = _fit_reverse(replace(_plate(), x_poly_fwd=(0.0, 0.0, 0.08), x_poly_rev=(0.0, 0.0, 0.08)))
    cat = load_hipparcos(5.0)
    history = CalibrationHistory(tmp_path / "calibration" / "cam1")
    for k in range(4):  # four solutions of the night without distortion, their stars from the true lens
        t = T0 + timedelta(minutes=30 * k)
        x, y = truth.sky_to_pixel_inverse(cat.ra_deg, cat.dec_deg, t)
        ok = (x > 5) & (x < 1274) & (y > 5) & (y < 714)
        jd = julian_date(t)
        cols = zip(x[ok], y[ok], cat.ra_deg[ok], cat.dec_deg[ok], strict=True)
        rows = [[jd, float(a), float(b), 100.0, float(r), float(d), 3.0] for a, b, r, d in cols]
        history.write(t, _plate(), {"status": "accepted", "residual_px": 2.0}, rows)
    raw = {
        "station": {"id": "XX0001", "latitude_deg": LAT, "longitude_deg": LON, "data_dir": str(tmp_path)},
        "cameras": [{"id": "cam1", "width_px": 1280, "height_px": 720, "fps": 25}],
        "processing": {"workers": 1},
    }
    with StateStore(tmp_path / "state.sqlite3") as store:
        written = refit_nights(parse_config(raw), store, T0 - timedelta(hours=1), T0 + timedelta(hours=8))
    assert written == [str(tmp_path / "calibration" / "cam1" / "nights" / "2026-08-12.cal")]
    lens = night_lens(history, T0 + timedelta(hours=1))
    assert lens is not None and lens.residual_px < 0.05 < lens.before_px and lens.n_stars > 400
    assert abs(lens.platepar.x_poly_fwd[2] - 0.08) < 0.002
    assert night_lens(history, T0 - timedelta(days=1)) is None  # a lens applies from its night on
    moved = with_lens(_plate(0.3), lens.platepar)
    assert moved.x_poly_fwd == lens.platepar.x_poly_fwd and moved.ra_ref_deg == _plate(0.3).ra_ref_deg


def test_reprocess_from_the_calibrate_stage_and_minutes_that_predate_it(tmp_path: Path) -> None:
    """``stationd reprocess DAY --stage calibrate`` runs the stage alone; a minute verified before the stage
    existed (no calibrate row in the state store) gets it too."""
    from click.testing import CliRunner

    from cli.main import cli
    from stationd.disk.state import StateStore
    from tests.stationd.station_fixtures import DAY, make_station

    station = make_station(tmp_path, 1)
    runner = CliRunner()
    first = runner.invoke(cli, ["reprocess", DAY, "--config", str(station.config_path), "--json"])
    assert first.exit_code == 0, first.output
    with StateStore(station.data_dir / "state.sqlite3") as store:
        (minute,) = store.minutes(day=DAY)
        assert store.runs(minute.id)["calibrate"].status == "done"
        with store._transaction() as db:  # as a store of before the stage: no calibrate row
            db.execute("DELETE FROM stage_runs WHERE stage='calibrate'")
    args = ["reprocess", DAY, "--stage", "calibrate", "--config", str(station.config_path), "--json"]
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["stages"] == ["calibrate"] and report["outcomes"]["done"] == 1


def test_old_history_keeps_one_accepted_solution_a_day(tmp_path: Path) -> None:
    history = CalibrationHistory(tmp_path / "calibration" / "cam1")
    for minutes, status in ((0, "accepted"), (10, "accepted"), (20, "jump"), (24 * 60, "accepted")):
        _write(history, minutes, status)
    now = T0 + timedelta(days=31)
    assert history.prune(now, keep_days=30) == 2  # 22:00 and the jump of the first day go
    assert [p.name for p in sorted(history.history_dir.glob("*.cal"))] == [
        "20260812_221000.cal", "20260813_220000.cal"]  # fmt: skip
    assert history.prune(T0 + timedelta(days=5), keep_days=30) == 0
