"""Things that cross a synthetic sky: meteors and the hard negatives (planes, satellites, hot pixels,
flashes, clouds), as frozen dataclasses, and their renderers ("drawers") prepared for one video.

Times are seconds from the start of the video; frame ``f`` is exposed during ``[f / fps, (f + 1) / fps)``.
Levels (``*_dn``) are peak pixel amplitudes above the background of a still point, in digital numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from detection.synth._render import (
    LIGHT_CURVES,
    Patch,
    add_patch,
    clip_patch,
    gaussian_patch,
    points_patch,
    segment_patch,
)

__all__ = ["Cloud", "Flash", "HotPixel", "Meteor", "Plane", "Satellite", "SkyObject"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


def _require(cls: str, name: str, value: object, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"{cls}.{name}={value!r}: expected {expected}")


def _overlap(a: float, b: float, c: float, d: float) -> float:
    return max(0.0, min(b, d) - max(a, c))


def _frame_span(t0_s: float, t1_s: float, fps: float, n_frames: int) -> range:
    first = max(0, math.floor(t0_s * fps))
    last = min(n_frames - 1, math.ceil(t1_s * fps) - 1)
    return range(first, last + 1)


@dataclass(frozen=True)
class _StraightPath:
    """A point moving at constant velocity from ``(x0_px, y0_px)`` at ``t_start_s`` to ``(x1_px, y1_px)``
    ``duration_s`` later; the first fields of a meteor, a plane and a satellite."""

    t_start_s: float
    duration_s: float
    x0_px: float
    y0_px: float
    x1_px: float
    y1_px: float

    def __post_init__(self) -> None:
        name = type(self).__name__
        _require(name, "duration_s", self.duration_s, self.duration_s > 0, "> 0")

    def position(self, t_s: float) -> tuple[float, float]:
        """Position at time ``t_s`` (extrapolated outside the object's life)."""
        tau = (t_s - self.t_start_s) / self.duration_s
        return self.x0_px + (self.x1_px - self.x0_px) * tau, self.y0_px + (self.y1_px - self.y0_px) * tau


@dataclass(frozen=True)
class Meteor(_StraightPath):
    """A meteor: a head moving in a straight line at constant speed, emitting along the light curve.

    ``peak_snr`` is the largest pixel amplitude of the meteor above background in any frame divided by
    the video's noise sigma (exact before quantisation). Pixels clip at 255 DN when rendered, so a bright
    meteor (``peak_snr * noise_dn + background > 255``) saturates its trail as a camera does.

    ``sky_glow`` makes a fireball: the whole frame brightens (scattered light, uniform over the image) by
    ``sky_glow * peak_snr * noise_dn`` DN in the frame where the head emits most, and in every other frame
    in proportion to the light the head emits in it (0.0, the default, is an ordinary meteor).

    ``halo`` adds the glow around a bright head (light scattered in the optics and the air): a round
    Gaussian centred on the frame's light centroid, of peak ``halo * peak_snr * noise_dn`` DN and sigma
    ``halo_sigma_px`` in the frame where the head emits most; in other frames its peak follows the light
    the head emits and its sigma the square root of it (a brighter head spreads its halo wider), never
    below twice the PSF. The trail's ``peak_snr`` is measured without it.

    ``fragments`` (0..3) trailing pieces break off the head at ``split_at`` of the duration: each takes
    ``fragment_light`` of the light the head emits from then on and falls behind it along the track,
    decelerating, ``fragment_spread_px`` times its rank behind the head at the end (with a lateral offset
    of 0.7 px times its rank, alternately on either side).
    """

    peak_snr: float
    psf_sigma_px: float = 1.0
    light_curve: str = "sin2"
    sky_glow: float = 0.0
    halo: float = 0.0
    halo_sigma_px: float = 12.0
    fragments: int = 0
    split_at: float = 0.6
    fragment_light: float = 0.25
    fragment_spread_px: float = 12.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _require("Meteor", "peak_snr", self.peak_snr, self.peak_snr > 0, "> 0")
        _require("Meteor", "psf_sigma_px", self.psf_sigma_px, self.psf_sigma_px > 0.2, "> 0.2")
        names = sorted(LIGHT_CURVES)
        _require(
            "Meteor", "light_curve", self.light_curve, self.light_curve in LIGHT_CURVES, f"one of {names}"
        )
        _require("Meteor", "sky_glow", self.sky_glow, 0.0 <= self.sky_glow <= 1.0, "a fraction in [0, 1]")
        _require("Meteor", "halo", self.halo, 0.0 <= self.halo <= 1.0, "a fraction in [0, 1]")
        _require("Meteor", "halo_sigma_px", self.halo_sigma_px, self.halo_sigma_px > 0, "> 0")
        _require("Meteor", "fragments", self.fragments, self.fragments in (0, 1, 2, 3), "0, 1, 2 or 3")
        _require("Meteor", "split_at", self.split_at, 0.0 < self.split_at < 1.0, "a fraction in (0, 1)")
        ok = 0.0 < self.fragment_light * self.fragments < 1.0 or self.fragments == 0
        _require("Meteor", "fragment_light", self.fragment_light, ok, "0 < fragment_light * fragments < 1")

    def fragment_offsets(self, tau: F64, rank: int) -> tuple[F64, F64]:
        """Offsets (x, y, px) of fragment ``rank`` (1..fragments) from the head at fractions ``tau`` of
        the duration (zero before the split)."""
        length = math.hypot(self.x1_px - self.x0_px, self.y1_px - self.y0_px) or 1.0
        ux, uy = (self.x1_px - self.x0_px) / length, (self.y1_px - self.y0_px) / length
        since = np.clip((tau - self.split_at) / (1.0 - self.split_at), 0.0, None)
        back = -rank * self.fragment_spread_px * since**2
        side = 0.7 * rank * (1 if rank % 2 else -1) * np.minimum(since * 4.0, 1.0)
        return np.asarray(back * ux - side * uy), np.asarray(back * uy + side * ux)


@dataclass(frozen=True)
class Plane(_StraightPath):
    """An aircraft: two steady navigation lights ``light_sep_px`` apart and a white strobe, slow."""

    level_dn: float = 25.0
    strobe_level_dn: float = 120.0
    strobe_period_s: float = 1.2
    strobe_on_s: float = 0.08
    strobe_phase_s: float = 0.0
    light_sep_px: float = 3.0
    psf_sigma_px: float = 1.2

    def __post_init__(self) -> None:
        super().__post_init__()
        _require("Plane", "strobe_period_s", self.strobe_period_s, self.strobe_period_s > 0, "> 0")


@dataclass(frozen=True)
class Satellite(_StraightPath):
    """A satellite: one steady point moving slowly in a straight line for a long time."""

    level_dn: float = 15.0
    psf_sigma_px: float = 1.2


@dataclass(frozen=True)
class HotPixel:
    """A sensor pixel stuck ``level_dn`` above the background in every frame."""

    x_px: int
    y_px: int
    level_dn: float = 60.0


@dataclass(frozen=True)
class Flash:
    """Lightning or a car's headlights: the whole frame brightens by ``level_dn`` for ``duration_s``."""

    t_s: float
    duration_s: float = 0.2
    level_dn: float = 60.0

    def __post_init__(self) -> None:
        _require("Flash", "duration_s", self.duration_s, self.duration_s > 0, "> 0")


@dataclass(frozen=True)
class Cloud:
    """A passing cloud: a soft blob drifting at constant velocity that dims stars and adds skyglow.

    ``opacity`` is the fraction of starlight lost under its thickest part; ``glow_dn`` the brightness it
    adds there (light pollution reflected by the cloud). Its shape is made of ``n_puffs`` Gaussian puffs
    placed with ``shape_seed``.
    """

    x0_px: float
    y0_px: float
    vx_px_s: float
    vy_px_s: float
    radius_px: float
    opacity: float = 0.9
    glow_dn: float = 12.0
    n_puffs: int = 6
    shape_seed: int = 0

    def __post_init__(self) -> None:
        _require("Cloud", "radius_px", self.radius_px, self.radius_px > 0, "> 0")
        _require("Cloud", "opacity", self.opacity, 0.0 <= self.opacity <= 1.0, "a fraction in [0, 1]")


SkyObject = Meteor | Plane | Satellite | HotPixel | Flash | Cloud


@dataclass(frozen=True)
class VideoGeometry:
    """What a drawer needs to know of the video."""

    width_px: int
    height_px: int
    fps: float
    n_frames: int
    noise_dn: float
    camera: CameraModel | None = None  # for objects placed on the sky (alt/az) rather than on the image


class Drawer:
    """An object prepared for one video: the frames it touches and how it adds light to them."""

    stage = 0  # order of drawing: 0 light added by objects, 1 changes of the whole image, 2 codec damage

    def __init__(self, obj: Any, frames: range) -> None:  # a SkyObject or a kind of another module
        self.obj = obj
        self.frames = frames

    def draw(self, image: F32, frame: int) -> None:
        """Add the object's light in ``frame`` to ``image`` (float32, in place)."""

    def truth(self) -> dict[str, Any]:
        """The JSON-able truth: kind, parameters, frame range."""
        kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(self.obj).__name__).lower()  # HotPixel -> hot_pixel
        data: dict[str, Any] = {"kind": kind, **asdict(self.obj)}
        data["first_frame"] = self.frames.start if len(self.frames) else None
        data["last_frame"] = self.frames[-1] if len(self.frames) else None
        return data


