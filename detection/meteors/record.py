"""The record of a meteor detection: per-frame points, the fitted line, the checks, and its JSON form.

A :class:`Detection` is what :class:`~detection.meteors.detector.MeteorDetector` returns for each straight
moving object it finds: its :class:`FramePoint` per frame (0-based pixels, x right, y down, centres on
integers), the :class:`LineFit` through them and the :class:`~detection.meteors.checks.Check` results.
:meth:`Detection.to_json` is the JSON record that stationd's verify stage stores and the ``detect``
command prints; its fields and rounding are a stored format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from detection.meteors.checks import Check

__all__ = ["Detection", "FramePoint", "LineFit"]


@dataclass(frozen=True)
class FramePoint:
    """The meteor in one frame: its centroid (px) and summed background-subtracted DN.

    The centroid is intensity-weighted, or where the head is clipped the centroid of its clipped core's
    shape (:mod:`detection.meteors.saturation`). In a :class:`Detection` ``frame`` is in the caller's
    numbering (``first_frame`` + index in the block or frames given); :mod:`detection.meteors.centroids`
    measures it within the block it reads. ``n_px`` pixels contributed, ``saturated_px`` of them at the
    sensor's top (in decoded frames from ``saturation.SATURATED_DN``, 250 DN: 255 less a codec's error on
    a clipped plateau; in FF planes at 255).
    """

    frame: int
    x_px: float
    y_px: float
    intensity: float
    n_px: int
    saturated_px: int


@dataclass(frozen=True)
class LineFit:
    """Least-squares straight line through the frame points, constant speed along it.

    Begin and end are the fitted positions at ``frame_begin`` and ``frame_end``; ``residual_px`` is the
    RMS distance of the centroids from the fitted positions across the track.
    """

    x_begin_px: float
    y_begin_px: float
    x_end_px: float
    y_end_px: float
    frame_begin: int
    frame_end: int
    speed_px_frame: float
    speed_deg_s: float
    length_px: float
    residual_px: float


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _round(value: float, digits: int) -> float:
    return round(float(value), digits) if math.isfinite(value) else float(value)


_LINE_DIGITS = {"speed_deg_s": 2, "speed_px_frame": 3}


@dataclass(frozen=True)
class Detection:
    """A straight moving object found in a block, with its per-frame points, line and checks."""

    frames: tuple[FramePoint, ...]
    line: LineFit
    checks: tuple[Check, ...]
    fireball: bool

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        """The failed checks, as ``"name: value (limit)"``."""
        return [f"{c.name}: {_fmt(c.value)} (limit {c.limit})" for c in self.checks if not c.passed]

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError when absent)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The JSON-able record (floats rounded: px to 0.01, intensity to 0.1, deg/s to 0.01)."""
        line: dict[str, Any] = {}
        for f in fields(LineFit):
            value = getattr(self.line, f.name)
            rounded = value if isinstance(value, int) else _round(value, _LINE_DIGITS.get(f.name, 2))
            line[f.name] = _finite_or_none(rounded)  # JSON has no NaN: a rejected track may lack a speed
        checks: dict[str, Any] = {}
        for c in self.checks:
            # A measurement that could not be made (NaN) is null in JSON, which has no NaN.
            value = c.value if isinstance(c.value, bool) else _finite_or_none(_round(c.value, 3))
            checks[c.name] = {"value": value, "limit": c.limit, "passed": bool(c.passed)}
        return {
            "frames": [
                {
                    "frame": int(p.frame),
                    "x_px": _round(p.x_px, 2),
                    "y_px": _round(p.y_px, 2),
                    "intensity": _round(p.intensity, 1),
                }
                for p in self.frames
            ],
            "line": line,
            "checks": checks,
            "fireball": bool(self.fireball),
        }


def _fmt(value: float | bool) -> str:
    return str(value) if isinstance(value, bool) else f"{value:.3g}"
