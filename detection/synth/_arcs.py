"""Meteors placed on the sky: a head moving along a great circle, rendered through the camera model.

On an all-sky (equidistant, fish-eye) lens a long meteor draws a curve on the image: its path is a great
circle of the sky (the meteor moves in a straight line, seen from the station as a plane through the
station), and the projection bends it. :class:`ArcMeteor` moves at a constant angular speed from one
direction to another along the shorter great circle (spherical linear interpolation, Shoemake 1985,
"Animating rotation with quaternion curves", SIGGRAPH), and its light is drawn at the pixels the camera
model (:class:`calibration.camera.CameraModel`) gives for each sample of the head's path, as the star field
is projected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from detection.synth._objects import HeadDrawer, VideoGeometry, _frame_span, _require
from detection.synth._render import LIGHT_CURVES, Patch, clip_patch, points_patch

__all__ = ["ArcMeteor", "ArcMeteorDrawer", "enu", "great_circle"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


def enu(az_deg: float | F64, alt_deg: float | F64) -> F64:
    """Unit vectors (east, north, up) of directions; shape (3,) or (3, n)."""
    az, alt = np.radians(az_deg), np.radians(alt_deg)
    return np.asarray(np.stack([np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)]))


def great_circle(p0: F64, p1: F64, tau: F64) -> tuple[F64, F64]:
    """Azimuth and altitude (degrees) at fractions ``tau`` of the shorter great-circle arc from unit vector
    ``p0`` to ``p1`` (spherical linear interpolation: constant angular speed)."""
    omega = math.acos(float(np.clip(np.dot(p0, p1), -1.0, 1.0)))
    t = np.asarray(tau, dtype=np.float64)
    v = (
        np.sin((1.0 - t) * omega)[None, :] * p0[:, None] + np.sin(t * omega)[None, :] * p1[:, None]
    ) / math.sin(omega)
    az = np.mod(np.degrees(np.arctan2(v[0], v[1])), 360.0)
    alt = np.degrees(np.arcsin(np.clip(v[2], -1.0, 1.0)))
    return np.asarray(az), np.asarray(alt)


@dataclass(frozen=True)
class ArcMeteor:
    """A meteor on the sky: from (``az0_deg``, ``alt0_deg``) at ``t_start_s`` to (``az1_deg``,
    ``alt1_deg``) ``duration_s`` later along the great circle, at constant angular speed.

    ``peak_snr``, ``psf_sigma_px``, ``light_curve`` and ``sky_glow`` as for
    :class:`~detection.synth._objects.Meteor`. The arc must be shorter than 179 degrees.
    """

    t_start_s: float
    duration_s: float
    az0_deg: float
    alt0_deg: float
    az1_deg: float
    alt1_deg: float
    peak_snr: float
    psf_sigma_px: float = 1.2
    light_curve: str = "sin2"
    sky_glow: float = 0.0

    def __post_init__(self) -> None:
        _require("ArcMeteor", "duration_s", self.duration_s, self.duration_s > 0, "> 0")
        _require("ArcMeteor", "peak_snr", self.peak_snr, self.peak_snr > 0, "> 0")
        _require("ArcMeteor", "psf_sigma_px", self.psf_sigma_px, self.psf_sigma_px > 0.2, "> 0.2")
        names = sorted(LIGHT_CURVES)
        ok = self.light_curve in LIGHT_CURVES
        _require("ArcMeteor", "light_curve", self.light_curve, ok, f"one of {names}")
        _require("ArcMeteor", "sky_glow", self.sky_glow, 0.0 <= self.sky_glow <= 1.0, "a fraction in [0, 1]")
        arc = self.arc_deg
        _require("ArcMeteor", "arc", round(arc, 3), 0.0 < arc < 179.0, "an arc of 0 to 179 degrees")

    @property
    def arc_deg(self) -> float:
        """Length of the path on the sky (degrees)."""
        dot = float(np.dot(enu(self.az0_deg, self.alt0_deg), enu(self.az1_deg, self.alt1_deg)))
        return math.degrees(math.acos(min(1.0, max(-1.0, dot))))

    def altaz(self, t_s: F64) -> tuple[F64, F64]:
        """Azimuth and altitude (degrees) of the head at times ``t_s`` (extrapolated outside its life)."""
        tau = (np.asarray(t_s, dtype=np.float64) - self.t_start_s) / self.duration_s
        return great_circle(enu(self.az0_deg, self.alt0_deg), enu(self.az1_deg, self.alt1_deg), tau)


class ArcMeteorDrawer(HeadDrawer):
    """Pre-renders every frame of an :class:`ArcMeteor` through the video's camera model, scaled so that
    its brightest pixel is ``peak_snr`` sigma; truth per frame as for a straight meteor, plus the head's
    azimuth and altitude."""

    def __init__(self, meteor: ArcMeteor, geo: VideoGeometry) -> None:
        if geo.camera is None:
            raise ValueError("ArcMeteor: the video has no camera model to project the sky through")
        camera: CameraModel = geo.camera
        t_end = meteor.t_start_s + meteor.duration_s
        curve = LIGHT_CURVES[meteor.light_curve]
        scale_deg = meteor.arc_deg / meteor.duration_s / geo.fps  # degrees per frame
        self.patches: dict[int, Patch] = {}
        self.points: list[dict[str, Any]] = []
        emitted: list[float] = []
        raw_peak = 0.0
        for f in _frame_span(meteor.t_start_s, t_end, geo.fps, geo.n_frames):
            a, b = max(meteor.t_start_s, f / geo.fps), min(t_end, (f + 1) / geo.fps)
            if b <= a:
                continue
            # at least one sample per 0.3 px of motion (the plate scale is largest at the centre)
            n_sub = max(4, math.ceil(scale_deg * camera.scale_px_per_deg * (b - a) * geo.fps / 0.3))
            t = a + (b - a) * (np.arange(n_sub) + 0.5) / n_sub
            az, alt = meteor.altaz(t)
            xs, ys = camera.altaz_to_pixel(az, alt)
            ok = np.isfinite(xs) & np.isfinite(ys)
            if not ok.any():
                continue
            weights = curve((t - meteor.t_start_s) / meteor.duration_s) * ((b - a) / n_sub)
            patch, cx, cy = points_patch(xs[ok], ys[ok], weights[ok], meteor.psf_sigma_px)
            clipped = clip_patch(patch, geo.height_px, geo.width_px)
            peak = float(clipped[2].max()) if clipped is not None else 0.0
            if peak <= 0.0 or clipped is None:
                continue
            raw_peak = max(raw_peak, peak)
            self.patches[f] = clipped
            emitted.append(float(np.sum(weights)))
            (az_b,), (alt_b,) = meteor.altaz(np.array([b]))
            hx, hy = (float(v) for v in camera.altaz_to_pixel(az_b, alt_b))
            self.points.append(
                {"frame": f, "t_s": 0.5 * (a + b), "head_x_px": hx, "head_y_px": hy,
                 "head_az_deg": float(az_b), "head_alt_deg": float(alt_b),
                 "centroid_x_px": cx, "centroid_y_px": cy, "peak_dn": peak}
            )  # fmt: skip
        self._scale(meteor.peak_snr, meteor.sky_glow, geo, emitted, raw_peak)
        (az0,), (alt0,) = meteor.altaz(np.array([meteor.t_start_s]))
        self.start_px = [float(v) for v in camera.altaz_to_pixel(az0, alt0)]
        frames = [p["frame"] for p in self.points]
        super().__init__(meteor, range(frames[0], frames[-1] + 1) if frames else range(0))

    def truth(self) -> dict[str, Any]:
        data = super().truth()
        m = self.obj
        assert isinstance(m, ArcMeteor)
        data["arc_deg"] = m.arc_deg
        data["speed_deg_s"] = m.arc_deg / m.duration_s
        # the head's path on the image: its start, then its position at the end of every frame
        data["path_px"] = [self.start_px] + [[p["head_x_px"], p["head_y_px"]] for p in self.points]
        return data
