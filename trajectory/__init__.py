"""Multi-station trajectory solving (DESIGN 1): orbits from a meteor's state; the solver is being built."""

from trajectory.orbit import (
    GM_EARTH_M3_S2,
    GM_SUN_M3_S2,
    JUPITER_A_AU,
    Orbit,
    compute_orbit,
    ground_velocity_to_inertial,
)

__all__ = [
    "GM_EARTH_M3_S2",
    "GM_SUN_M3_S2",
    "JUPITER_A_AU",
    "Orbit",
    "compute_orbit",
    "ground_velocity_to_inertial",
]
