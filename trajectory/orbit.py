"""A meteoroid's orbit from its state at the top of the atmosphere: radiants, velocities, orbital elements.

Input: the meteor's position and velocity in the inertial ECI frame of date (mean equator and equinox of
date, x to the mean equinox; Earth-fixed station positions turned by the Greenwich mean sidereal time, as a
solver that places its stations in ECI at each observation time uses them: Vida et al. 2020, MNRAS 491,
2688, sec. 2), at a UTC instant. A velocity measured in the rotating, Earth-fixed frame is made inertial
first with :func:`ground_velocity_to_inertial` (the correction for the Earth's rotation, Ceplecha 1987,
Bull. Astron. Inst. Czechosl. 38, 222, eq. 35). Steps:

1. Apparent radiant: the direction the meteor comes from, ``-v``; ``v_inf`` its speed.
2. Geocentric radiant and speed: the incoming asymptote of the meteoroid's hyperbola about the Earth (two
   bodies, GM of the Earth): ``v_g**2 = v_inf**2 - 2 GM / r`` (energy) and the direction of the velocity at
   infinity, turned from the apparent one in the plane of the Earth's centre by the zenith attraction
   (equal to Schiaparelli's ``tan(dz/2) = (v - v_g) / (v + v_g) tan(z/2)``, Ceplecha 1987 eq. 36; the tests
   check both). Precessed to J2000.
3. Heliocentric state: the geocentric velocity at infinity plus the Earth's velocity about the Sun (JPL
   DE421), at the meteoroid's position (the Earth's centre plus the reference point; the patched conic of
   Ceplecha 1987 and Vida et al. 2020: with the Earth's centre instead, 2023 CX1's node and perihelion
   move by 0.03 deg from the reference solver's, with the meteoroid's place they agree to 0.001 deg).
4. Orbital elements from the heliocentric state in the J2000 ecliptic frame (two bodies, GM of the Sun):
   a, e, i, q, node, argument of perihelion, true anomaly, period when bound, and Tisserand's parameter
   w.r.t. Jupiter (a_J = 5.2026 AU).

Example::

    >>> orbit = compute_orbit([-4143734.5, -548178.5, 4934910.0], [6582.3, -8557.9, -9313.9],
    ...                       datetime(2023, 2, 13, 2, 59, 13, 556000, tzinfo=timezone.utc))
    >>> round(orbit.v_geo_m_s), round(orbit.a_au, 3), round(orbit.e, 3)
    (8947, 1.645, 0.44)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone  # noqa: F401 (timezone: the docstring example)

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trajectory._ephemeris import AU_M, earth_heliocentric_state, tdb_julian_date
from trajectory._orbit_frames import (
    EARTH_ROTATION_RAD_S,
    angles_deg,
    equatorial_to_ecliptic_matrix,
    j2000_to_of_date_matrix,
)

__all__ = [
    "GM_EARTH_M3_S2",
    "GM_SUN_M3_S2",
    "JUPITER_A_AU",
    "Orbit",
    "compute_orbit",
    "ground_velocity_to_inertial",
]

GM_EARTH_M3_S2 = 3.986004418e14  # IERS Conventions 2010 (WGS84 value)
GM_SUN_M3_S2 = 1.32712440018e20  # IAU 2009 (TDB-compatible), DE421
JUPITER_A_AU = 5.2026
_YEAR_S = 365.25 * 86_400.0

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Orbit:
    """Radiants, velocities and the heliocentric orbit of one meteoroid.

    Radiants are where the meteor comes from. ``*_of_date`` angles are on the mean equator and equinox of
    date; the others on J2000 (equatorial RA/Dec, ecliptic longitude/latitude of the J2000 ecliptic).
    ``period_yr`` and ``aphelion_au`` are None for an unbound orbit (e >= 1), whose ``a_au`` is negative.
    """

    t_utc: datetime
    ra_apparent_of_date_deg: float
    dec_apparent_of_date_deg: float
    ra_apparent_deg: float
    dec_apparent_deg: float
    v_inf_m_s: float
    ra_geo_deg: float
    dec_geo_deg: float
    lambda_geo_deg: float
    beta_geo_deg: float
    v_geo_m_s: float
    zenith_attraction_deg: float
    lambda_helio_deg: float
    beta_helio_deg: float
    v_helio_m_s: float
    sun_longitude_deg: float
    a_au: float
    e: float
    i_deg: float
    q_au: float
    aphelion_au: float | None
    node_deg: float
    arg_perihelion_deg: float
    true_anomaly_deg: float
    period_yr: float | None
    tisserand_jupiter: float


def ground_velocity_to_inertial(position_eci_m: ArrayLike, velocity_ground_m_s: ArrayLike) -> FloatArray:
    """Add the velocity of the Earth's rotation at a point to a velocity measured in the rotating frame.

    Parameters
    ----------
    position_eci_m : array_like, shape (3,)
        The point, ECI of date (m).
    velocity_ground_m_s : array_like, shape (3,)
        The meteor's velocity relative to the rotating Earth, on ECI of date axes (m/s).

    Returns
    -------
    ndarray, shape (3,)
        ``v + omega x r`` (Ceplecha 1987, eq. 35): the velocity in the non-rotating frame.
    """
    omega = np.array([0.0, 0.0, EARTH_ROTATION_RAD_S])
    return np.asarray(velocity_ground_m_s, dtype=np.float64) + np.cross(omega, np.asarray(position_eci_m))


def _geocentric_asymptote(position_m: FloatArray, velocity_m_s: FloatArray) -> FloatArray:
    """The velocity at infinity before the encounter of a two-body hyperbola about the Earth.

    With h = r x v and the Laplace-Runge-Lenz vector A = v x h - GM r/|r| (both conserved), writing A at
    t -> -inf, where r/|r| -> -w and v -> v_g w, gives the incoming direction in closed form:
    w = (v_g h x A + GM A) / (v_g**2 |h|**2 + GM**2), a unit vector since |A|**2 = GM**2 + v_g**2 |h|**2.
    It needs no eccentricity or true anomaly, so a nearly radial fall (h -> 0, w -> -r/|r|) stays exact.
    """
    r = float(np.linalg.norm(position_m))
    v2 = float(velocity_m_s @ velocity_m_s)
    v_g2 = v2 - 2.0 * GM_EARTH_M3_S2 / r
    if v_g2 <= 0.0:
        raise ValueError(
            f"the meteor is bound to the Earth (speed {np.sqrt(v2):.1f} m/s at r={r:.0f} m is below the "
            f"escape speed {np.sqrt(2 * GM_EARTH_M3_S2 / r):.1f} m/s): no geocentric radiant"
        )
    v_g = np.sqrt(v_g2)
    h = np.cross(position_m, velocity_m_s)
    lrl = np.cross(velocity_m_s, h) - GM_EARTH_M3_S2 * position_m / r
    direction = (v_g * np.cross(h, lrl) + GM_EARTH_M3_S2 * lrl) / (v_g2 * float(h @ h) + GM_EARTH_M3_S2**2)
    return np.asarray(v_g * direction / np.linalg.norm(direction), dtype=np.float64)


def _elements(position_m: FloatArray, velocity_m_s: FloatArray, gm: float) -> dict[str, float | None]:
    """Keplerian elements from a state vector (any inertial axes; angles refer to its x-y plane and x).

    Bate, Mueller & White (1971), sec. 2.4: h = r x v, node vector n = z x h, eccentricity vector; the
    semi-major axis from the energy (negative for a hyperbola), q = p / (1 + e) for any conic.
    """
    r = float(np.linalg.norm(position_m))
    v2 = float(velocity_m_s @ velocity_m_s)
    h = np.cross(position_m, velocity_m_s)
    h_norm = float(np.linalg.norm(h))
    e_vec = np.cross(velocity_m_s, h) / gm - position_m / r
    e = float(np.linalg.norm(e_vec))
    inv_a = 2.0 / r - v2 / gm
    node_vec = np.array([-h[1], h[0], 0.0])
    node_norm = float(np.linalg.norm(node_vec))
    i_deg = float(np.rad2deg(np.arccos(np.clip(h[2] / h_norm, -1.0, 1.0))))
    node_deg = float(np.rad2deg(np.arctan2(node_vec[1], node_vec[0])) % 360.0) if node_norm > 0 else 0.0
    n_hat = node_vec / node_norm if node_norm > 0 else np.array([1.0, 0.0, 0.0])
    m_hat = np.cross(h / h_norm, n_hat)  # in the orbit plane, 90 deg ahead of the node
    arg_peri_deg = float(np.rad2deg(np.arctan2(e_vec @ m_hat, e_vec @ n_hat)) % 360.0)
    e_hat = e_vec / e if e > 0 else n_hat
    f_hat = np.cross(h / h_norm, e_hat)
    true_anomaly_deg = float(np.rad2deg(np.arctan2(position_m @ f_hat, position_m @ e_hat)) % 360.0)
    p_m = h_norm**2 / gm
    a_m = 1.0 / inv_a if inv_a != 0.0 else float("inf")
    bound = e < 1.0 and inv_a > 0.0
    return {
        "a_au": a_m / AU_M,
        "e": e,
        "i_deg": i_deg,
        "q_au": p_m / (1.0 + e) / AU_M,
        "aphelion_au": a_m * (1.0 + e) / AU_M if bound else None,
        "node_deg": node_deg,
        "arg_perihelion_deg": arg_peri_deg,
        "true_anomaly_deg": true_anomaly_deg,
        "period_yr": 2.0 * np.pi * np.sqrt(a_m**3 / gm) / _YEAR_S if bound else None,
        "tisserand_jupiter": JUPITER_A_AU * inv_a * AU_M
        + 2.0 * float(np.cos(np.deg2rad(i_deg))) * np.sqrt(p_m / AU_M / JUPITER_A_AU),
    }


def compute_orbit(position_eci_m: ArrayLike, velocity_eci_m_s: ArrayLike, t_utc: datetime) -> Orbit:
    """The radiants, velocities and heliocentric orbit of a meteoroid from its state at a reference point.

    Parameters
    ----------
    position_eci_m : array_like, shape (3,)
        The reference point of the trajectory (usually its beginning), inertial ECI of date, metres.
    velocity_eci_m_s : array_like, shape (3,)
        The meteor's velocity before atmospheric deceleration (the initial velocity, pointing the way it
        moves), inertial ECI of date axes, m/s. For a velocity relative to the rotating Earth, pass it
        through :func:`ground_velocity_to_inertial` first.
    t_utc : datetime
        The time of the reference point (timezone-aware).

    Returns
    -------
    Orbit
        See the module docstring for the steps and references.

    Raises
    ------
    ValueError
        When the speed is below the Earth's escape speed there (no hyperbolic encounter), or the time is
        naive or outside DE421.
    """
    position = np.asarray(position_eci_m, dtype=np.float64).reshape(3)
    velocity = np.asarray(velocity_eci_m_s, dtype=np.float64).reshape(3)
    to_j2000 = j2000_to_of_date_matrix(t_utc).T
    to_ecliptic = equatorial_to_ecliptic_matrix()
    ra_app_date, dec_app_date = angles_deg(-velocity)
    ra_app, dec_app = angles_deg(to_j2000 @ -velocity)
    v_geo_date = _geocentric_asymptote(position, velocity)
    zenith_attraction = _angle_deg(-velocity, -v_geo_date)
    v_geo = to_j2000 @ v_geo_date
    ra_geo, dec_geo = angles_deg(-v_geo)
    lambda_geo, beta_geo = angles_deg(to_ecliptic @ -v_geo)
    earth_position, earth_velocity = earth_heliocentric_state(tdb_julian_date(t_utc))
    v_helio = to_ecliptic @ (v_geo + earth_velocity)
    r_helio = to_ecliptic @ (earth_position + to_j2000 @ position)  # the meteoroid's own place
    lambda_helio, beta_helio = angles_deg(-v_helio)
    sun_longitude, _ = angles_deg(to_ecliptic @ -earth_position)
    return Orbit(
        t_utc=t_utc,
        ra_apparent_of_date_deg=float(ra_app_date),
        dec_apparent_of_date_deg=float(dec_app_date),
        ra_apparent_deg=float(ra_app),
        dec_apparent_deg=float(dec_app),
        v_inf_m_s=float(np.linalg.norm(velocity)),
        ra_geo_deg=float(ra_geo),
        dec_geo_deg=float(dec_geo),
        lambda_geo_deg=float(lambda_geo),
        beta_geo_deg=float(beta_geo),
        v_geo_m_s=float(np.linalg.norm(v_geo)),
        zenith_attraction_deg=zenith_attraction,
        lambda_helio_deg=float(lambda_helio),
        beta_helio_deg=float(beta_helio),
        v_helio_m_s=float(np.linalg.norm(v_helio)),
        sun_longitude_deg=float(sun_longitude),
        **_elements(r_helio, v_helio, GM_SUN_M3_S2),  # type: ignore[arg-type]
    )


def _angle_deg(a: FloatArray, b: FloatArray) -> float:
    return float(np.rad2deg(np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b)))
