"""A meteor's track as the camera sees it: a straight line on the image, or a great circle on the sky.

A meteor moves along a straight line in space; seen from the ground it follows a great circle of the sky at
a nearly steady angular speed. Through a rectilinear (pinhole) lens a great circle is a straight line on the
image; through a fish-eye (equidistant, all-sky) lens it is a curve, and a long meteor across the field
draws an arc that no straight line fits (Borovicka, Spurny and Keclikova 1995, "A new positional
astrometric method for all-sky cameras", A&AS 112: the all-sky projection; Gural 2008, "Algorithms and
software for meteor detection", Earth Moon Planets 102: a meteor's motion is a great circle at constant
angular rate). Two geometries, one interface:

- :func:`fit_track` with ``sky=None``: the constant-speed pixel line of
  :func:`detection.meteors._fit.fit_line` (no camera model); a track of at least ``CURVE_MIN_PX`` that
  bends steadily (a quadratic across its line at most halves the line's residual, turning by at most a
  radian) is measured across that curve instead, the lens's image of its straight path;
- :func:`fit_track` with a :class:`SkyProjection`: the great circle through the points' directions (the
  plane through the camera that fits them best, by SVD), the angle along it fitted linearly in time; residuals
  are pixel distances from each centroid to the circle's image, speeds are angular (deg/s) at any place of
  the field. A coarse model's projection need not be the lens's, so the track on the image (as without a
  model) is the other geometry: the one that fits better is kept, its speed an angle through the model.

:func:`join_pieces` makes one track of pieces that the line finder found separately (windows, blocks,
straight stretches of a curve, a gap of a few frames): two pieces join when their union fits one track of
the geometry (residual across it within ``max_residual_px``), their speeds agree, and one continues the
other (positions at common frames, or the first extrapolated over the gap, within a few pixels).

Example
-------
>>> from calibration.camera import CameraModel
>>> sky = SkyProjection(CameraModel(640, 480, 0.0, 90.0, 0.0, 180.0 * 640 / 480))
>>> az = np.linspace(10.0, 100.0, 40)
>>> x, y = sky.camera.altaz_to_pixel(az, np.full(40, 30.0))  # a small circle: not a meteor's path
>>> float(np.round(sky.unit_vectors(x, y)[0] @ sky.unit_vectors(x, y)[-1], 3))
0.25
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from detection.meteors._fit import Fit, fit_line
from detection.meteors.record import FramePoint, LineFit

__all__ = ["SkyProjection", "TrackFit", "fit_track", "join_pieces", "one_track"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SkyProjection:
    """Pixels to directions through a camera model, its optical axis on ``centre_px`` (x, y).

    Only the projection, the focal length and the centre matter for a track's shape (a rotation of the
    sky moves great circles onto great circles), so a coarse pointing is enough. ``centre_px`` None: the
    image centre ``((width - 1) / 2, (height - 1) / 2)``, as :class:`~calibration.camera.CameraModel` has it.
    """

    camera: CameraModel
    centre_px: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.centre_px is not None and not all(math.isfinite(c) for c in self.centre_px):
            raise ValueError(f"SkyProjection.centre_px={self.centre_px!r}: expected two finite numbers (px)")

    def _offset(self) -> tuple[float, float]:
        if self.centre_px is None:
            return 0.0, 0.0
        cx, cy = self.centre_px
        return cx - (self.camera.width_px - 1) / 2.0, cy - (self.camera.height_px - 1) / 2.0

    def unit_vectors(self, x_px: FloatArray, y_px: FloatArray) -> FloatArray:
        """Directions (n, 3), east/north/zenith unit vectors, seen at pixels."""
        dx, dy = self._offset()
        az, alt = self.camera.pixel_to_altaz(np.asarray(x_px) - dx, np.asarray(y_px) - dy)
        a, h = np.radians(az), np.radians(alt)
        return np.stack([np.cos(h) * np.sin(a), np.cos(h) * np.cos(a), np.sin(h)], axis=-1)

    def pixels(self, vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Pixels (x, y) of directions (n, 3)."""
        v = np.asarray(vectors, np.float64)
        az = np.degrees(np.arctan2(v[..., 0], v[..., 1]))
        alt = np.degrees(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))
        x, y = self.camera.altaz_to_pixel(az, alt)
        dx, dy = self._offset()
        return x + dx, y + dy


