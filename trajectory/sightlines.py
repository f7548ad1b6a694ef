"""Least squares on all lines of sight (Borovička 1990): the straight line that the stations' lines of sight
meet best, in angle, each weighted by its camera's uncertainty.

For each measured line of sight (station position S, unit direction l) the point X of the trajectory nearest
to that line is the meteor's position at that measurement; the residual is the angle between l and the
direction from S to X. Working in ECI of date with each station at its position at the time of the point
takes the Earth's rotation into account (Vida et al. 2020, MNRAS 491, 2688, section 2.1).

Reference: Borovička J. (1990), The comparison of two methods of determining meteor trajectories from
photographs, Bull. Astron. Inst. Czechosl. 41, 391-396.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

__all__ = ["Line", "SightGeometry", "fit_line", "perpendicular_axes", "sight_geometry"]


@dataclass(frozen=True, eq=False)
class Line:
    """A straight trajectory in ECI of date: a point (m) and the unit direction of motion."""

    point_m: np.ndarray
    direction: np.ndarray

    def at(self, s_m: np.ndarray) -> np.ndarray:
        """Positions (m) at distances ``s_m`` along the line from its point, shape (n, 3)."""
        return np.asarray(self.point_m + np.asarray(s_m, dtype=float)[..., None] * self.direction)


@dataclass(frozen=True, eq=False)
class SightGeometry:
    """Where each line of sight meets a trajectory line.

    ``s_m``: distance along the line of the nearest point X; ``range_m``: distance from the station to X;
    ``residual_rad``: angle between the line of sight and station -> X; ``miss_m``: distance between the
    line of sight and the trajectory (the residual in metres).
    """

    s_m: np.ndarray
    range_m: np.ndarray
    residual_rad: np.ndarray
    miss_m: np.ndarray


def _nearest(line: Line, station_m: np.ndarray, los: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameters s (on the trajectory) and r (on each line of sight) of the closest points, and X."""
    w0 = line.point_m - station_m
    b = los @ line.direction
    d = w0 @ line.direction
    e = np.einsum("ij,ij->i", los, w0)
    denom = np.maximum(1.0 - b * b, 1e-12)
    s = (b * e - d) / denom
    r = (e - b * d) / denom
    return s, r, line.at(s)


def sight_geometry(line: Line, station_m: np.ndarray, los: np.ndarray) -> SightGeometry:
    """Residuals and positions of every line of sight against a trajectory line."""
    s, r, x = _nearest(line, station_m, los)
    to_x = x - station_m
    rng = np.linalg.norm(to_x, axis=1)
    cross = np.linalg.norm(np.cross(los, to_x), axis=1)
    residual = np.arctan2(cross, np.einsum("ij,ij->i", los, to_x))
    miss = np.linalg.norm(x - (station_m + r[:, None] * los), axis=1)
    return SightGeometry(s_m=s, range_m=rng, residual_rad=residual, miss_m=miss)


def perpendicular_axes(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit axes perpendicular to unit vectors v (n, 3) (or one vector (3,))."""
    helper = np.where(np.abs(v[..., 2:3]) < 0.9, np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0]))
    a = np.cross(v, helper)
    a /= np.linalg.norm(a, axis=-1, keepdims=True)
    return a, np.cross(v, a)


def fit_line(line0: Line, station_m: np.ndarray, los: np.ndarray, sigma_rad: np.ndarray) -> Line:
    """The line minimising the weighted sum of squared angular residuals, started from ``line0``.

    Four parameters: two small rotations of the direction and two shifts of the point across it.
    Each residual is split into its two components across the line of sight (smooth where it is zero).
    """
    e1, e2 = perpendicular_axes(line0.direction)
    a1, a2 = perpendicular_axes(los)
    scale = float(np.median(np.linalg.norm(station_m - line0.point_m, axis=1)))
    weight = 1.0 / np.asarray(sigma_rad, dtype=float)

    def unpack(p: np.ndarray) -> Line:
        d = line0.direction + p[0] * e1 + p[1] * e2
        return Line(line0.point_m + scale * (p[2] * e1 + p[3] * e2), d / np.linalg.norm(d))

    def residuals(p: np.ndarray) -> np.ndarray:
        _, _, x = _nearest(unpack(p), station_m, los)
        to_x = x - station_m
        to_x /= np.linalg.norm(to_x, axis=1, keepdims=True)
        return np.concatenate(
            [np.einsum("ij,ij->i", to_x, a1) * weight, np.einsum("ij,ij->i", to_x, a2) * weight]
        )

    fit = least_squares(residuals, np.zeros(4), x_scale=1e-3, method="lm", xtol=1e-12, ftol=1e-12)
    line = unpack(fit.x)
    # Keep the point at the foot of the perpendicular from the first station: a stable, nearby anchor.
    s, _, _ = _nearest(line, station_m[:1], los[:1])
    return Line(line.at(s)[0], line.direction)
