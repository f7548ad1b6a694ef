"""Along the trajectory: the stations' timing offsets, the initial and average velocities, and the
deceleration when the data show it.

Every point has a distance along the trajectory ``s_m`` (where its line of sight meets the line) and a
time ``t_s``. Cameras' clocks disagree by up to tenths of a second, so each track gets a time offset,
fitted with one smooth distance-time curve common to all tracks (a polynomial of degree 2 to 4, by the
number of points); the first track's offset is zero. Vida et al. (2020, MNRAS 491, 2688, section 2.3)
estimate the offsets likewise, by making the stations' distance-time data agree.

- Initial velocity: the slope of a straight line through the points of the first ``fraction`` of the flight
  time (at least 4 points), as Vida et al. (2020, section 2.4).
- Average velocity: the slope of a straight line through all points.
- Deceleration: the Whipple-Jacchia model ``s = s0 + v_inf t - A exp(B t)`` (Jacchia, Verniani & Briggs
  1967, Smithson. Contrib. Astrophys. 10, 1), kept when it fits significantly better than a straight line
  (F test at 0.1 %) and stays physical: the model's velocity and deceleration at the last point are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, minimize_scalar
from scipy.stats import f as f_dist

__all__ = ["Deceleration", "Kinematics", "fit_kinematics"]


@dataclass(frozen=True)
class Deceleration:
    """The Whipple-Jacchia fit: ``s = s0 + v_inf t - A exp(B t)`` (t in s after the reference time)."""

    v_inf_m_s: float
    a_m: float
    b_per_s: float
    v_end_m_s: float
    deceleration_end_m_s2: float


@dataclass(frozen=True, eq=False)
class Kinematics:
    """Timing offsets per track (s, added to its times), corrected times (s), velocities (m/s)."""

    time_offsets_s: np.ndarray
    t_s: np.ndarray
    v_init_m_s: float
    v_avg_m_s: float
    v_init_n_points: int
    deceleration: Deceleration | None
    along_residual_m: np.ndarray


def _design(t: np.ndarray, degree: int) -> np.ndarray:
    return np.vander(t, degree + 1, increasing=True)


def _offset_residuals(
    p: np.ndarray, t: np.ndarray, s: np.ndarray, track: np.ndarray, n_tracks: int, degree: int
) -> np.ndarray:
    offsets = np.concatenate([[0.0], p])[:n_tracks]
    tc = t + offsets[track]
    a = _design(tc, degree)
    coef, *_ = np.linalg.lstsq(a, s, rcond=None)
    return s - a @ coef  # type: ignore[no-any-return]


def _degree(n_points: int) -> int:
    return 4 if n_points >= 40 else 3 if n_points >= 20 else 2


def _grid_costs(tc: np.ndarray, s: np.ndarray, shifts: np.ndarray, degree: int) -> np.ndarray:
    """Residual sums of squares of the polynomial fit for each row of time shifts (G, n), at once.

    Normal equations on times scaled to about [-1, 1] (degree <= 4, well conditioned there).
    """
    t = tc[None, :] + shifts
    scale = max(float(np.max(np.abs(t))), 1e-9)
    a = (t / scale)[..., None] ** np.arange(degree + 1)  # (G, n, d+1)
    ata = np.einsum("gni,gnj->gij", a, a)
    ats = np.einsum("gni,n->gi", a, s)
    coef = np.linalg.solve(ata, ats[..., None])[..., 0]
    res = s[None, :] - np.einsum("gni,gi->gn", a, coef)
    return np.asarray(np.sum(res**2, axis=1))


_NEAR_S = 0.25
_FAR_GAIN = 0.25


def _grid_search(
    tc: np.ndarray, s: np.ndarray, track: np.ndarray, n_tracks: int, max_offset_s: float, degree: int
) -> np.ndarray:
    """Offsets (tracks 1..) searched track by track, twice: 50 ms steps, then 5 ms around the best.

    An offset beyond ``_NEAR_S`` is taken only when it cuts the misfit of the best nearby one to less than
    ``_FAR_GAIN`` of it: a short track shifted far along a smooth curve can fit by accident (seen with
    5-point tracks of simulated events), while a real clock error of seconds (CMN 2017030506: 1.23 s)
    cuts the misfit a hundredfold.
    """
    p = np.zeros(n_tracks - 1)
    coarse = np.linspace(-max_offset_s, max_offset_s, round(2 * max_offset_s / 0.05) + 1)
    for _ in range(2):
        for j in range(n_tracks - 1):
            for grid in (coarse, None):
                if grid is None:
                    grid = np.clip(p[j] + np.arange(-0.05, 0.0501, 0.005), -max_offset_s, max_offset_s)
                shifts = np.zeros((grid.size, tc.size))
                for k in range(1, n_tracks):
                    shifts[:, track == k] = p[k - 1]
                shifts[:, track == j + 1] = grid[:, None]
                costs = _grid_costs(tc, s, shifts, degree)
                near = np.flatnonzero(np.abs(grid) <= _NEAR_S)
                best = int(np.argmin(costs))
                if grid is coarse and near.size and costs[best] >= _FAR_GAIN * costs[near].min():
                    best = int(near[np.argmin(costs[near])])
                p[j] = grid[best]
    return p


def fit_time_offsets(
    t_s: np.ndarray,
    s_m: np.ndarray,
    track: np.ndarray,
    n_tracks: int,
    max_offset_s: float,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Per-track time offsets (s, first track 0) that make all tracks follow one distance-time curve.

    Without ``start`` (offsets to begin from, e.g. a nominal solution's), each offset is first searched on
    a grid within +-``max_offset_s`` so that a clock error of seconds is found; then all are refined
    together by robust least squares.
    """
    if n_tracks < 2 or max_offset_s == 0:
        return np.zeros(n_tracks)
    degree = _degree(len(t_s))
    tc = t_s - t_s.mean()
    if start is None:
        p = np.round(_grid_search(tc, s_m, track, n_tracks, max_offset_s, degree), 6)
    else:
        p = np.clip(np.asarray(start, dtype=float)[1:] - start[0], -max_offset_s, max_offset_s)
    r0 = _offset_residuals(p, tc, s_m, track, n_tracks, degree)
    fit = least_squares(
        _offset_residuals, p, bounds=(-max_offset_s, max_offset_s), args=(tc, s_m, track, n_tracks, degree),
        loss="soft_l1", f_scale=max(float(np.sqrt(np.mean(r0**2))), 1.0), x_scale=0.01, diff_step=1e-4,
    )  # fmt: skip
    return np.concatenate([[0.0], fit.x])