@dataclass(frozen=True)
class TrackFit:
    """A fitted track: its line record, the points kept, positions along it and the head's model.

    ``along`` holds each kept point's position along the track in the unit of ``speed_along_frame``
    (px for the track on the image, deg for a great circle: ``sky`` is the model of a great circle);
    :meth:`position` gives the fitted pixel position at frame numbers (frame ``f`` is exposed during
    ``[f, f + 1)`` and fitted at ``f + 0.5``). ``curved``: the track is not one straight line on the image
    (a lens's curve, or a great circle); ``length_deg``: its angular length (through the camera model
    when one was given, else at the plate scale).
    """

    line: LineFit
    kept: list[FramePoint]
    along: FloatArray
    speed_along_frame: float
    _model: tuple[float, ...]
    sky: SkyProjection | None
    curved: bool = False
    length_deg: float = 0.0

    def position(self, frames: FloatArray) -> tuple[FloatArray, FloatArray]:
        t = np.asarray(frames, np.float64) + 0.5
        if self.sky is None:
            x0, y0, vx, vy = self._model
            return x0 + vx * t, y0 + vy * t
        e1, e2 = np.array(self._model[0:3]), np.array(self._model[3:6])
        th = self._model[6] + self._model[7] * t
        vec = np.cos(th)[:, None] * e1 + np.sin(th)[:, None] * e2
        return self.sky.pixels(vec)


def fit_track(
    cents: Sequence[FramePoint], fps: float, scale_px_per_deg: float, sky: SkyProjection | None = None
) -> TrackFit:
    """The constant-speed track through centroids: on the image (``sky`` None), or the better of the
    image track and the great circle through the camera model.

    Parameters
    ----------
    cents : sequence of FramePoint
        At least two points.
    fps : float
        Frames per second.
    scale_px_per_deg : float
        Plate scale for the image track's angular speed without a model (with ``sky``, speeds and lengths
        are angles through the model whatever the geometry).
    sky : SkyProjection, optional

    Returns
    -------
    TrackFit
        One pass of outlier rejection (points farther than ``max(3 px, 4 x median)`` across).

    Notes
    -----
    A camera model is coarse: the config's projection is one of two ideal lenses, and a real lens lies
    between them (a meteor camera's 88-degree lens has barrel distortion; the rectilinear image of a great
    circle is a straight line, the equidistant one a curve). Fitted through a model whose projection is
    not the lens's, a long meteor straight on the image misses the model's great circle by several px
    (bench/detection.py, seed 1, the 88-degree equidistant model given to meteors drawn straight: 13
    target meteors of 224 failed straightness at 2.0-3.9 px RMS, target recall 95.5 % -> 87.5 %). So the
    track on the image (:func:`_image_track`: a line, or a lens's steady curve) is kept as the other
    geometry, and the one that fits better is used (:func:`_better`); its speed and length are angles
    through the model either way.
    """
    image = _image_track(cents, fps, scale_px_per_deg)
    if sky is None:
        return image
    kept = sorted(cents, key=lambda c: c.frame)
    for _ in range(2):
        model, cross = _circle(kept, sky)
        bad = cross > max(3.0, 4.0 * float(np.median(cross)))
        if not bad.any() or len(kept) - int(bad.sum()) < 3:
            break
        kept = [c for c, b in zip(kept, bad, strict=True) if not b]
    circle = _circle_fit(kept, model, cross, fps, sky)
    return _better(_angles_of(image, circle), circle)


