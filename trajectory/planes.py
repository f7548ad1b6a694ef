"""The initial straight line of a meteor: the intersection of the planes of two stations (Ceplecha 1987).

Each station's lines of sight to a meteor lie (nearly) in one plane through the station; two such planes
meet in the trajectory. The pair whose planes meet at the largest angle (the best-converging pair) gives the
best-conditioned line, which starts the least-squares fit on all lines of sight.

Reference: Ceplecha Z. (1987), Geometric, dynamic, orbital and photometric data on meteoroids from
photographic fireball networks, Bull. Astron. Inst. Czechosl. 38, 222-234 (section 2, the method of
planes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Plane", "convergence_angle_deg", "fit_plane", "intersect_planes"]


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane of one station's lines of sight: unit normal, a point (the station, m) and the scatter
    (rms angle of the lines of sight out of the plane, rad)."""

    normal: np.ndarray
    point_m: np.ndarray
    scatter_rad: float


def fit_plane(los_unit: np.ndarray, station_m: np.ndarray) -> Plane:
    """The plane through the mean station position that best contains unit lines of sight (n >= 2).

    The normal is the right singular vector of the smallest singular value of the (n, 3) matrix of
    directions: it minimises the sum of squared sines of the angles out of the plane.
    """
    _, _, vt = np.linalg.svd(np.asarray(los_unit, dtype=float), full_matrices=False)
    normal = vt[2] / np.linalg.norm(vt[2])
    scatter = float(np.sqrt(np.mean((los_unit @ normal) ** 2)))
    return Plane(normal=normal, point_m=np.asarray(station_m, dtype=float).mean(axis=0), scatter_rad=scatter)


def convergence_angle_deg(a: Plane, b: Plane) -> float:
    """The angle between two planes, in [0, 90] deg (Ceplecha's Q)."""
    c = abs(float(a.normal @ b.normal))
    return float(np.degrees(np.arccos(min(c, 1.0))))


def intersect_planes(a: Plane, b: Plane, motion_hint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line where two planes meet: a point (m, the one nearest to plane ``a``'s station) and the unit
    direction of motion, signed to agree with ``motion_hint`` (e.g. last line of sight minus first)."""
    direction = np.cross(a.normal, b.normal)
    norm = np.linalg.norm(direction)
    if norm < 1e-9:
        raise ValueError("parallel planes have no line of intersection")
    direction /= norm
    if direction @ motion_hint < 0:
        direction = -direction
    m = np.array([a.normal, b.normal, direction])
    rhs = np.array([a.normal @ a.point_m, b.normal @ b.point_m, direction @ a.point_m])
    return np.linalg.solve(m, rhs), direction