def _line_slope(t: np.ndarray, s: np.ndarray) -> float:
    return float(np.polyfit(t, s, 1)[0])


def _jacchia_given_b(b: float, t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, float]:
    a = np.column_stack([np.ones_like(t), t, -np.exp(b * t)])
    coef, *_ = np.linalg.lstsq(a, s, rcond=None)
    return coef, float(np.sum((s - a @ coef) ** 2))


def fit_deceleration(t_s: np.ndarray, s_m: np.ndarray, p_value: float = 1e-3) -> Deceleration | None:
    """The Whipple-Jacchia fit when it beats a straight line (F test at ``p_value``) and stays physical
    (positive A, a positive velocity at the last point), else None.

    For each trial B the model is linear in (s0, v_inf, A); B is searched on a grid of 0.3 to 20 e-folds
    over the flight, then refined.
    """
    n = len(t_s)
    duration = float(t_s.max() - t_s.min())
    if n < 8 or duration <= 0:
        return None
    t = t_s - t_s.min()
    rss_line = float(np.sum((s_m - np.polyval(np.polyfit(t, s_m, 1), t)) ** 2))
    lo, hi = np.log(0.3 / duration), np.log(20.0 / duration)
    grid = np.linspace(lo, hi, 40)
    best = grid[int(np.argmin([_jacchia_given_b(float(np.exp(g)), t, s_m)[1] for g in grid]))]
    opt = minimize_scalar(
        lambda lb: _jacchia_given_b(float(np.exp(lb)), t, s_m)[1],
        bounds=(max(best - 0.2, lo), min(best + 0.2, hi)),
        method="bounded",
    )
    b = float(np.exp(opt.x))
    coef, rss = _jacchia_given_b(b, t, s_m)
    if coef[2] <= 0 or rss <= 0 or rss >= rss_line:
        return None
    f_stat = (rss_line - rss) / (rss / (n - 4))
    t_end = float(t.max())
    v_end = float(coef[1] - coef[2] * b * np.exp(b * t_end))
    v_start = float(coef[1] - coef[2] * b)
    if f_dist.sf(f_stat, 1, n - 4) > p_value or not 0.0 < v_end < v_start:
        return None
    shift = np.exp(-b * float(t_s.min()))  # express A for t measured from the reference time, not t_min
    return Deceleration(
        v_inf_m_s=float(coef[1]),
        a_m=float(coef[2] * shift),
        b_per_s=b,
        v_end_m_s=v_end,
        deceleration_end_m_s2=float(coef[2] * b * b * np.exp(b * t_end)),
    )


def initial_velocity(t_s: np.ndarray, s_m: np.ndarray, fraction: float) -> tuple[float, int]:
    """Slope (m/s) of a line through the points of the first ``fraction`` of the flight (>= 4 points)."""
    order = np.argsort(t_s)
    t, s = t_s[order], s_m[order]
    n = max(int(np.sum(t <= t[0] + fraction * (t[-1] - t[0]))), min(4, len(t)))
    return _line_slope(t[:n], s[:n]), n


def fit_kinematics(
    t_s: np.ndarray,
    s_m: np.ndarray,
    track: np.ndarray,
    n_tracks: int,
    *,
    max_offset_s: float,
    v_init_fraction: float,
    fit_offsets: bool = True,
    start_offsets: np.ndarray | None = None,
) -> Kinematics:
    """Offsets, velocities and deceleration of points ``(t_s, s_m)`` of tracks ``track`` (0..n_tracks-1);
    ``start_offsets`` (per track) skips the grid search of the offsets and refines from there."""
    if fit_offsets:
        offsets = fit_time_offsets(t_s, s_m, track, n_tracks, max_offset_s, start_offsets)
    else:
        offsets = np.zeros(n_tracks)
    tc = t_s + offsets[track]
    v_init, n_init = initial_velocity(tc, s_m, v_init_fraction)
    v_avg = _line_slope(tc, s_m)
    decel = fit_deceleration(tc, s_m)
    if decel is not None:
        model = -decel.a_m * np.exp(decel.b_per_s * tc) + decel.v_inf_m_s * tc
        along = s_m - model - np.mean(s_m - model)
    else:
        along = s_m - np.polyval(np.polyfit(tc, s_m, 1), tc)
    return Kinematics(offsets, tc, v_init, v_avg, n_init, decel, along)
