"""Uncertainties of a trajectory by Monte Carlo: the lines of sight perturbed at each track's measured
scatter, the trajectory solved again, N times with a seeded generator, and the spread of every quantity taken.

Each run keeps the nominal solution's choices (starting line, weights, outlier points, rejected tracks)
and perturbs every line of sight by a Gaussian angle of its track's measured scatter (``TrackFit.rms_arcsec``,
its rms residual, times ``sqrt(n / (n - 4))`` for the line's 4 parameters fitted to the n points used)
in two directions across it; timing offsets and velocities are fitted again. Vida et
al. (2020, MNRAS 491, 2688, section 2.5) estimate their uncertainties likewise. An orbit hook
(``trajectory.orbit`` provides one) turns each run's solution into named orbital quantities whose spread
is reported with the rest.

Example
-------
>>> mc = MonteCarlo(MonteCarloSettings(n_runs=20, seed=1))          # doctest: +SKIP
>>> result = mc(tracks, TrajectorySolver()(tracks))                   # doctest: +SKIP
>>> result.sigmas["radiant_ra_j2000_deg"]                             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from trajectory.errors import TrajectoryError
from trajectory.event import Event, prepare_event
from trajectory.observations import Track
from trajectory.sightlines import perpendicular_axes
from trajectory.solution import TrajectorySolution
from trajectory.solve import TrajectorySolver

__all__ = [
    "MonteCarlo",
    "MonteCarloResult",
    "MonteCarloSettings",
    "OrbitHook",
    "noise_sigmas_arcsec",
    "solution_quantities",
]

OrbitHook = Callable[[TrajectorySolution], Mapping[str, float]]
"""Named orbital quantities of a solution (units in the names; angles ``_deg``, wrapped at 360)."""

_ARCSEC = np.pi / 180.0 / 3600.0


@dataclass(frozen=True)
class MonteCarloSettings:
    """``n_runs`` perturbed solutions (>= 2) drawn with ``numpy.random.default_rng(seed)``;
    ``prior_points``: see :func:`noise_sigmas_arcsec`; ``draw_noise_level``: see :func:`_noise_levels`."""

    n_runs: int = 100
    seed: int = 0
    prior_points: float = 0.0
    draw_noise_level: bool = True

    def __post_init__(self) -> None:
        if self.n_runs < 2:
            raise ValueError(f"monte carlo setting n_runs={self.n_runs}: expected >= 2")
        if not self.prior_points >= 0:
            raise ValueError(f"monte carlo setting prior_points={self.prior_points}: expected >= 0")


@dataclass(frozen=True)
class MonteCarloResult:
    """Standard deviations over the runs (``sigmas``, same names and units as the quantities), the number of
    runs made and of runs whose solution failed (left out)."""

    n_runs: int
    n_failed: int
    seed: int
    sigmas: dict[str, float] = field(default_factory=dict)


def solution_quantities(solution: TrajectorySolution) -> dict[str, float]:
    """The quantities whose spread Monte Carlo reports, by name (units in the names)."""
    return {
        "radiant_ra_of_date_deg": solution.radiant_ra_of_date_deg,
        "radiant_dec_of_date_deg": solution.radiant_dec_of_date_deg,
        "radiant_ra_j2000_deg": solution.radiant_ra_j2000_deg,
        "radiant_dec_j2000_deg": solution.radiant_dec_j2000_deg,
        "v_init_m_s": solution.v_init_m_s,
        "v_avg_m_s": solution.v_avg_m_s,
        "begin_lat_deg": solution.begin.lat_deg,
        "begin_lon_deg": solution.begin.lon_deg,
        "begin_height_m": solution.begin.height_m,
        "end_lat_deg": solution.end.lat_deg,
        "end_lon_deg": solution.end.lon_deg,
        "end_height_m": solution.end.height_m,
    }


def noise_sigmas_arcsec(nominal: TrajectorySolution, prior_points: float) -> np.ndarray:
    """Each track's noise for the Monte Carlo runs, from its rms residual (arcsec).

    Two corrections: the rms falls short of the noise by the line's 4 parameters fitted to the n points
    used (factor ``sqrt(n / (n - 4))``); and a track of few points measures its scatter poorly, so its
    variance is pulled towards the tracks' pooled one as if ``prior_points`` points of pooled scatter were
    added (a Bayesian shrinkage; 0, the default, disables it). Measured: on 60 simulated GMN-like events
    (1 arcmin noise, 2-6 stations of 4-40 points) 5 prior points raised the share of true radiants
    within 2 sigmas from 77 to 82 % in RA (95 to 98 % in Dec), but on 2023 CX1, whose cameras scatter
    by 32 to 420 arcsec, they doubled the sharp cameras' noise and the radiant sigma (0.21 -> 0.33 deg,
    the reference solver's: 0.21).
    """
    kept = [t for t in nominal.tracks if not t.rejected]
    n = np.array([float(t.used.sum()) for t in nominal.tracks])
    var = np.array([t.rms_arcsec for t in nominal.tracks]) ** 2
    n_used = sum(float(t.used.sum()) for t in kept)
    dof = n_used / max(n_used - 4.0, 1.0)
    pooled = sum(float(t.used.sum()) * t.rms_arcsec**2 for t in kept) / max(n_used, 1.0)
    shrunk = (n * var + prior_points * pooled) / np.maximum(n + prior_points, 1.0)
    return np.asarray(np.sqrt(shrunk * dof))


def _spread(name: str, values: np.ndarray, nominal: float) -> float:
    """Standard deviation; angles in degrees are taken as differences from the nominal, wrapped."""
    if name.endswith("_deg"):
        values = nominal + (values - nominal + 180.0) % 360.0 - 180.0
    return float(np.std(values, ddof=1))


def _noise_levels(
    sigma_rad: np.ndarray, n_points: np.ndarray, rng: np.random.Generator, draw: bool
) -> np.ndarray:
    """Each track's noise for one run. A track's scatter measured on few points is itself uncertain: with
    ``draw``, each run takes its level from the scaled inverse chi-square distribution of a variance
    estimated with ``n - 2`` degrees of freedom (two across-track parameters of a station's plane; at
    least 3), so the runs carry that uncertainty too (the Bayesian posterior of a normal variance under a
    flat prior; Gelman et al. 2013, Bayesian Data Analysis, section 3.2). Measured on 1,000 simulated
    GMN-like events (``bench/trajectory_sim.py``): see the README's figures."""
    if not draw:
        return sigma_rad
    nu = np.maximum(n_points - 2.0, 3.0)
    return np.asarray(sigma_rad * np.sqrt(nu / rng.chisquare(nu)))


