"""Multi-station trajectory solving (DESIGN 1): orbits from a meteor's state, simulated events with truth.

- ``orbit``: apparent and geocentric radiants, velocities and the heliocentric orbit (DE421 Earth state).
- ``simulate``: events drawn from Global Meteor Network trajectories, seen by simulated station networks;
  the reader of the GMN trajectory summary file.
"""

from trajectory.orbit import (
    GM_EARTH_M3_S2,
    GM_SUN_M3_S2,
    JUPITER_A_AU,
    Orbit,
    compute_orbit,
    ground_velocity_to_inertial,
)
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

__all__ = [
    "EventSimulator",
    "GM_EARTH_M3_S2",
    "GM_SUN_M3_S2",
    "GmnSummaryError",
    "GmnTrajectory",
    "JUPITER_A_AU",
    "Orbit",
    "SimulatedEvent",
    "SimulatedStation",
    "SimulatedTruth",
    "SimulationSettings",
    "StationSite",
    "compute_orbit",
    "ground_velocity_to_inertial",
    "read_gmn_summary",
    "read_station_sites",
]
