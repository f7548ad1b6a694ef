"""One event from tracks to trajectory, orbit and uncertainties: what ``stationd solve`` and the network run.

The solver gives the meteor's state in an inertial frame of date (:class:`TrajectorySolution`,
``state_eci_m``, ``velocity_eci_m_s``); :func:`trajectory.orbit.compute_orbit` turns it into radiants,
geocentric velocity and the heliocentric orbit. The solver's frame is the true equator and equinox of date
and the orbit code's the mean one: the two differ by nutation (up to about 20 arcsec), far below the
uncertainty of a meteor's radiant, so the state is passed as it is. A meteor slower than the Earth's escape
velocity at its height has no heliocentric orbit: its solution keeps ``orbit=None`` and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trajectory.montecarlo import MonteCarlo, MonteCarloResult, MonteCarloSettings
from trajectory.observations import Track
from trajectory.orbit import Orbit, compute_orbit
from trajectory.report import numeric_fields
from trajectory.solution import TrajectorySolution
from trajectory.solve import SolverSettings, TrajectorySolver


def orbit_of(solution: TrajectorySolution) -> Orbit:
    """The orbit of a solved trajectory (ValueError when it has none: slower than escape velocity)."""
    return compute_orbit(solution.state_eci_m, solution.velocity_eci_m_s, solution.t_ref_datetime())


@dataclass(frozen=True)
class SolvedEvent:
    """A trajectory with its orbit (or why it has none) and its Monte Carlo uncertainties (or None)."""

    solution: TrajectorySolution
    monte_carlo: MonteCarloResult | None
    orbit_problem: str | None = None


def solve_event(
    tracks: Sequence[Track],
    *,
    mc_runs: int = 0,
    seed: int = 0,
    settings: SolverSettings | None = None,
) -> SolvedEvent:
    """Solve ``tracks`` (two or more stations), attach the orbit, and run ``mc_runs`` Monte Carlo runs.

    Raises SolveError when the tracks give no trajectory (see :class:`TrajectorySolver`).

    >>> event = solve_event(read_tracks(paths), mc_runs=20, seed=1)   # doctest: +SKIP
    >>> event.solution.orbit.v_geo_m_s                                # doctest: +SKIP
    """
    solver = TrajectorySolver(settings) if settings is not None else TrajectorySolver()
    solution = solver(tracks)
    problem = None
    try:
        solution = solution.with_orbit(orbit_of(solution))
    except ValueError as exc:
        problem = str(exc)
    mc = None
    if mc_runs:
        hook = None if problem else (lambda s: numeric_fields(orbit_of(s)))
        mc = MonteCarlo(MonteCarloSettings(n_runs=mc_runs, seed=seed), solver=solver, orbit=hook)(
            tracks, solution
        )
    return SolvedEvent(solution, mc, problem)
