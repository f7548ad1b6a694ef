"""Random scenes of the all-sky camera and of whole-image disturbances (the generators that do not draw
an ordinary meteor): :func:`allsky_camera`, :func:`random_arc_meteor`, :func:`random_disturbances`.

Re-exported by :mod:`detection.synth.sky`, which holds the other generators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from calibration.camera import CameraModel
from detection.synth._arcs import ArcMeteor
from detection.synth._disturb import CodecDamage, GainStep, StarsBrighten

__all__ = ["allsky_camera", "random_arc_meteor", "random_disturbances"]


class _Settings(Protocol):  # the parts of SkySettings used here (SkySettings lives in sky.py)
    @property
    def duration_s(self) -> float: ...
    @property
    def fps(self) -> float: ...
    @property
    def cam(self) -> CameraModel: ...


def allsky_camera(size_px: int = 512, fov_deg: float = 200.0) -> CameraModel:
    """An all-sky camera: equidistant (fish-eye) lens looking at the zenith, a square ``size_px`` frame
    ``fov_deg`` across, so the horizon is a disc of radius ``size_px * 90 / fov_deg`` px inside it (as the
    FRIPON cameras of ``../shared/data/video``). North is up on the image (``az_deg=0``)."""
    return CameraModel(size_px, size_px, az_deg=0.0, alt_deg=90.0, rotation_deg=0.0, fov_h_deg=fov_deg)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def random_arc_meteor(
    rng: np.random.Generator,
    settings: _Settings,
    *,
    arc_deg: tuple[float, float] = (40.0, 150.0),
    speed_deg_s: tuple[float, float] = (15.0, 45.0),
    peak_snr: tuple[float, float] = (8.0, 60.0),
    min_alt_deg: float = 10.0,
    t_range_s: tuple[float, float] | None = None,
    light_curves: Sequence[str] = ("sin2", "late-peak", "flare", "terminal-flare"),
    sky_glow: tuple[float, float] = (0.0, 0.0),
) -> ArcMeteor:
    """A long meteor on the sky: an arc of a great circle (length uniform in ``arc_deg``) that stays
    above ``min_alt_deg``, angular speed uniform in ``speed_deg_s``, peak SNR log-uniform.

    The great circle is drawn by its highest point (azimuth uniform, altitude uniform among those for
    which the circle stays above ``min_alt_deg`` for the whole arc: along a great circle whose top is at
    altitude h, sin(alt) = sin(h) cos(s) at angle s from the top), the arc placed uniformly on the part
    above ``min_alt_deg``, in either direction. Meant for :func:`allsky_camera`; any camera works, but the
    arc may leave a narrower field.
    """
    length = _uniform(rng, arc_deg)
    half = math.radians(length / 2.0)
    sin_min = math.sin(math.radians(min_alt_deg))
    h_low = math.degrees(math.asin(min(1.0, sin_min / max(math.cos(half), 1e-9))))
    if h_low >= 89.0:
        raise ValueError(f"random_arc_meteor: an arc of {length:.0f} deg cannot stay above {min_alt_deg} deg")
    top_alt = _uniform(rng, (h_low + 1.0, 90.0))
    top_az = _uniform(rng, (0.0, 360.0))
    # half the span of the circle above min_alt, around its top
    span = math.acos(min(1.0, sin_min / math.sin(math.radians(top_alt))))
    centre = _uniform(rng, (-(span - half), span - half))
    direction = 1.0 if rng.uniform() < 0.5 else -1.0
    top = np.array(_enu(top_az, top_alt))
    side = np.array([math.cos(math.radians(top_az)), -math.sin(math.radians(top_az)), 0.0])  # horizontal

    def at(s: float) -> tuple[float, float]:
        v = math.cos(s) * top + math.sin(s) * side
        return math.degrees(math.atan2(v[0], v[1])) % 360.0, math.degrees(
            math.asin(max(-1.0, min(1.0, v[2])))
        )

    az0, alt0 = at(centre - direction * half)
    az1, alt1 = at(centre + direction * half)
    speed = _uniform(rng, speed_deg_s)
    duration = length / speed
    snr = float(np.exp(rng.uniform(np.log(peak_snr[0]), np.log(peak_snr[1]))))
    lo, hi = t_range_s if t_range_s is not None else (0.2, max(0.2, settings.duration_s - duration - 0.2))
    t0 = _uniform(rng, (lo, max(lo, hi)))
    curve = str(light_curves[int(rng.integers(len(light_curves)))])
    glow = _uniform(rng, sky_glow)
    return ArcMeteor(t0, duration, az0, alt0, az1, alt1, snr, light_curve=curve, sky_glow=glow)


def _enu(az_deg: float, alt_deg: float) -> tuple[float, float, float]:
    az, alt = math.radians(az_deg), math.radians(alt_deg)
    return math.cos(alt) * math.sin(az), math.cos(alt) * math.cos(az), math.sin(alt)


def random_disturbances(
    rng: np.random.Generator, settings: _Settings, kinds: Sequence[str]
) -> list[CodecDamage | GainStep | StarsBrighten]:
    """One random change of the whole image per entry of ``kinds``: ``codec_damage`` (1-4 frames, 20-80 %
    of the image, blocks or tearing), ``gain_step`` (factor 0.6-1.7, at once or over up to 0.4 s),
    ``stars_brighten`` (all stars x1.5-3 over 0.1-1 s). Times uniform in the video, away from its ends."""
    out: list[CodecDamage | GainStep | StarsBrighten] = []
    end = max(0.6, settings.duration_s - 0.5)
    for kind in kinds:
        t = _uniform(rng, (0.5, end))
        if kind == "codec_damage":
            style = "blocks" if rng.uniform() < 0.6 else "tear"
            out.append(CodecDamage(t, int(rng.integers(1, 5)), _uniform(rng, (0.2, 0.8)), style,
                                   _uniform(rng, (20.0, 60.0)), int(rng.integers(2**31))))  # fmt: skip
        elif kind == "gain_step":
            factor = _uniform(rng, (0.6, 1.7))
            ramp = 0.0 if rng.uniform() < 0.5 else _uniform(rng, (0.04, 0.4))
            out.append(GainStep(t, factor, ramp))
        elif kind == "stars_brighten":
            out.append(StarsBrighten(t, _uniform(rng, (0.1, 1.0)), _uniform(rng, (1.5, 3.0))))
        else:
            raise ValueError(
                f"random_disturbances: kind={kind!r}: expected codec_damage, gain_step or stars_brighten"
            )
    return out