class HeadDrawer(Drawer):
    """A moving head pre-rendered per frame (``patches``, ``points``), with the optional halo around it and
    the sky glow it lights; shared by straight meteors and meteors along a great circle."""

    patches: dict[int, Patch]
    points: list[dict[str, Any]]
    halos: dict[int, Patch]
    glow: dict[int, float]

    def _scale(
        self, peak_snr: float, sky_glow: float, geo: VideoGeometry, emitted: list[float], raw_peak: float
    ) -> None:
        """Scale the patches so that the brightest pixel is ``peak_snr`` sigma; the sky glow of each frame
        follows the light the head emits in it."""
        self.halos = {}
        scale = peak_snr * geo.noise_dn / raw_peak if raw_peak > 0 else 0.0
        for f, (y0, x0, values) in self.patches.items():
            self.patches[f] = (y0, x0, values * np.float32(scale))
        glow_dn = sky_glow * peak_snr * geo.noise_dn / max(max(emitted, default=0.0), 1e-30)
        self.glow = {}
        for point, light in zip(self.points, emitted, strict=True):
            point["peak_dn"] *= scale
            point["snr"] = point["peak_dn"] / geo.noise_dn
            point["sky_glow_dn"] = glow_dn * light
            if point["sky_glow_dn"] > 0.0:
                self.glow[point["frame"]] = point["sky_glow_dn"]

    def draw(self, image: F32, frame: int) -> None:
        """The head, its halo, then the glow of the whole sky."""
        patch = self.patches.get(frame)
        if patch is not None:
            add_patch(image, patch)
        halo = self.halos.get(frame)
        if halo is not None:
            add_patch(image, halo)
        glow = self.glow.get(frame)
        if glow is not None:
            image += np.float32(glow)

    def truth(self) -> dict[str, Any]:
        """The object's truth with its visible frames and its per-frame points."""
        data = super().truth()
        visible = [p["frame"] for p in self.points if p["snr"] >= 1.0]
        data["visible_first_frame"] = visible[0] if visible else None
        data["visible_last_frame"] = visible[-1] if visible else None
        data["frames"] = self.points
        return data