def _image_track(cents: Sequence[FramePoint], fps: float, scale_px_per_deg: float) -> TrackFit:
    """The track on the image: the constant-speed pixel line, or a lens's steady curve (:func:`_lens_curve`)
    for a track of at least ``CURVE_MIN_PX`` that bends."""
    fit, kept = fit_line(list(cents), fps, scale_px_per_deg)
    curve = _lens_curve(list(cents), fit) if fit.line.length_px >= CURVE_MIN_PX else None
    curved = curve is not None
    if curve is not None:
        kept, residual_px = curve
        fit, _ = fit_line(kept, fps, scale_px_per_deg, reject=False)
        fit = replace(fit, line=replace(fit.line, residual_px=residual_px))
    along = np.array([(c.x_px - fit.x0) * fit.ux + (c.y_px - fit.y0) * fit.uy for c in kept])
    model = (fit.x0, fit.y0, fit.vx, fit.vy)
    length_deg = fit.line.length_px / scale_px_per_deg
    return TrackFit(fit.line, kept, along, fit.line.speed_px_frame, model, None, curved, length_deg)


def _angles_of(image: TrackFit, circle: TrackFit) -> TrackFit:
    """The image track with the angular speed and length of the great circle through the same points: a
    least-squares rate of the angle along it, which a few px of the model's misfit across hardly change."""
    return replace(image, line=replace(image.line, speed_deg_s=circle.line.speed_deg_s),
                   length_deg=circle.length_deg)  # fmt: skip


def _better(image: TrackFit, circle: TrackFit) -> TrackFit:
    """The geometry that fits: the great circle only where it fits clearly better than the image track.

    A misfit sheds points as outliers, so only a geometry keeping at least 90 % of the most points either
    keeps is a candidate. Both fit a short or nearly straight track to the centroids' noise, and which
    one's residual is the smaller is then chance: the RMS of n residuals scatters by about ``1/sqrt(2 n)``
    of itself (a chi distribution), a quarter for 8 points. So the circle is taken when its residual is
    below ``_CIRCLE_GAIN`` times the image track's, and the image track otherwise: the simpler geometry,
    straight where it can be (bench/detection.py, seed 1: a 16-frame meteor 107 px long, 0.55 px from the
    circle and 0.59 px from the line, failed whole_frame measured along a curve, 1.3, and passed along its
    line, 0.28).
    """
    most = max(len(image.kept), len(circle.kept))
    if len(circle.kept) < 0.9 * most or not math.isfinite(circle.line.residual_px):
        return image
    if len(image.kept) < 0.9 * most or circle.line.residual_px < _CIRCLE_GAIN * image.line.residual_px:
        return circle
    return image


#: The great circle replaces the image track when its residual is below this fraction of the image's.
_CIRCLE_GAIN = 0.75


def _lens_curve(cents: list[FramePoint], fit: Fit) -> tuple[list[FramePoint], float] | None:
    """The smooth curve a lens makes of a long straight path, when no camera model is known.

    Without a model the lens is unknown, and a wide-angle or all-sky lens draws a long meteor as a curve
    (the great circle's image: meteor4.flv, a slow fireball along the rim of a FRIPON all-sky disc, is
    2.2 px RMS from one line over 100 px and 0.23 px from a parabola). Across the track's line, the
    centroids' offset is fitted as a quadratic of the position along it (a curve of constant curvature;
    one pass of outlier rejection). Returns the points kept and the RMS residual across the curve when
    the curve explains the track's departure from a line (at most half the line's residual) and turns by
    at most ``_MAX_TURN_RAD`` along the track (a lens does not fold a meteor's path); None otherwise.
    """
    kept = sorted(cents, key=lambda c: c.frame)
    for _ in range(2):
        dx = np.array([c.x_px for c in kept]) - fit.x0
        dy = np.array([c.y_px for c in kept]) - fit.y0
        s, u = dx * fit.ux + dy * fit.uy, -dx * fit.uy + dy * fit.ux
        mid, half = 0.5 * float(s.max() + s.min()), 0.5 * float(s.max() - s.min())
        if half < 0.25 * CURVE_MIN_PX or len(kept) < 4:
            return None
        z = (s - mid) / half  # in -1..1: a well-conditioned quadratic
        design = np.stack([np.ones_like(z), z, z * z], axis=1)
        coef = np.linalg.lstsq(design, u, rcond=None)[0]
        cross = np.abs(u - design @ coef)
        bad = cross > max(3.0, 4.0 * float(np.median(cross)))
        if not bad.any() or len(kept) - int(bad.sum()) < 4:
            break
        kept = [c for c, b in zip(kept, bad, strict=True) if not b]
    residual_px = float(np.sqrt(np.mean(cross**2)))
    turn_rad = abs(4.0 * float(coef[2])) / max(half, 1e-9)  # slope change 2 c2 z over z = -1..1, per px
    if residual_px >= 0.5 * fit.line.residual_px or turn_rad > _MAX_TURN_RAD or len(kept) < 4:
        return None
    return kept, residual_px


