"""Observation files: meteor records and the event files of other networks, and how they fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trajectory import (
    AltAzOfDate,
    ObservationFormatError,
    RaDecJ2000,
    RaDecOfDate,
    Station,
    Track,
    jd_to_utc,
    read_tracks,
    tracks_from_meteor_record,
)


def meteor_record(track: Track, meteor_id: str = "20230213_025913_cam0") -> dict[str, Any]:
    """A calibrated stationd.meteor/1 record of a track (the fields the solver reads)."""
    ra, dec = track.directions.radec_j2000_deg(track.station, track.t_utc)
    frames = [
        {"frame": i, "t_utc": str(t) + "Z", "x_px": 1.0, "y_px": 2.0, "intensity": 10.0,
         "ra_deg": float(r) % 360.0, "dec_deg": float(d), "mag": 1.5}
        for i, (t, r, d) in enumerate(zip(track.t_utc, ra, dec, strict=True))
    ]  # fmt: skip
    s = track.station
    observer = {"lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "elevation_m": s.elevation_m}
    return {
        "schema": "stationd.meteor/1", "meteor_id": meteor_id, "station": s.station_id, "camera": "cam0",
        "frames": frames, "observer": observer,
    }  # fmt: skip


def test_a_meteor_record_becomes_a_j2000_track() -> None:
    station = Station("UK0006", 51.8831, -1.30616, 80.0)
    t = np.array(["2022-09-14T19:49:13.567316", "2022-09-14T19:49:13.607316"], dtype="datetime64[us]")
    track = Track(station, t, RaDecJ2000(np.array([269.75, 269.06]), np.array([30.56, 29.61])))
    (back,) = tracks_from_meteor_record(meteor_record(track))
    assert back.station == station and back.camera == "20230213_025913_cam0"
    assert isinstance(back.directions, RaDecJ2000)
    np.testing.assert_array_equal(back.t_utc, t)
    np.testing.assert_allclose(back.directions.ra_deg, [269.75, 269.06])
    assert back.mag is not None and list(back.mag) == [1.5, 1.5]


def test_an_uncalibrated_record_is_refused_with_its_reason(tmp_path: Path) -> None:
    record = {"schema": "stationd.meteor/1", "station": "XX0001", "frames": [], "observer": None}
    path = tmp_path / "meteor.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ObservationFormatError, match="not calibrated") as info:
        read_tracks([path])
    assert info.value.source == str(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("{not json", "invalid JSON"), ('{"hello": 1}', "not a meteor record"), ("plain words", "not a meteor")],
)
def test_unknown_or_broken_files_name_the_file_and_the_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(text)
    with pytest.raises(ObservationFormatError, match=reason):
        read_tracks([path])


def test_julian_dates_and_seconds_become_microsecond_utc() -> None:
    t = jd_to_utc(2451545.0, np.array([0.0, 0.04, 1.5]))
    assert [str(x) for x in t] == ["2000-01-01T12:00:00.000000", "2000-01-01T12:00:00.040000",
                                   "2000-01-01T12:00:01.500000"]  # fmt: skip


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("files", "tracks", "points", "kind"),
    [
        (["2023CX1_20230213/20230213_025913_trajectory.json"], 4, 241, RaDecOfDate),
        (["DFN_DN141125_01/inputs/*.ecsv"], 3, 459, AltAzOfDate),
        (["CMN_2017030506/*.txt"], 2, 369, RaDecJ2000),
        (["RU_20190427/wmpl_trajectory_test_event.json"], 2, 97, RaDecOfDate),
        (["PER_20230730/observations.json"], 11, 122, RaDecOfDate),  # its note says az/alt: meas1 is RA
        (["ORI_CAMO_20191023/observations.json"], 4, 49, RaDecOfDate),
    ],
    ids=["2023CX1", "DFN", "CMN", "RU", "PER", "ORI"],
)
def test_every_event_file_of_the_shared_data_reads(
    shared_data: Path, files: list[str], tracks: int, points: int, kind: type
) -> None:
    base = shared_data / "trajectories"
    paths = sorted(p for pattern in files for p in base.glob(pattern))
    read = read_tracks(paths)
    assert len(read) == tracks
    assert sum(len(t) for t in read) == points
    assert all(isinstance(t.directions, kind) for t in read)
    assert all(np.all(np.diff(t.t_utc) >= np.timedelta64(0, "us")) for t in read)
