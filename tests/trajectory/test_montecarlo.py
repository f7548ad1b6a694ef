"""Monte Carlo uncertainties: seeded, attached orbit quantities, and sigmas that match the real scatter."""

from __future__ import annotations

import numpy as np
import pytest

from tests.trajectory.synthetic import synthetic_event
from trajectory import MonteCarlo, MonteCarloSettings, TrajectorySolution, TrajectorySolver


def test_the_same_seed_gives_the_same_sigmas_and_another_seed_others() -> None:
    tracks, _ = synthetic_event(noise_arcsec=30.0, seed=1)
    nominal = TrajectorySolver()(tracks)
    a = MonteCarlo(MonteCarloSettings(n_runs=5, seed=7))(tracks, nominal)
    b = MonteCarlo(MonteCarloSettings(n_runs=5, seed=7))(tracks, nominal)
    c = MonteCarlo(MonteCarloSettings(n_runs=5, seed=8))(tracks, nominal)
    assert a == b
    assert a.sigmas != c.sigmas
    assert a.n_failed == 0 and a.n_runs == 5
    expected = {"radiant_ra_of_date_deg", "radiant_dec_j2000_deg", "v_init_m_s", "v_avg_m_s",
                "begin_height_m", "end_lat_deg"}  # fmt: skip
    assert expected <= set(a.sigmas)
    assert all(v > 0 for v in a.sigmas.values())


def test_an_orbit_hook_gets_every_run_and_its_quantities_get_sigmas() -> None:
    tracks, _ = synthetic_event(noise_arcsec=30.0, seed=2)
    nominal = TrajectorySolver()(tracks)
    seen: list[TrajectorySolution] = []

    def orbit(solution: TrajectorySolution) -> dict[str, float]:
        seen.append(solution)
        return {
            "speed_km_s": solution.v_init_m_s / 1000.0,
            "node_deg": 359.999 + solution.radiant_dec_of_date_deg * 0,
        }

    result = MonteCarlo(MonteCarloSettings(n_runs=4, seed=0), orbit=orbit)(tracks, nominal)
    assert len(seen) == 5  # the nominal and the runs
    assert result.sigmas["speed_km_s"] == pytest.approx(result.sigmas["v_init_m_s"] / 1000.0)
    assert result.sigmas["node_deg"] == pytest.approx(0.0, abs=1e-9)  # no wrap artefact at 360


@pytest.mark.slow
def test_sigmas_match_the_scatter_of_independent_noise() -> None:
    """Eight noise realisations of one geometry (30 arcsec): the spread of the solutions around the truth
    agrees with the mean Monte Carlo sigma within a factor of two."""
    errors, sigmas = [], []
    for seed in range(8):
        tracks, truth = synthetic_event(noise_arcsec=30.0, seed=100 + seed)
        s = TrajectorySolver()(tracks)
        mc = MonteCarlo(MonteCarloSettings(n_runs=12, seed=seed))(tracks, s)
        errors.append([s.radiant_dec_of_date_deg - truth.radiant_dec_of_date_deg, s.v_init_m_s - truth.v_m_s])
        sigmas.append([mc.sigmas["radiant_dec_of_date_deg"], mc.sigmas["v_init_m_s"]])
    spread = np.sqrt(np.mean(np.square(errors), axis=0))
    mean_sigma = np.mean(sigmas, axis=0)
    assert np.all(spread < 2.0 * mean_sigma) and np.all(spread > 0.5 * mean_sigma), (spread, mean_sigma)


def test_fewer_than_two_runs_is_refused() -> None:
    with pytest.raises(ValueError, match="n_runs=1"):
        MonteCarloSettings(n_runs=1)