class MeteorDrawer(HeadDrawer):
    """Pre-renders every frame of a meteor, scaled so that its brightest pixel is ``peak_snr`` sigma; a
    fireball (``sky_glow > 0``) also lifts the whole frame by its ``sky_glow_dn`` of the frame."""

    def __init__(self, meteor: Meteor, geo: VideoGeometry) -> None:
        t_end = meteor.t_start_s + meteor.duration_s
        curve = LIGHT_CURVES[meteor.light_curve]
        self.patches: dict[int, Patch] = {}
        self.points: list[dict[str, Any]] = []
        emitted: list[float] = []  # light the head emits in each frame of ``points`` (unscaled)
        raw_peak = 0.0
        for f in _frame_span(meteor.t_start_s, t_end, geo.fps, geo.n_frames):
            a = max(meteor.t_start_s, f / geo.fps)
            b = min(t_end, (f + 1) / geo.fps)
            if b <= a:
                continue
            (xa, ya), (xb, yb) = meteor.position(a), meteor.position(b)
            n_sub = max(4, math.ceil(math.hypot(xb - xa, yb - ya) / 0.3))
            tau = (a + (b - a) * (np.arange(n_sub) + 0.5) / n_sub - meteor.t_start_s) / meteor.duration_s
            weights = curve(tau) * ((b - a) / n_sub)
            patch, cx, cy = _meteor_patch(meteor, (xa, ya, xb, yb), tau, weights)
            clipped = clip_patch(patch, geo.height_px, geo.width_px)
            peak = float(clipped[2].max()) if clipped is not None else 0.0
            if peak <= 0.0 or clipped is None:
                continue
            raw_peak = max(raw_peak, peak)
            self.patches[f] = clipped
            emitted.append(float(np.sum(weights)))
            self.points.append(
                {"frame": f, "t_s": 0.5 * (a + b), "head_x_px": xb, "head_y_px": yb,
                 "centroid_x_px": cx, "centroid_y_px": cy, "peak_dn": peak}
            )  # fmt: skip
        self._scale(meteor.peak_snr, meteor.sky_glow, geo, emitted, raw_peak)
        if meteor.halo > 0.0:
            self._add_halos(meteor, geo, emitted)
        if meteor.fragments:
            for point in self.points:
                tau_end = np.array([(point["t_s"] - meteor.t_start_s) / meteor.duration_s])
                point["fragments_px"] = [
                    [point["head_x_px"] + float(ox[0]), point["head_y_px"] + float(oy[0])]
                    for ox, oy in (
                        meteor.fragment_offsets(tau_end, k) for k in range(1, meteor.fragments + 1)
                    )
                ]
        frames = [p["frame"] for p in self.points]
        super().__init__(meteor, range(frames[0], frames[-1] + 1) if frames else range(0))

    def _add_halos(self, meteor: Meteor, geo: VideoGeometry, emitted: list[float]) -> None:
        brightest = max(emitted)
        for point, light in zip(self.points, emitted, strict=True):
            share = light / brightest
            amplitude = meteor.halo * meteor.peak_snr * geo.noise_dn * share
            sigma = max(meteor.halo_sigma_px * math.sqrt(share), 2.0 * meteor.psf_sigma_px)
            point["halo_dn"], point["halo_sigma_px"] = amplitude, sigma
            patch = gaussian_patch(point["centroid_x_px"], point["centroid_y_px"], amplitude, sigma)
            clipped = clip_patch(patch, geo.height_px, geo.width_px)
            if clipped is not None and amplitude > 0.0:
                self.halos[point["frame"]] = clipped

    def truth(self) -> dict[str, Any]:
        data = super().truth()
        m = self.obj
        assert isinstance(m, Meteor)
        data["speed_px_s"] = math.hypot(m.x1_px - m.x0_px, m.y1_px - m.y0_px) / m.duration_s
        return data


