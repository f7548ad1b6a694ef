"""The solver on synthetic meteors of known truth (tests/trajectory/synthetic.py): radiant, velocities,
heights, timing offsets, deceleration, outliers, a disagreeing station, and what it refuses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.trajectory.synthetic import UK_STATIONS, synthetic_event
from trajectory import (
    RaDecOfDate,
    SolveError,
    SolverSettings,
    Track,
    TrajectorySolution,
    TrajectorySolver,
)


def radiant_error_deg(solution: TrajectorySolution, ra_deg: float, dec_deg: float) -> float:
    a = np.radians([solution.radiant_ra_of_date_deg, solution.radiant_dec_of_date_deg])
    b = np.radians([ra_deg, dec_deg])
    c = np.sin(a[1]) * np.sin(b[1]) + np.cos(a[1]) * np.cos(b[1]) * np.cos(a[0] - b[0])
    return float(np.degrees(np.arccos(min(c, 1.0))))


def test_exact_lines_of_sight_give_the_exact_trajectory() -> None:
    tracks, truth = synthetic_event()
    s = TrajectorySolver()(tracks)
    assert radiant_error_deg(s, truth.radiant_ra_of_date_deg, truth.radiant_dec_of_date_deg) < 1e-5
    assert s.v_init_m_s == pytest.approx(truth.v_m_s, rel=1e-5)
    assert s.v_avg_m_s == pytest.approx(truth.v_m_s, rel=1e-5)
    assert s.begin.height_m == pytest.approx(truth.begin_height_m, abs=1.0)
    assert s.end.height_m == pytest.approx(truth.end_height_m, abs=1.0)
    np.testing.assert_allclose(s.state_eci_m, truth.begin_eci_m, atol=1.0)
    assert s.deceleration is None
    assert all(t.rms_arcsec < 0.1 and t.n_rejected_points == 0 and not t.rejected for t in s.tracks)
    assert s.max_convergence_deg > 20


def test_noisy_lines_of_sight_and_clock_errors() -> None:
    """30 arcsec noise, clocks 50 ms and -100 ms off: offsets found to 10 ms, radiant to 0.1 deg."""
    tracks, truth = synthetic_event(noise_arcsec=30.0, clock_errors_s=(0.0, 0.05, -0.1), seed=3)
    s = TrajectorySolver()(tracks)
    assert radiant_error_deg(s, truth.radiant_ra_of_date_deg, truth.radiant_dec_of_date_deg) < 0.1
    assert s.v_init_m_s == pytest.approx(truth.v_m_s, rel=0.01)
    assert s.begin.height_m == pytest.approx(truth.begin_height_m, abs=300.0)
    offsets = [t.time_offset_s for t in s.tracks]
    np.testing.assert_allclose(offsets, [0.0, -0.05, 0.1], atol=0.01)
    for t in s.tracks:
        assert 15.0 < t.rms_arcsec < 50.0
        assert t.residual_arcsec.shape == t.residual_m.shape == t.height_m.shape == (t.n_points,)


def test_a_decelerating_fireball_reports_its_deceleration() -> None:
    """s = v t - a (exp(b t) - 1), v = 20 km/s, a = 20 m, b = 2 /s over 2 s: v_end = 20 - 0.04 e^4 km/s."""
    tracks, _ = synthetic_event(v_m_s=20_000.0, decel=(20.0, 2.0), duration_s=2.0, noise_arcsec=5.0)
    s = TrajectorySolver()(tracks)
    assert s.deceleration is not None
    v_end = 20_000.0 - 20.0 * 2.0 * np.exp(2.0 * 2.0)
    assert s.deceleration.v_end_m_s == pytest.approx(v_end, rel=0.02)
    assert s.deceleration.deceleration_end_m_s2 == pytest.approx(20.0 * 4.0 * np.exp(4.0), rel=0.1)
    # The first quarter (0.5 s): the mean velocity over it is v - a (e^1 - 1) / 0.5.
    assert s.v_init_m_s == pytest.approx(20_000.0 - 40.0 * (np.e - 1.0), rel=0.002)
    assert s.v_avg_m_s < s.v_init_m_s


def test_outlier_points_are_left_out_and_reported() -> None:
    tracks, truth = synthetic_event(noise_arcsec=20.0, seed=5)
    bad = tracks[1]
    ra, dec = bad.directions.radec_of_date_deg(bad.station, bad.t_utc)
    dec = dec.copy()
    dec[[7, 15]] += 0.3  # two points 18 arcmin off
    tracks[1] = dataclasses.replace(bad, directions=RaDecOfDate(ra, dec))
    s = TrajectorySolver()(tracks)
    fit = s.tracks[1]
    assert not fit.used[7] and not fit.used[15] and fit.n_rejected_points == 2
    assert fit.residual_arcsec[7] > 600
    assert radiant_error_deg(s, truth.radiant_ra_of_date_deg, truth.radiant_dec_of_date_deg) < 0.1


def test_a_station_that_disagrees_is_rejected_with_its_reason() -> None:
    tracks, truth = synthetic_event(UK_STATIONS, noise_arcsec=20.0, seed=7)
    bad = tracks[3]
    ra, dec = bad.directions.radec_of_date_deg(bad.station, bad.t_utc)
    tracks[3] = dataclasses.replace(bad, directions=RaDecOfDate(ra, dec + 1.0))  # a plate 1 deg off
    s = TrajectorySolver()(tracks)
    assert s.rejected_tracks == (tracks[3].label,)
    assert s.tracks[3].reason is not None and "arcsec" in s.tracks[3].reason
    assert s.tracks[3].n_rejected_points == s.tracks[3].n_points
    assert radiant_error_deg(s, truth.radiant_ra_of_date_deg, truth.radiant_dec_of_date_deg) < 0.1
    kept = TrajectorySolver(SolverSettings(reject_tracks=False))(tracks)
    assert kept.rejected_tracks == ()


def test_one_station_is_not_a_trajectory() -> None:
    tracks, _ = synthetic_event()
    with pytest.raises(SolveError) as info:
        TrajectorySolver()([tracks[0]])
    assert info.value.n_stations == 1
    two_cameras_one_site = [tracks[0], dataclasses.replace(tracks[0], camera="other")]
    with pytest.raises(SolveError, match="two stations"):
        TrajectorySolver()(two_cameras_one_site)


def test_planes_that_do_not_converge_are_refused() -> None:
    """Two stations on the meteor's own line of flight see it in nearly the same plane."""
    tracks, _ = synthetic_event()
    s0 = tracks[0].station
    near = dataclasses.replace(s0, station_id="NEAR", lat_deg=s0.lat_deg + 0.0001)
    fake = Track(near, tracks[0].t_utc, tracks[0].directions, camera="x")
    with pytest.raises(SolveError):
        TrajectorySolver(SolverSettings(min_convergence_deg=1.0))([tracks[0], fake])


@pytest.mark.parametrize(
    ("key", "value"),
    [("v_init_fraction", 0.0), ("outlier_sigma", 1.0), ("max_time_offset_s", -1.0), ("max_iterations", 0)],
)
def test_bad_settings_name_the_key_and_the_value(key: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{key}={value!r}"):
        SolverSettings(**{key: value})


def test_tracks_of_two_different_meteors_are_no_trajectory() -> None:
    """Two stations saw different meteors at one time: their planes meet, their lines of sight do not."""
    first, _ = synthetic_event(UK_STATIONS[:2], radiant_az_deg=250.0)
    other, _ = synthetic_event(UK_STATIONS[:2], begin=(50.2, 1.5, 95_000.0), radiant_az_deg=20.0)
    with pytest.raises(SolveError) as info:
        TrajectorySolver()([first[0], other[1]])
    assert "deg rms" in info.value.reason or "km high" in info.value.reason
