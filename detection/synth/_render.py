"""Rendering helpers of the synthetic sky: light along a moving head, star stamps, patches.

A patch is ``(y0, x0, values)``: a float32 array whose top-left pixel is ``(x0, y0)`` of the image; it may
hang over the image's edges and is clipped when added.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LIGHT_CURVES",
    "Patch",
    "add_patch",
    "gaussian_patch",
    "points_patch",
    "segment_patch",
    "stamp_indices",
]

Patch = tuple[int, int, NDArray[np.float32]]
F64 = NDArray[np.float64]


def _sin2(tau: F64) -> F64:
    return np.asarray(np.sin(np.pi * tau) ** 2)


def _flat(tau: F64) -> F64:
    return np.ones_like(tau)


def _late_peak(tau: F64) -> F64:
    """Rising slowly, peaking at 70 % of the duration, ending fast: a typical meteoroid ablation curve."""
    return np.asarray(tau**2.3 * (1.0 - tau) ** 1.0)


def _flare(tau: F64) -> F64:
    """A weak steady trail with a bright flare (fragmentation) at 60 % of the duration."""
    return np.asarray(0.25 * np.sin(np.pi * tau) + np.exp(-0.5 * ((tau - 0.6) / 0.04) ** 2))


def _terminal_flare(tau: F64) -> F64:
    """A trail brightening slowly, then a sharp flare at the very end (95 % of the duration, 2 % wide)
    four times brighter than the trail before it: the terminal burst of a fireball (Ceplecha et al. 1998,
    "Meteor phenomena and bodies", Space Sci. Rev. 84, 327, sect. 7: flares at the end of the luminous
    path), as the real FRIPON clip ``meteor1.avi`` shows."""
    return np.asarray(0.25 * tau**1.5 + np.exp(-0.5 * ((tau - 0.95) / 0.02) ** 2))


LIGHT_CURVES: dict[str, Callable[[F64], F64]] = {
    "sin2": _sin2,
    "flat": _flat,
    "late-peak": _late_peak,
    "flare": _flare,
    "terminal-flare": _terminal_flare,
}


def segment_patch(
    x0_px: float,
    y0_px: float,
    x1_px: float,
    y1_px: float,
    weights: F64,
    sigma_px: float,
) -> tuple[Patch, float, float]:
    """Light of a point moving from (x0, y0) to (x1, y1) during an exposure, blurred by a Gaussian PSF.

    ``weights`` are the light emitted in equal sub-intervals of the motion (at their midpoints); their
    number sets the sampling, which should be at least one sample per 0.3 px of motion. The Gaussian is
    sampled at pixel centres (not integrated over the pixel) and normalised to unit sum for a point.

    Returns the patch and the light-weighted centroid (x, y) of the drawn light.
    """
    n = len(weights)
    frac = (np.arange(n) + 0.5) / n
    xs = x0_px + (x1_px - x0_px) * frac
    ys = y0_px + (y1_px - y0_px) * frac
    reach = math.ceil(4.0 * sigma_px) + 1
    left, right = math.floor(min(x0_px, x1_px)) - reach, math.ceil(max(x0_px, x1_px)) + reach
    top, bottom = math.floor(min(y0_px, y1_px)) - reach, math.ceil(max(y0_px, y1_px)) + reach
    gx = np.exp(-0.5 * ((np.arange(left, right + 1)[None, :] - xs[:, None]) / sigma_px) ** 2)
    gy = np.exp(-0.5 * ((np.arange(top, bottom + 1)[None, :] - ys[:, None]) / sigma_px) ** 2)
    norm = 1.0 / (2.0 * np.pi * sigma_px * sigma_px)
    values = ((gy * (weights * norm)[:, None]).T @ gx).astype(np.float32)
    total = float(np.sum(weights))
    cx = float(np.sum(weights * xs) / total) if total > 0 else float(np.mean(xs))
    cy = float(np.sum(weights * ys) / total) if total > 0 else float(np.mean(ys))
    return (top, left, values), cx, cy


def points_patch(xs_px: F64, ys_px: F64, weights: F64, sigma_px: float) -> tuple[Patch, float, float]:
    """Light of points ``(xs_px, ys_px)`` emitting ``weights``, blurred by a Gaussian PSF: the general
    form of :func:`segment_patch` for a head on a curved path or several fragments (same sampling and
    normalisation). Returns the patch and the light-weighted centroid (x, y)."""
    reach = math.ceil(4.0 * sigma_px) + 1
    left, right = math.floor(float(np.min(xs_px))) - reach, math.ceil(float(np.max(xs_px))) + reach
    top, bottom = math.floor(float(np.min(ys_px))) - reach, math.ceil(float(np.max(ys_px))) + reach
    gx = np.exp(-0.5 * ((np.arange(left, right + 1)[None, :] - xs_px[:, None]) / sigma_px) ** 2)
    gy = np.exp(-0.5 * ((np.arange(top, bottom + 1)[None, :] - ys_px[:, None]) / sigma_px) ** 2)
    norm = 1.0 / (2.0 * np.pi * sigma_px * sigma_px)
    values = ((gy * (weights * norm)[:, None]).T @ gx).astype(np.float32)
    total = float(np.sum(weights))
    cx = float(np.sum(weights * xs_px) / total) if total > 0 else float(np.mean(xs_px))
    cy = float(np.sum(weights * ys_px) / total) if total > 0 else float(np.mean(ys_px))
    return (top, left, values), cx, cy


def gaussian_patch(x_px: float, y_px: float, amplitude: float, sigma_px: float) -> Patch:
    """A round Gaussian of peak ``amplitude`` centred on ``(x_px, y_px)``, out to 4 sigma."""
    reach = math.ceil(4.0 * sigma_px) + 1
    left, top = math.floor(x_px) - reach, math.floor(y_px) - reach
    gx = np.exp(-0.5 * ((np.arange(left, left + 2 * reach + 2) - x_px) / sigma_px) ** 2)
    gy = np.exp(-0.5 * ((np.arange(top, top + 2 * reach + 2) - y_px) / sigma_px) ** 2)
    return top, left, (amplitude * np.outer(gy, gx)).astype(np.float32)


def clip_patch(patch: Patch, height: int, width: int) -> Patch | None:
    """The part of a patch inside a ``height`` x ``width`` image, or None when none of it is."""
    y0, x0, values = patch
    ph, pw = values.shape
    ya, xa = max(y0, 0), max(x0, 0)
    yb, xb = min(y0 + ph, height), min(x0 + pw, width)
    if ya >= yb or xa >= xb:
        return None
    return ya, xa, values[ya - y0 : yb - y0, xa - x0 : xb - x0]


def add_patch(image: NDArray[np.float32], patch: Patch, scale: float = 1.0) -> None:
    """Add ``scale`` times a (clipped) patch into ``image`` in place."""
    clipped = clip_patch(patch, image.shape[0], image.shape[1])
    if clipped is None:
        return
    y0, x0, values = clipped
    view = image[y0 : y0 + values.shape[0], x0 : x0 + values.shape[1]]
    if scale == 1.0:
        view += values
    else:
        view += values * np.float32(scale)


def stamp_indices(
    x_px: F64, y_px: F64, sigma_px: float, height: int, width: int
) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """Flat pixel indices and unit-sum Gaussian weights of one stamp per point, shape (n, k*k).

    Pixels outside the image get index 0 and weight 0, so the stamps can be added with ``np.add.at``.
    """
    reach = math.ceil(3.5 * sigma_px)
    offsets = np.arange(-reach, reach + 1)
    xi = np.rint(x_px).astype(np.intp)
    yi = np.rint(y_px).astype(np.intp)
    px = xi[:, None, None] + offsets[None, None, :]
    py = yi[:, None, None] + offsets[None, :, None]
    dx = px - x_px[:, None, None]
    dy = py - y_px[:, None, None]
    w = np.exp(-0.5 * (dx * dx + dy * dy) / (sigma_px * sigma_px)) / (2.0 * np.pi * sigma_px * sigma_px)
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    k2 = offsets.size * offsets.size  # explicit: reshape(0, -1) is ambiguous when there are no points
    flat = np.where(inside, py * width + px, 0).reshape(len(xi), k2)
    weights = np.where(inside, w, 0.0).reshape(len(xi), k2).astype(np.float32)
    return flat.astype(np.intp), weights