def _meteor_patch(
    meteor: Meteor, segment: tuple[float, float, float, float], tau: F64, weights: F64
) -> tuple[Patch, float, float]:
    """One frame's light of a meteor's head moving along ``segment`` (x0, y0, x1, y1) at times ``tau``
    (fractions of the duration), with its fragments once they have broken off."""
    xa, ya, xb, yb = segment
    if not meteor.fragments or tau[-1] < meteor.split_at:
        return segment_patch(xa, ya, xb, yb, weights, meteor.psf_sigma_px)
    frac = (np.arange(len(weights)) + 0.5) / len(weights)
    xs, ys = xa + (xb - xa) * frac, ya + (yb - ya) * frac
    broken = (tau >= meteor.split_at) * meteor.fragment_light
    all_x, all_y = [xs], [ys]
    all_w = [weights * (1.0 - meteor.fragments * broken)]
    for rank in range(1, meteor.fragments + 1):
        ox, oy = meteor.fragment_offsets(tau, rank)
        all_x.append(xs + ox)
        all_y.append(ys + oy)
        all_w.append(weights * broken)
    return points_patch(
        np.concatenate(all_x), np.concatenate(all_y), np.concatenate(all_w), meteor.psf_sigma_px
    )


class MovingLightsDrawer(Drawer):
    """Planes and satellites: steady points (and a strobe) moving in a straight line."""

    def __init__(self, obj: Plane | Satellite, geo: VideoGeometry) -> None:
        self.geo = geo
        t_end = obj.t_start_s + obj.duration_s
        super().__init__(obj, range(0))
        self.frames = self._visible_frames(obj, _frame_span(obj.t_start_s, t_end, geo.fps, geo.n_frames))

    def _position(self, t_s: float) -> tuple[float, float]:
        o = self.obj
        assert isinstance(o, Plane | Satellite)
        return o.position(t_s)

    def _visible_frames(self, obj: Plane | Satellite, span: range) -> range:
        inside = []
        margin = 4.0 * obj.psf_sigma_px
        for f in span:
            x, y = self._position((f + 0.5) / self.geo.fps)
            if (
                -margin <= x <= self.geo.width_px - 1 + margin
                and -margin <= y <= self.geo.height_px - 1 + margin
            ):
                inside.append(f)
        return range(inside[0], inside[-1] + 1) if inside else range(0)

    def draw(self, image: F32, frame: int) -> None:
        o = self.obj
        assert isinstance(o, Plane | Satellite)
        fps = self.geo.fps
        a = max(o.t_start_s, frame / fps)
        b = min(o.t_start_s + o.duration_s, (frame + 1) / fps)
        if b <= a:
            return
        (xa, ya), (xb, yb) = self._position(a), self._position(b)
        share = (b - a) * fps  # fraction of the exposure during which the object is there
        point_flux = 2.0 * np.pi * o.psf_sigma_px**2
        if isinstance(o, Satellite):
            lights = [(0.0, 0.0, o.level_dn * share)]
        else:
            length = math.hypot(o.x1_px - o.x0_px, o.y1_px - o.y0_px) or 1.0
            nx, ny = -(o.y1_px - o.y0_px) / length, (o.x1_px - o.x0_px) / length
            half = 0.5 * o.light_sep_px
            lights = [
                (nx * half, ny * half, o.level_dn * share),
                (-nx * half, -ny * half, o.level_dn * share),
            ]
            on = self._strobe_on_s(a, b)
            if on > 0:
                lights.append((0.0, 0.0, o.strobe_level_dn * on * fps))
        n_sub = max(2, math.ceil(math.hypot(xb - xa, yb - ya) / 0.3))
        for dx, dy, level in lights:
            weights = np.full(n_sub, level * point_flux / n_sub)
            patch, _, _ = segment_patch(xa + dx, ya + dy, xb + dx, yb + dy, weights, o.psf_sigma_px)
            add_patch(image, patch)

    def _strobe_on_s(self, a: float, b: float) -> float:
        o = self.obj
        assert isinstance(o, Plane)
        k0 = math.floor((a - o.strobe_phase_s) / o.strobe_period_s) - 1
        k1 = math.ceil((b - o.strobe_phase_s) / o.strobe_period_s) + 1
        return sum(
            _overlap(
                a,
                b,
                o.strobe_phase_s + k * o.strobe_period_s,
                o.strobe_phase_s + k * o.strobe_period_s + o.strobe_on_s,
            )
            for k in range(k0, k1 + 1)
        )