def _perturbed(event: Event, sigma_rad: np.ndarray, rng: np.random.Generator) -> Event:
    a1, a2 = perpendicular_axes(event.los)
    g = rng.standard_normal((2, len(event.los))) * sigma_rad[event.track]
    los = event.los + g[0][:, None] * a1 + g[1][:, None] * a2
    return event.with_los(los / np.linalg.norm(los, axis=1, keepdims=True))


class MonteCarlo:
    """Monte Carlo uncertainties of a trajectory (settings, the solver to rerun, an optional orbit hook)."""

    def __init__(
        self,
        settings: MonteCarloSettings | None = None,
        solver: TrajectorySolver | None = None,
        orbit: OrbitHook | None = None,
    ) -> None:
        self.settings = settings or MonteCarloSettings()
        self.solver = solver or TrajectorySolver()
        self.orbit = orbit

    def _quantities(self, solution: TrajectorySolution) -> dict[str, float]:
        values = solution_quantities(solution)
        if self.orbit is not None:
            values.update({k: float(v) for k, v in self.orbit(solution).items()})
        return values

    def __call__(self, tracks: Sequence[Track], nominal: TrajectorySolution) -> MonteCarloResult:
        """Sigmas of the quantities of ``nominal`` (solved from ``tracks`` by the same solver)."""
        event = prepare_event(tracks)
        sigma = noise_sigmas_arcsec(nominal, self.settings.prior_points) * _ARCSEC
        rng = np.random.default_rng(self.settings.seed)
        reference = self._quantities(nominal)
        runs: list[dict[str, float]] = []
        failed = 0
        n_points = np.array([float(t.used.sum()) for t in nominal.tracks])
        for _ in range(self.settings.n_runs):
            level = _noise_levels(sigma, n_points, rng, self.settings.draw_noise_level)
            try:
                runs.append(self._quantities(self.solver.refit(_perturbed(event, level, rng), nominal)))
            except (TrajectoryError, ValueError, np.linalg.LinAlgError):
                failed += 1
        sigmas = {}
        if len(runs) >= 2:
            for name, value in reference.items():
                values = np.array([r[name] for r in runs if name in r], dtype=float)
                if values.size >= 2 and np.isfinite(value):
                    sigmas[name] = _spread(name, values, value)
        return MonteCarloResult(
            n_runs=self.settings.n_runs, n_failed=failed, seed=self.settings.seed, sigmas=sigmas
        )
