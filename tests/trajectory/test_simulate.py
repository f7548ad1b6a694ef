"""The event simulator: noise-free sight lines pass through the true track; events follow the file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import erfa
import numpy as np
import pytest
from astropy.time import Time
from numpy.typing import NDArray

from trajectory.simulate import (
    EventSimulator,
    GmnTrajectory,
    SimulatedEvent,
    SimulatedStation,
    SimulationSettings,
    StationSite,
    read_gmn_summary,
    read_station_sites,
)

_SUMMARY = "trajectories/traj_summary_20220304_solrange_344.0-345.0.txt"
_STATIONS = "correlator/UK_20260712/stations.json"
_ARCMIN_DEG = 1.0 / 60.0

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def inputs(shared_data: Path) -> tuple[list[GmnTrajectory], list[StationSite]]:
    return read_gmn_summary(shared_data / _SUMMARY), read_station_sites(shared_data / _STATIONS)


def _unit(lon_deg: NDArray[np.float64], lat_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = np.deg2rad(lon_deg), np.deg2rad(lat_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _station_eci_m(
    event: SimulatedEvent, station: SimulatedStation, t_true_s: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The station in ECI of date, by ERFA directly: WGS84 position turned by GMST (IAU 1982, UT1 = UTC)."""
    ecef = erfa.gd2gc(1, np.deg2rad(station.lon_deg), np.deg2rad(station.lat_deg), station.elevation_m)
    jd = Time(event.t_ref_utc).jd1, Time(event.t_ref_utc).jd2
    gmst = erfa.gmst82(jd[0], jd[1] + t_true_s / 86_400.0)
    c, s = np.cos(gmst), np.sin(gmst)
    turned = [c * ecef[0] - s * ecef[1], s * ecef[0] + c * ecef[1], np.full_like(c, ecef[2])]
    return np.stack(turned, axis=-1)


def _lines_of_date(event: SimulatedEvent, station: SimulatedStation) -> NDArray[np.float64]:
    """The recorded RA/Dec J2000 as unit vectors on the mean equator and equinox of date (IAU 1976)."""
    precession = erfa.pmat76(Time(event.t_ref_utc).tt.jd, 0.0)
    return _unit(station.ra_deg, station.dec_deg) @ precession.T  # type: ignore[no-any-return]


def test_noise_free_sight_lines_pass_through_the_true_track(
    inputs: tuple[list[GmnTrajectory], list[StationSite]],
) -> None:
    simulator = EventSimulator(*inputs, SimulationSettings(noise_arcmin=0.0))
    n_points = 0
    for event in simulator.simulate_many(25, seed=3):
        for station, clock_offset in zip(event.stations, event.truth.clock_offsets_s, strict=True):
            t_true = station.t_rel_s - clock_offset
            meteor = event.truth.position_eci_m(t_true)
            station_eci = _station_eci_m(event, station, t_true)
            lines = _lines_of_date(event, station)
            miss_m = np.linalg.norm(np.cross(meteor - station_eci, lines), axis=1)
            assert np.max(miss_m) < 0.5  # metres, at 100-500 km
            assert np.all(np.sum((meteor - station_eci) * lines, axis=1) > 0)  # in front, not behind
            # az/alt of date: the same line in the station's east-north-up axes.
            up = _unit(np.array(station.lon_deg), np.array(station.lat_deg))
            east = np.cross([0.0, 0.0, 1.0], up) / np.linalg.norm(np.cross([0.0, 0.0, 1.0], up))
            north = np.cross(up, east)
            local = _unit(90.0 - station.az_deg, station.alt_deg)  # (east, north, up) components
            gmst = np.arctan2(station_eci[:, 1], station_eci[:, 0]) - np.arctan2(up[1], up[0])
            c, s = np.cos(gmst), np.sin(gmst)
            ecef_lines = np.stack(
                [c * lines[:, 0] + s * lines[:, 1], -s * lines[:, 0] + c * lines[:, 1], lines[:, 2]], axis=-1
            )
            expected = np.stack([ecef_lines @ east, ecef_lines @ north, ecef_lines @ up], axis=-1)
            np.testing.assert_allclose(local, expected, atol=1e-9)
            assert np.all(station.alt_deg >= simulator.settings.min_elevation_deg)
            n_points += len(t_true)
    assert n_points > 25 * 2 * 4