class HotPixelDrawer(Drawer):
    def __init__(self, obj: HotPixel, geo: VideoGeometry) -> None:
        inside = 0 <= obj.x_px < geo.width_px and 0 <= obj.y_px < geo.height_px
        super().__init__(obj, range(geo.n_frames) if inside else range(0))

    def draw(self, image: F32, frame: int) -> None:
        o = self.obj
        assert isinstance(o, HotPixel)
        image[o.y_px, o.x_px] += np.float32(o.level_dn)


class FlashDrawer(Drawer):
    def __init__(self, obj: Flash, geo: VideoGeometry) -> None:
        self.fps = geo.fps
        super().__init__(obj, _frame_span(obj.t_s, obj.t_s + obj.duration_s, geo.fps, geo.n_frames))

    def draw(self, image: F32, frame: int) -> None:
        o = self.obj
        assert isinstance(o, Flash)
        share = _overlap(frame / self.fps, (frame + 1) / self.fps, o.t_s, o.t_s + o.duration_s) * self.fps
        if share > 0:
            image += np.float32(o.level_dn * share)


class CloudDrawer(Drawer):
    """Coverage in [0, 1] on a coarse grid (8 px), resized to the image; clouds touch the whole video."""

    _STEP_PX = 8

    def __init__(self, obj: Cloud, geo: VideoGeometry) -> None:
        self.geo = geo
        rng = np.random.default_rng(obj.shape_seed)
        self.puff_dx = rng.normal(0.0, 0.45 * obj.radius_px, obj.n_puffs)
        self.puff_dy = rng.normal(0.0, 0.25 * obj.radius_px, obj.n_puffs)
        self.puff_r = obj.radius_px * rng.uniform(0.35, 0.6, obj.n_puffs)
        self.gx = np.arange(0, geo.width_px + self._STEP_PX, self._STEP_PX, dtype=np.float64)
        self.gy = np.arange(0, geo.height_px + self._STEP_PX, self._STEP_PX, dtype=np.float64)
        super().__init__(obj, range(geo.n_frames))

    def coverage(self, frame: int) -> F32:
        o = self.obj
        assert isinstance(o, Cloud)
        t = (frame + 0.5) / self.geo.fps
        cx, cy = o.x0_px + o.vx_px_s * t, o.y0_px + o.vy_px_s * t
        clear = np.ones((len(self.gy), len(self.gx)))
        for dx, dy, r in zip(self.puff_dx, self.puff_dy, self.puff_r, strict=True):
            gx = np.exp(-0.5 * ((self.gx - cx - dx) / r) ** 2)
            gy = np.exp(-0.5 * ((self.gy - cy - dy) / r) ** 2)
            clear *= 1.0 - 0.9 * np.outer(gy, gx)
        coarse = (1.0 - clear).astype(np.float32)
        size = (len(self.gx) * self._STEP_PX, len(self.gy) * self._STEP_PX)
        full = cv2.resize(coarse, size, interpolation=cv2.INTER_LINEAR)
        return np.asarray(full[: self.geo.height_px, : self.geo.width_px], dtype=np.float32)


def make_drawer(obj: SkyObject, geo: VideoGeometry) -> Drawer:
    """The drawer of one object for one video."""
    if isinstance(obj, Meteor):
        return MeteorDrawer(obj, geo)
    if isinstance(obj, Plane | Satellite):
        return MovingLightsDrawer(obj, geo)
    if isinstance(obj, HotPixel):
        return HotPixelDrawer(obj, geo)
    if isinstance(obj, Flash):
        return FlashDrawer(obj, geo)
    if isinstance(obj, Cloud):
        return CloudDrawer(obj, geo)
    raise TypeError(f"not a sky object: {obj!r}")