#: Shortest track (px) fitted with a lens's curve when no camera model is known: shorter ones are nearly
#: straight on any lens (a great circle along the rim of an all-sky disc of radius 150 px bends 60 px of
#: track by 3 px at most).
CURVE_MIN_PX = 60.0

#: A lens bends a meteor's path; it does not fold it: at most this change of direction along a track.
_MAX_TURN_RAD = 1.0


def _circle(kept: list[FramePoint], sky: SkyProjection) -> tuple[tuple[float, ...], FloatArray]:
    """Great circle and angular motion through the points: ``(e1, e2, theta0, omega)`` and the pixel
    distance of each point from the circle's image."""
    x = np.array([c.x_px for c in kept])
    y = np.array([c.y_px for c in kept])
    t = np.array([c.frame + 0.5 for c in kept])
    v = sky.unit_vectors(x, y)
    normal = np.linalg.svd(v, full_matrices=False)[2][-1]
    mean = v.mean(axis=0)
    e1 = mean - (mean @ normal) * normal
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    theta = np.arctan2(v @ e2, v @ e1)
    if len(set(t.tolist())) >= 2:
        omega, theta0 = np.polyfit(t, theta, 1)
    else:
        omega, theta0 = 0.0, float(theta.mean())
    on = np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2
    xc, yc = sky.pixels(on)
    cross = np.hypot(xc - x, yc - y)
    return (*e1.tolist(), *e2.tolist(), float(theta0), float(omega)), cross


def _circle_fit(
    kept: list[FramePoint], model: tuple[float, ...], cross: FloatArray, fps: float, sky: SkyProjection
) -> TrackFit:
    e1, e2 = np.array(model[0:3]), np.array(model[3:6])
    v = sky.unit_vectors(np.array([c.x_px for c in kept]), np.array([c.y_px for c in kept]))
    along_deg = np.degrees(np.arctan2(v @ e2, v @ e1))
    omega_deg = math.degrees(model[7])
    if omega_deg < 0:  # count along the direction of motion
        along_deg, omega_deg = -along_deg, -omega_deg
    fit = TrackFit(_DUMMY_LINE, kept, along_deg, omega_deg, model, sky, True)
    fb, fe = kept[0].frame, kept[-1].frame
    xs, ys = fit.position(np.linspace(fb, fe, max(2, min(200, fe - fb + 1))))
    length_px = float(np.sum(np.hypot(np.diff(xs), np.diff(ys))))
    line = LineFit(
        x_begin_px=float(xs[0]),
        y_begin_px=float(ys[0]),
        x_end_px=float(xs[-1]),
        y_end_px=float(ys[-1]),
        frame_begin=int(fb),
        frame_end=int(fe),
        speed_px_frame=length_px / (fe - fb) if fe > fb else 0.0,
        speed_deg_s=omega_deg * fps,
        length_px=length_px,
        residual_px=float(np.sqrt(np.mean(cross**2))),
    )
    span_deg = float(along_deg.max() - along_deg.min()) if along_deg.size else 0.0
    return replace(fit, line=line, length_deg=span_deg)


_DUMMY_LINE = LineFit(0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0.0, 0.0, 0.0)