def test_noise_is_one_arcmin_per_axis(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    simulator = EventSimulator(*inputs)
    errors_deg = []
    for event in simulator.simulate_many(60, seed=5):
        for station, clock_offset in zip(event.stations, event.truth.clock_offsets_s, strict=True):
            t_true = station.t_rel_s - clock_offset
            true_lines = event.truth.position_eci_m(t_true) - _station_eci_m(event, station, t_true)
            true_lines /= np.linalg.norm(true_lines, axis=1, keepdims=True)
            cos = np.clip(np.sum(true_lines * _lines_of_date(event, station), axis=1), -1.0, 1.0)
            errors_deg.extend(np.rad2deg(np.arccos(cos)))
    errors = np.array(errors_deg) / _ARCMIN_DEG
    # Two Gaussian axes of 1 arcmin: the total offset is Rayleigh, mean square 2, median sqrt(2 ln 2) = 1.18.
    assert len(errors) > 1000
    assert np.sqrt(np.mean(errors**2) / 2) == pytest.approx(1.0, rel=0.05)
    assert np.median(errors) == pytest.approx(np.sqrt(2 * np.log(2)), rel=0.05)


def test_timing_frames_phases_and_clocks(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    events = EventSimulator(*inputs).simulate_many(80, seed=11)
    phases, offsets, first = [], [], []
    for event in events:
        assert 2 <= len(event.stations) <= 8
        for station, clock_offset in zip(event.stations, event.truth.clock_offsets_s, strict=True):
            steps = np.diff(station.t_rel_s)
            np.testing.assert_allclose(steps, 1 / 25, atol=1e-9)  # 25 fps, no frame skipped
            phases.append(((station.t_rel_s[0] - clock_offset) * 25) % 1.0)
            offsets.append(clock_offset)
            assert len(station.t_rel_s) >= 4
        truth = event.truth
        assert 0.0 <= truth.t_first_s < truth.t_last_s <= truth.duration_s
        first.append(truth.t_first_s)
    assert np.std(phases) > 0.2  # frame phases spread over the frame (uniform: 0.29)
    assert np.std(offsets) == pytest.approx(0.01, rel=0.25)  # clocks off by 10 ms rms
    assert np.median(first) < 1 / 25  # a station sees the beginning (unless it is below 15 deg there)


def test_truth_re_flies_the_gmn_trajectory(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    rows = {row.trajectory_id: row for row in inputs[0]}
    for event in EventSimulator(*inputs).simulate_many(40, seed=2):
        truth, row = event.truth, rows[event.truth.source_trajectory_id]
        assert event.t_ref_utc == truth.t_ref_utc == row.begin_utc
        assert (truth.begin_lat_deg, truth.begin_lon_deg) == pytest.approx(
            (row.begin_lat_deg, row.begin_lon_deg)
        )
        assert truth.begin_ht_m == pytest.approx(row.begin_ht_km * 1e3, abs=0.01)
        assert (truth.end_lat_deg, truth.end_lon_deg) == pytest.approx((row.end_lat_deg, row.end_lon_deg))
        assert truth.end_ht_m == pytest.approx(row.end_ht_km * 1e3, abs=1.0)
        assert truth.v_init_m_s == pytest.approx(row.v_init_km_s * 1e3)
        v_avg = min(row.v_avg_km_s, row.v_init_km_s) * 1e3
        assert truth.v_avg_m_s == pytest.approx(v_avg, rel=1e-6)
        assert truth.orbit.v_inf_m_s == pytest.approx(truth.v_init_m_s)
        assert float(truth.speed_m_s(np.array(truth.duration_s))) > 0.1 * truth.v_init_m_s
        # The truth's radiant is the file's (the file's begin/end points and its radiant agree to ~0.5 deg).
        assert truth.orbit.v_geo_m_s == pytest.approx(row.v_geo_km_s * 1e3, rel=0.03)


def test_drawn_events_follow_the_file(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    rows = inputs[0]
    events = EventSimulator(*inputs).simulate_many(300, seed=1)
    truths = [e.truth for e in events]
    # Measured with this seed (300 events; the file's in brackets): median v_init 39.8 (40.5) km/s, Vg 38.3
    # (38.9) km/s, begin height 97.8 (99.5) km, end height 85.7 (86.7) km, convergence 49.8 (44.6) deg;
    # 2-station events 71 (66) %.
    assert np.median([t.v_init_m_s for t in truths]) / 1e3 == pytest.approx(
        np.median([r.v_init_km_s for r in rows]), rel=0.10
    )
    assert np.median([t.orbit.v_geo_m_s for t in truths]) / 1e3 == pytest.approx(
        np.median([r.v_geo_km_s for r in rows]), rel=0.10
    )
    for ours, theirs in (("begin_ht_m", "begin_ht_km"), ("end_ht_m", "end_ht_km")):
        assert np.median([getattr(t, ours) for t in truths]) / 1e3 == pytest.approx(
            np.median([getattr(r, theirs) for r in rows]), abs=3.0
        )
    assert np.median([t.max_convergence_deg for t in truths]) == pytest.approx(
        np.median([r.convergence_deg for r in rows]), rel=0.25
    )
    two_station = np.mean([len(e.stations) == 2 for e in events])
    assert two_station == pytest.approx(np.mean([r.n_stations == 2 for r in rows]), abs=0.1)
    assert {len(e.stations) for e in events} <= set(range(2, 9)) and max(len(e.stations) for e in events) > 4


def test_same_seed_same_event(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    simulator = EventSimulator(*inputs)
    a, b = simulator.simulate(seed=42), simulator.simulate(seed=42)
    assert a.truth.source_trajectory_id == b.truth.source_trajectory_id
    for x, y in zip(a.stations, b.stations, strict=True):
        np.testing.assert_array_equal(x.ra_deg, y.ra_deg)
        np.testing.assert_array_equal(x.t_rel_s, y.t_rel_s)


def test_observation_record_has_the_meteor_record_fields(
    inputs: tuple[list[GmnTrajectory], list[StationSite]],
) -> None:
    event = EventSimulator(*inputs).simulate(seed=8)
    station = event.stations[0]
    record = station.observation_record()
    assert record["observer"] == {
        "lat_deg": station.lat_deg, "lon_deg": station.lon_deg, "elevation_m": station.elevation_m
    }  # fmt: skip
    assert len(record["frames"]) == len(station.t_rel_s)
    first = record["frames"][0]
    assert set(first) == {"frame", "t_utc", "ra_deg", "dec_deg", "az_deg", "alt_deg"}
    assert first["t_utc"].endswith("Z") and first["t_utc"] == record["start_utc"]
    expected = event.t_ref_utc + timedelta(seconds=float(station.t_rel_s[0]))
    assert first["t_utc"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert station.t_utc()[0] == expected


def test_settings_name_the_bad_key() -> None:
    with pytest.raises(ValueError, match=r"min_stations=1"):
        SimulationSettings(min_stations=1)
    with pytest.raises(ValueError, match=r"station_spacing_km=\(200.0, 20.0\)"):
        SimulationSettings(station_spacing_km=(200.0, 20.0))


def test_impossible_settings_give_up(inputs: tuple[list[GmnTrajectory], list[StationSite]]) -> None:
    simulator = EventSimulator(*inputs, SimulationSettings(min_elevation_deg=89.9, max_attempts=2))
    with pytest.raises(RuntimeError, match="no visible network"):
        simulator.simulate(seed=1)
