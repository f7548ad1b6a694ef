"""Importing an RMS station's FTPdetectinfo and .config as meteor records (real GMN files)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from detection import iso_utc, read_ftpdetectinfo
from detection.timing import parse_iso_utc
from stationd.disk.layout import StationLayout
from stationd.disk.records import iter_records
from stationd.errors import ConfigError
from stationd.imports import RmsStation, import_ftpdetectinfo, read_rms_config
from stationd.schemas import meteor_schema
from stationd.stages.calibrate import Observer

pytestmark = pytest.mark.realdata


def test_rms_config_gives_the_station_and_its_site(shared_data: Path) -> None:
    station = read_rms_config(shared_data / "rms" / "UK0006_20220914" / "dot_config")
    # The file's own values (data/README.md: its stationID reads UK001L, a mix-up in the source).
    assert station == RmsStation("UK001L", Observer(51.8831, -1.30616, 80.0))


def test_a_file_that_is_not_an_rms_config_is_named(tmp_path: Path) -> None:
    bad = tmp_path / ".config"
    bad.write_text("[System]\nstationID: XX0001\nlatitude: north\n")
    with pytest.raises(ConfigError, match=r"\.config:\n.*latitude: got 'north'"):
        read_rms_config(bad)


def _uk009m(shared_data: Path) -> Path:
    return next((shared_data / "correlator" / "UK_20260712" / "UK009M").glob("FTPdetectinfo_*.txt"))


def test_import_writes_one_valid_record_per_detection(shared_data: Path, tmp_path: Path) -> None:
    path = _uk009m(shared_data)
    station = RmsStation("UK009M", Observer(51.878629, 0.919398, 21.0))
    layout = StationLayout(tmp_path)
    report = import_ftpdetectinfo([path], station, layout)
    info = read_ftpdetectinfo(path)
    assert len(report.meteor_ids) == len(info.detections) == 11
    assert report.days == ("2026-07-12", "2026-07-13")
    records = [r for day in report.days for r in iter_records(layout, day)]
    assert sorted(r["meteor_id"] for r in records) == sorted(report.meteor_ids)
    validator = Draft202012Validator(meteor_schema())
    for record in records:
        assert list(validator.iter_errors(record)) == []
    by_start = {r["start_utc"]: r for r in records}
    for d in info.detections:
        first = d.points[0]
        record = by_start[iso_utc(d.time_utc(first.frame))]
        frame = record["frames"][0]
        # FF start + frame / fps (DESIGN 4), to the microsecond
        assert abs(parse_iso_utc(frame["t_utc"]) - d.time_utc(first.frame)) < timedelta(microseconds=1)
        assert (frame["ra_deg"], frame["dec_deg"]) == (round(first.ra_deg, 6), round(first.dec_deg, 6))
        assert (frame["az_deg"], frame["alt_deg"]) == (round(first.az_deg, 6), round(first.alt_deg, 6))
        assert record["observer"] == {"lat_deg": 51.878629, "lon_deg": 0.919398, "elevation_m": 21.0}
        assert record["calibration"]["solution_id"] == f"rms:{d.ff_name}"


def test_import_again_replaces_and_never_duplicates(shared_data: Path, tmp_path: Path) -> None:
    station = RmsStation("UK009M", Observer(51.878629, 0.919398, 21.0))
    layout = StationLayout(tmp_path)
    first = import_ftpdetectinfo([_uk009m(shared_data)], station, layout)
    again = import_ftpdetectinfo([_uk009m(shared_data)], station, layout)
    assert first.meteor_ids == again.meteor_ids
    assert len(list(tmp_path.glob("days/*/*/meteors/*/meteor.json"))) == 11


def test_old_nine_column_files_import_too(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "rms" / "UK0006_20220914"
    station = read_rms_config(folder / "dot_config")
    report = import_ftpdetectinfo(
        sorted(folder.glob("FTPdetectinfo_*.txt")), station, StationLayout(tmp_path)
    )
    assert len(report.meteor_ids) == 43  # data/README.md: the night's 43 detections