def join_pieces(
    pieces: Sequence[Sequence[FramePoint]],
    *,
    fps: float,
    scale_px_per_deg: float,
    sky: SkyProjection | None = None,
    max_residual_px: float = 2.0,
    max_gap_frames: int = 12,
    max_speed_ratio: float = 1.35,
) -> list[list[FramePoint]]:
    """Pieces of one track joined: each result is the sorted points of one or more pieces.

    Two pieces (or joined groups) join when (1) the frames between them number at most
    ``max_gap_frames`` (or they share frames), (2) their speeds along the track agree within
    ``max_speed_ratio``, (3) where they share frames their centroids coincide (median within 6 px: the
    head of a bright meteor is large), or else the earlier one's track, carried over the gap, meets the
    later one's first point within ``3 px + 0.25 x`` the distance carried, and (4) their union fits one
    track (:func:`fit_track`) with a residual across it within ``max_residual_px``. Where both have a
    point in a frame, the brighter is kept (the head rather than a piece of its wake).

    >>> line = [FramePoint(f, 10.0 + 2 * f, 20.0 + f, 100.0, 4, 0) for f in range(30)]
    >>> [len(p) for p in join_pieces([line[:12], line[15:]], fps=25.0, scale_px_per_deg=5.0)]
    [27]
    """
    groups = [sorted(p, key=lambda c: c.frame) for p in pieces if len(p) >= 2]
    small = [list(p) for p in pieces if len(p) < 2]
    changed = True
    while changed:
        changed = False
        groups.sort(key=lambda g: (g[0].frame, -len(g)))
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                joined = _try_join(groups[i], groups[j], fps, scale_px_per_deg, sky, max_residual_px,
                                   max_gap_frames, max_speed_ratio)  # fmt: skip
                if joined is not None:
                    groups[i] = joined
                    del groups[j]
                    changed = True
                    break
            if changed:
                break
    return groups + small


def one_track(
    a: Sequence[FramePoint],
    b: Sequence[FramePoint],
    *,
    fps: float,
    scale_px_per_deg: float,
    sky: SkyProjection | None,
    max_residual_px: float,
    max_gap_frames: int,
) -> bool:
    """Are ``a`` and ``b`` pieces of one track (:func:`join_pieces` makes one of them)?"""
    joined = join_pieces([a, b], fps=fps, scale_px_per_deg=scale_px_per_deg, sky=sky,
                         max_residual_px=max_residual_px, max_gap_frames=max_gap_frames)  # fmt: skip
    return len(a) >= 2 and len(b) >= 2 and len(joined) == 1


def _try_join(
    a: list[FramePoint],
    b: list[FramePoint],
    fps: float,
    scale: float,
    sky: SkyProjection | None,
    max_residual_px: float,
    max_gap: int,
    max_ratio: float,
) -> list[FramePoint] | None:
    """``a`` and ``b`` (``a`` starting first) as one track, or None."""
    if b[0].frame - a[-1].frame - 1 > max_gap:
        return None
    fa, fb = fit_track(a, fps, scale, sky), fit_track(b, fps, scale, sky)
    sa, sb = fa.line.speed_deg_s, fb.line.speed_deg_s  # angles: the two may differ in geometry
    pos_a = {c.frame: c for c in a}
    common = [(pos_a[c.frame], c) for c in b if c.frame in pos_a]
    # Pieces that share several frames are compared where they are, not by their speeds: a slow fireball
    # decelerates (meteor4.flv: 0.49 px/frame over its first 160 frames, 0.33 over its last 90).
    if min(sa, sb) <= 0 or (len(common) < _SHARED_FRAMES and max(sa, sb) / min(sa, sb) > max_ratio):
        return None
    if common:
        if float(np.median([math.hypot(p.x_px - q.x_px, p.y_px - q.y_px) for p, q in common])) > 6.0:
            return None
    else:
        late = [c for c in b if c.frame > a[-1].frame][:1] or b[:1]
        start = late[0]
        xp, yp = fa.position(np.array([float(start.frame)]))
        carried = fa.line.speed_px_frame * abs(start.frame - a[-1].frame)
        if math.hypot(float(xp[0]) - start.x_px, float(yp[0]) - start.y_px) > 3.0 + 0.25 * carried:
            return None
    union: dict[int, FramePoint] = {}
    for c in (*a, *b):
        if c.frame not in union or c.intensity > union[c.frame].intensity:
            union[c.frame] = c
    points = [union[f] for f in sorted(union)]
    whole = fit_track(points, fps, scale, sky)
    if whole.line.residual_px > max_residual_px or len(whole.kept) < 0.9 * len(points):
        return None
    return points


#: Frames two pieces must share to be joined whatever their speeds (where they coincide).
_SHARED_FRAMES = 5
