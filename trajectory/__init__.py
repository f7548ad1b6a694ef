"""Multi-station meteor trajectories: observations in, radiant, velocities, begin/end points, residuals and
Monte Carlo uncertainties out (orbits: ``trajectory.orbit``).

Pure science (DESIGN 1): arrays, dataclasses and paths in, results out; no clock, network or config.
Errors: see :mod:`trajectory.errors`.
"""

from trajectory.errors import ObservationFormatError, SolveError, TrajectoryError
from trajectory.geo import (
    ecef_to_eci,
    ecef_to_geodetic,
    eci_to_ecef,
    geodetic_to_ecef,
    j2000_to_date_matrix,
    jd_utc,
    sidereal_angle_rad,
)
from trajectory.kinematics import Deceleration
from trajectory.montecarlo import (
    MonteCarlo,
    MonteCarloResult,
    MonteCarloSettings,
    OrbitHook,
    solution_quantities,
)
from trajectory.observations import AltAzOfDate, Directions, RaDecJ2000, RaDecOfDate, Station, Track
from trajectory.readers import jd_to_utc, read_tracks, tracks_from_json, tracks_from_meteor_record
from trajectory.report import SOLUTION_SCHEMA, numeric_fields, solution_schema, solution_to_json
from trajectory.solution import Convergence, TrackFit, TrajectoryPoint, TrajectorySolution
from trajectory.solve import SolverSettings, TrajectorySolver

__all__ = [
    "AltAzOfDate",
    "Convergence",
    "Deceleration",
    "Directions",
    "MonteCarlo",
    "MonteCarloResult",
    "MonteCarloSettings",
    "ObservationFormatError",
    "OrbitHook",
    "RaDecJ2000",
    "RaDecOfDate",
    "SOLUTION_SCHEMA",
    "SolveError",
    "SolverSettings",
    "Station",
    "Track",
    "TrackFit",
    "TrajectoryError",
    "TrajectoryPoint",
    "TrajectorySolution",
    "TrajectorySolver",
    "ecef_to_eci",
    "ecef_to_geodetic",
    "eci_to_ecef",
    "geodetic_to_ecef",
    "j2000_to_date_matrix",
    "jd_to_utc",
    "jd_utc",
    "numeric_fields",
    "read_tracks",
    "sidereal_angle_rad",
    "solution_quantities",
    "solution_schema",
    "solution_to_json",
    "tracks_from_json",
    "tracks_from_meteor_record",
]
