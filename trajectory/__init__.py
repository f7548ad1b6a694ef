"""Multi-station meteor trajectories: observations in, radiant, velocities, begin/end points, residuals,
Monte Carlo uncertainties and the orbit out; simulated events with known truth.

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
from trajectory.orbit import (
    GM_EARTH_M3_S2,
    GM_SUN_M3_S2,
    JUPITER_A_AU,
    Orbit,
    compute_orbit,
    ground_velocity_to_inertial,
)
from trajectory.pipeline import SolvedEvent, orbit_of, solve_event
from trajectory.readers import jd_to_utc, read_tracks, tracks_from_json, tracks_from_meteor_record
from trajectory.report import SOLUTION_SCHEMA, numeric_fields, solution_schema, solution_to_json
from trajectory.simulate import (
    EventSimulator,
    GmnSummaryError,
    GmnTrajectory,
    SimulatedEvent,
    SimulatedStation,
    SimulatedTruth,
    SimulationSettings,
    StationSite,
    read_gmn_summary,
    read_station_sites,
)
from trajectory.solution import Convergence, TrackFit, TrajectoryPoint, TrajectorySolution
from trajectory.solve import SolverSettings, TrajectorySolver

__all__ = [
    "AltAzOfDate",
    "Convergence",
    "Deceleration",
    "Directions",
    "EventSimulator",
    "GM_EARTH_M3_S2",
    "GM_SUN_M3_S2",
    "GmnSummaryError",
    "GmnTrajectory",
    "JUPITER_A_AU",
    "MonteCarlo",
    "MonteCarloResult",
    "MonteCarloSettings",
    "ObservationFormatError",
    "Orbit",
    "OrbitHook",
    "RaDecJ2000",
    "RaDecOfDate",
    "SOLUTION_SCHEMA",
    "SimulatedEvent",
    "SimulatedStation",
    "SimulatedTruth",
    "SimulationSettings",
    "SolveError",
    "SolvedEvent",
    "SolverSettings",
    "Station",
    "StationSite",
    "Track",
    "TrackFit",
    "TrajectoryError",
    "TrajectoryPoint",
    "TrajectorySolution",
    "TrajectorySolver",
    "compute_orbit",
    "ecef_to_eci",
    "ecef_to_geodetic",
    "eci_to_ecef",
    "geodetic_to_ecef",
    "ground_velocity_to_inertial",
    "j2000_to_date_matrix",
    "jd_to_utc",
    "jd_utc",
    "numeric_fields",
    "orbit_of",
    "read_gmn_summary",
    "read_station_sites",
    "read_tracks",
    "sidereal_angle_rad",
    "solution_quantities",
    "solution_schema",
    "solution_to_json",
    "solve_event",
    "tracks_from_json",
    "tracks_from_meteor_record",
]
