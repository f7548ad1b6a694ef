"""Synthetic sky videos with known truth, for tests, the demo and benchmarks.

A :class:`SkyVideo` renders the frames a meteor camera would record: a sky background brighter towards
the horizon, stars of the Hipparcos catalogue projected through a :class:`~calibration.camera.CameraModel`
for the given site and time (twinkling), Gaussian read noise, and the objects it is given: meteors
(:class:`Meteor`, light spread along the head's path within each frame) and hard negatives (planes,
satellites, hot pixels, flashes, clouds). Everything is a pure function of the settings and the objects:
the same seed gives the same pixels, and any frame can be rendered alone (``frames(start, stop)``) with the
same result as in a full pass. Nothing reads the clock.

Frame ``f`` is exposed during ``[f / fps, (f + 1) / fps)`` seconds after ``start_utc``. Pixels are 0-based
with centres on integers, x right, y down. ``truth()`` describes the video in JSON-able form; for meteors it
lists every frame in which they put light into the image, with the head position at the end of the frame's
exposure, the light centroid, the peak amplitude and its SNR (see ``_synth_objects.MeteorDrawer``).

Example::

    >>> settings = SkySettings(width_px=640, height_px=360, duration_s=2.0, seed=3)
    >>> video = SkyVideo(settings, [Meteor(0.4, 0.6, 100.0, 80.0, 300.0, 200.0, peak_snr=12.0)])
    >>> frames = list(video.frames(0, 3))
    >>> frames[0].shape, frames[0].dtype.name
    ((360, 640), 'uint8')
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from calibration.catalog import load_hipparcos
from calibration.sky import julian_date
from detection.synth._arcs import ArcMeteor, ArcMeteorDrawer
from detection.synth._disturb import (
    CodecDamage,
    CodecDamageDrawer,
    GainStep,
    GainStepDrawer,
    StarsBrighten,
    StarsBrightenDrawer,
)
from detection.synth._kernels import compose_frame, normal_table
from detection.synth._objects import (
    Cloud,
    CloudDrawer,
    Drawer,
    Flash,
    HotPixel,
    Meteor,
    Plane,
    Satellite,
    VideoGeometry,
    make_drawer,
)
from detection.synth._objects import SkyObject as _ImageObject
from detection.synth._random import allsky_camera, random_arc_meteor, random_disturbances
from detection.synth._stars import StarField, StarOptics, sky_background

__all__ = [
    "ArcMeteor",
    "Cloud",
    "CodecDamage",
    "Flash",
    "GainStep",
    "HotPixel",
    "Meteor",
    "Plane",
    "Satellite",
    "SkyObject",
    "SkySettings",
    "SkyVideo",
    "StarsBrighten",
    "allsky_camera",
    "default_camera",
    "random_arc_meteor",
    "random_disturbances",
    "random_event",
    "random_fireball",
    "random_fragmenting_fireball",
    "random_meteor",
    "random_negatives",
    "random_saturated_fireball",
]

SkyObject = _ImageObject | ArcMeteor | CodecDamage | GainStep | StarsBrighten

_TRUTH_FORMAT = "stationd.synth-truth/1"
_DEFAULT_START = datetime(2022, 9, 14, 22, 0, 0, tzinfo=UTC)


def default_camera(width_px: int = 1280, height_px: int = 720) -> CameraModel:
    """A typical meteor camera: 88 degrees wide, 40 degrees up towards the south-west (as UK0006)."""
    return CameraModel(width_px, height_px, az_deg=240.0, alt_deg=40.0, rotation_deg=0.0, fov_h_deg=88.0)


@dataclass(frozen=True)
class SkySettings:
    """Everything that sets a synthetic video apart from its objects.

    ``camera`` defaults to :func:`default_camera` of the frame size; when given, its size must match.
    ``star_mag_1dn`` is the V magnitude whose light sums to 1 DN: with 9.0 and the default PSF a mag 4
    star peaks at 11 DN (4.4 noise sigma) and a mag 5 star at 4.4 DN, about what a 720p meteor camera
    shows in single frames.
    """

    width_px: int = 1280
    height_px: int = 720
    fps: float = 25.0
    duration_s: float = 60.0
    background_dn: float = 28.0
    noise_dn: float = 2.5
    horizon_glow_dn: float = 8.0
    star_limit_mag: float = 6.0
    star_mag_1dn: float = 9.0
    star_psf_sigma_px: float = 1.2
    extinction_mag: float = 0.2
    twinkle: float = 0.12
    lat_deg: float = 51.88
    lon_deg: float = -1.31
    start_utc: datetime = _DEFAULT_START
    seed: int = 0
    camera: CameraModel | None = field(default=None)

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("width_px", isinstance(self.width_px, int) and self.width_px >= 16, "an integer >= 16"),
            ("height_px", isinstance(self.height_px, int) and self.height_px >= 16, "an integer >= 16"),
            ("fps", 0 < self.fps <= 240, "0 < fps <= 240"),
            ("duration_s", self.duration_s > 0, "> 0"),
            ("background_dn", 0 <= self.background_dn < 255, "0 <= level < 255"),
            ("noise_dn", self.noise_dn > 0, "> 0"),
            ("star_psf_sigma_px", self.star_psf_sigma_px > 0.2, "> 0.2"),
            ("twinkle", 0 <= self.twinkle < 1, "0 <= twinkle < 1"),
            ("lat_deg", -90 <= self.lat_deg <= 90, "a latitude in [-90, 90]"),
            ("start_utc", self.start_utc.tzinfo is not None, "a timezone-aware datetime (UTC)"),
            ("seed", isinstance(self.seed, int) and self.seed >= 0, "an integer >= 0"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"SkySettings.{name}={getattr(self, name)!r}: expected {expected}")
        if self.camera is None:
            object.__setattr__(self, "camera", default_camera(self.width_px, self.height_px))
        elif (self.camera.width_px, self.camera.height_px) != (self.width_px, self.height_px):
            raise ValueError(
                f"SkySettings.camera={self.camera.width_px}x{self.camera.height_px}: expected the frame "
                f"size {self.width_px}x{self.height_px}"
            )

    @property
    def cam(self) -> CameraModel:
        """The camera model (never None after construction)."""
        assert self.camera is not None
        return self.camera

    @property
    def n_frames(self) -> int:
        """Number of frames: ``round(duration_s * fps)``."""
        return round(self.duration_s * self.fps)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (ISO 8601 time)."""
        data = asdict(self)
        data["start_utc"] = self.start_utc.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return data


def _key(seed: int, stream: int) -> np.uint64:
    """A 64-bit key per (seed, stream): distinct random streams for noise and twinkling."""
    z = (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & (2**64 - 1)
    return np.uint64(z)


class SkyVideo:
    """A synthetic video: settings, objects, frames and truth (see the module docstring).

    An instance caches the star image of the current epoch: use one instance per thread (instances
    with the same settings render identical frames, so ranges can be rendered in parallel).
    """

    def __init__(self, settings: SkySettings, objects: Sequence[SkyObject] = ()) -> None:
        self.settings = settings
        self.objects = list(objects)
        s = settings
        self.n_frames = s.n_frames
        geo = VideoGeometry(s.width_px, s.height_px, s.fps, self.n_frames, s.noise_dn, s.cam)
        self._table = normal_table(s.noise_dn / math.sqrt(2.0))
        self._noise_key = _key(s.seed, 1)
        self._background = sky_background(s.cam, s.background_dn, s.horizon_glow_dn)
        optics = StarOptics(s.star_psf_sigma_px, s.star_mag_1dn, s.extinction_mag, s.twinkle, s.noise_dn)
        site = (s.lat_deg, s.lon_deg, julian_date(s.start_utc))
        self._stars = StarField(
            load_hipparcos(s.star_limit_mag), s.cam, site, optics, s.fps, _key(s.seed, 2),
            normal_table(1.0 / math.sqrt(2.0)),
        )  # fmt: skip
        drawers = [_make_drawer(obj, geo) for obj in self.objects]
        self._clouds = [d for d in drawers if isinstance(d, CloudDrawer)]
        self._star_changes = [d for d in drawers if isinstance(d, StarsBrightenDrawer)]
        # objects add light, then gain steps scale the image, then codec damage replaces pixels (stable:
        # the objects keep their order)
        others = [d for d in drawers if not isinstance(d, CloudDrawer | StarsBrightenDrawer)]
        self._drawers = sorted(others, key=lambda d: d.stage)
        self._all_drawers = drawers
        self._base_epoch: int | None = None
        self._base = self._background.copy()

    def signal(self, frame: int) -> NDArray[np.float32]:
        """The noiseless frame ``frame``: float32 DN (background, stars with this frame's twinkling,
        objects), before noise and quantisation; a new array."""
        stars = self._stars.image(frame)
        if self._clouds:
            work = stars.copy()
            self._stars.add_twinkle(work, frame)
            clear = np.ones_like(work)
            glow = np.zeros_like(work)
            for cloud in self._clouds:
                obj = cloud.obj
                assert isinstance(obj, Cloud)
                cover = cloud.coverage(frame)
                clear *= 1.0 - np.float32(obj.opacity) * cover
                glow += np.float32(obj.glow_dn) * cover
            work = work * clear + self._background + glow
        else:
            epoch = self._stars.epoch(frame)
            if epoch != self._base_epoch:
                self._base = self._background + stars
                self._base_epoch = epoch
            work = self._base.copy()
            self._stars.add_twinkle(work, frame)
        for change in self._star_changes:
            if frame in change.frames:
                change.draw_stars(work, stars, frame)
        for drawer in self._drawers:
            if frame in drawer.frames:
                drawer.draw(work, frame)
        return work

    def damage_mask(self, frame: int) -> NDArray[np.bool_]:
        """The pixels codec damage may change in ``frame`` (all False in an undamaged frame)."""
        mask = np.zeros((self.settings.height_px, self.settings.width_px), bool)
        for drawer in self._drawers:
            if isinstance(drawer, CodecDamageDrawer) and frame in drawer.frames:
                mask |= drawer.mask(frame)
        return mask

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[NDArray[np.uint8]]:
        """Frames ``start`` .. ``stop - 1`` as uint8 (H, W) arrays (each a new array)."""
        stop = self.n_frames if stop is None else min(stop, self.n_frames)
        if not 0 <= start <= stop:
            raise ValueError(f"frames: start={start!r}, stop={stop!r}: expected 0 <= start <= stop")
        for f in range(start, stop):
            out = np.empty((self.settings.height_px, self.settings.width_px), np.uint8)
            compose_frame(self.signal(f), self._noise_key, np.uint64(f), self._table, out)
            yield out

    def render(self, start: int = 0, stop: int | None = None) -> NDArray[np.uint8]:
        """Frames ``start`` .. ``stop - 1`` stacked into one (n, H, W) uint8 array."""
        stop = self.n_frames if stop is None else min(stop, self.n_frames)
        block = np.empty((max(stop - start, 0), self.settings.height_px, self.settings.width_px), np.uint8)
        for i, frame in enumerate(self.frames(start, stop)):
            block[i] = frame
        return block

    def truth(self, *, stars: bool = False) -> dict[str, Any]:
        """JSON-able truth: settings, frame count, every object with its frame range.

        With ``stars=True`` also the stars inside the image at mid-video (``id`` = HIP number, ``x_px``,
        ``y_px``, ``mag_v``, ``flux_dn``), for calibration tests.
        """
        objects = []
        for i, drawer in enumerate(self._all_drawers):
            entry = drawer.truth()
            entry["index"] = i
            objects.append(entry)
        data: dict[str, Any] = {
            "format": _TRUTH_FORMAT,
            "settings": self.settings.to_json(),
            "n_frames": self.n_frames,
            "objects": objects,
        }
        if stars:
            data["stars"] = self._stars.stars_at(0.5 * self.settings.duration_s)
        return data

    def write(
        self, path: str | Path, crf: int = 18, preset: str = "ultrafast", bit_rate: int | None = None
    ) -> dict[str, Any]:
        """Encode the video as H.264 (libx264, yuv420p, full range) in an MP4 file through PyAV.

        The luma plane carries the frames unchanged (flagged full range, so that decoders converting to
        grey, such as OpenCV, return the same levels); chroma is neutral. Returns the truth.

        x264 either keeps white noise of a few DN or smooths it away, with little in between. Measured
        on 720p frames with the default noise (2.5 DN): crf 18 ``ultrafast`` keeps the noise floor
        (decoded minus true: 1.6 DN rms), about 200 MB per minute, 16 ms/frame to encode, 9 ms/frame
        to decode; crf 26 ``ultrafast`` (with ``tune="grain"`` or not) removes most noise, about 2 MB
        per minute, 6 ms/frame to encode, 2.5 ms/frame to decode.
        ``bit_rate`` (bit/s) replaces ``crf`` with an average bit rate, as IP cameras encode (4-8 Mbit/s at
        720p): x264 then keeps part of the noise, more coarsely quantised.
        """
        import av
        from av.video.reformatter import ColorRange

        s = self.settings
        if s.width_px % 2 or s.height_px % 2:
            raise ValueError(f"write: frame size {s.width_px}x{s.height_px}: yuv420p needs even sizes")
        if not 0 <= crf <= 51:
            raise ValueError(f"write: crf={crf!r}: expected 0..51")
        rate = Fraction(s.fps).limit_denominator(1001)
        yuv = np.full((s.height_px * 3 // 2, s.width_px), 128, np.uint8)
        with av.open(str(path), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = s.width_px, s.height_px, "yuv420p"
            stream.codec_context.color_range = ColorRange.JPEG
            if bit_rate is None:
                stream.options = {"crf": str(crf), "preset": preset}
            else:  # average bit rate, as a camera's encoder runs
                stream.bit_rate = bit_rate
                stream.options = {"preset": preset}
            for f, frame in enumerate(self.frames()):
                yuv[: s.height_px] = frame
                vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                vf.pts = f
                vf.time_base = 1 / rate
                vf.color_range = ColorRange.JPEG
                container.mux(stream.encode(vf))
            container.mux(stream.encode(None))
        return self.truth()

    def truth_json(self) -> str:
        """The truth as a JSON string (sorted keys, stable across runs)."""
        return json.dumps(self.truth(), sort_keys=True)


def _make_drawer(obj: SkyObject, geo: VideoGeometry) -> Drawer:
    if isinstance(obj, ArcMeteor):
        return ArcMeteorDrawer(obj, geo)
    if isinstance(obj, CodecDamage):
        return CodecDamageDrawer(obj, geo)
    if isinstance(obj, GainStep):
        return GainStepDrawer(obj, geo)
    if isinstance(obj, StarsBrighten):
        return StarsBrightenDrawer(obj, geo)
    return make_drawer(obj, geo)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def random_meteor(
    rng: np.random.Generator,
    settings: SkySettings,
    *,
    speed_deg_s: tuple[float, float] = (3.0, 45.0),
    peak_snr: tuple[float, float] = (3.0, 30.0),
    duration_s: tuple[float, float] = (0.2, 3.0),
    t_range_s: tuple[float, float] | None = None,
    light_curves: Sequence[str] = ("sin2", "late-peak", "flare", "flat"),
    margin_px: float = 8.0,
) -> Meteor:
    """A meteor with a random track fully inside the image.

    Speed is uniform in ``speed_deg_s`` (turned into pixels with the camera's plate scale at the centre),
    peak SNR log-uniform in ``peak_snr``, duration uniform in ``duration_s`` but shortened when the track
    would not fit in the image, start time uniform in ``t_range_s`` (default: the meteor ends inside the
    video), direction uniform.
    """
    s = settings
    speed_px_s = _uniform(rng, speed_deg_s) * s.cam.scale_px_per_deg
    snr = float(np.exp(rng.uniform(np.log(peak_snr[0]), np.log(peak_snr[1]))))
    dur = _uniform(rng, duration_s)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ux, uy = math.cos(angle), math.sin(angle)
    # The longest track in this direction that fits the image with a margin.
    span_x = (s.width_px - 1 - 2 * margin_px) / max(abs(ux), 1e-9)
    span_y = (s.height_px - 1 - 2 * margin_px) / max(abs(uy), 1e-9)
    length = min(speed_px_s * dur, 0.95 * min(span_x, span_y))
    dur = length / speed_px_s
    dx, dy = ux * length, uy * length
    x0 = rng.uniform(margin_px + max(0.0, -dx), s.width_px - 1 - margin_px - max(0.0, dx))
    y0 = rng.uniform(margin_px + max(0.0, -dy), s.height_px - 1 - margin_px - max(0.0, dy))
    lo, hi = t_range_s if t_range_s is not None else (0.2, max(0.2, s.duration_s - dur - 0.2))
    t0 = _uniform(rng, (lo, max(lo, hi)))
    curve = str(light_curves[int(rng.integers(len(light_curves)))])
    return Meteor(t0, dur, float(x0), float(y0), float(x0 + dx), float(y0 + dy), snr, light_curve=curve)


def random_fireball(
    rng: np.random.Generator,
    settings: SkySettings,
    *,
    speed_deg_s: tuple[float, float] = (8.0, 35.0),
    peak_snr: tuple[float, float] = (100.0, 400.0),
    duration_s: tuple[float, float] = (1.0, 3.0),
    sky_glow: tuple[float, float] = (0.02, 0.1),
    t_range_s: tuple[float, float] | None = None,
    light_curves: Sequence[str] = ("flare", "late-peak"),
) -> Meteor:
    """A fireball: a :func:`random_meteor` bright enough to saturate (peak SNR 100-400 is 250-1000 DN
    above the background with the default noise), long, flaring, lighting the whole sky by ``sky_glow``
    (uniform) times its peak amplitude at its brightest. ``t_range_s`` as in :func:`random_meteor`."""
    meteor = random_meteor(
        rng, settings, speed_deg_s=speed_deg_s, peak_snr=peak_snr, duration_s=duration_s,
        t_range_s=t_range_s, light_curves=light_curves,
    )  # fmt: skip
    return replace(meteor, sky_glow=_uniform(rng, sky_glow))


def random_saturated_fireball(
    rng: np.random.Generator,
    settings: SkySettings,
    *,
    peak_snr: tuple[float, float] = (150.0, 400.0),
    psf_sigma_px: tuple[float, float] = (1.5, 2.5),
    halo: tuple[float, float] = (0.03, 0.12),
    halo_sigma_px: tuple[float, float] = (6.0, 20.0),
    sky_glow: tuple[float, float] = (0.02, 0.1),
    t_range_s: tuple[float, float] | None = None,
    light_curves: Sequence[str] = ("terminal-flare", "late-peak", "flare"),
) -> Meteor:
    """A fireball as real cameras record it: a :func:`random_meteor` (speed 8-35 deg/s, 1-3 s) whose head
    is clipped at 255 over a core several pixels wide (a PSF of sigma 1.5-2.5 px at 375-1000 DN: the
    core above 227 DN is 3-7 px across), with a halo around the head and a sky glow that both follow its
    light, and mostly a terminal flare. Draws its own numbers after :func:`random_meteor`'s."""
    meteor = random_meteor(
        rng, settings, speed_deg_s=(8.0, 35.0), peak_snr=peak_snr, duration_s=(1.0, 3.0),
        t_range_s=t_range_s, light_curves=light_curves,
    )  # fmt: skip
    return replace(
        meteor,
        psf_sigma_px=_uniform(rng, psf_sigma_px),
        halo=_uniform(rng, halo),
        halo_sigma_px=_uniform(rng, halo_sigma_px),
        sky_glow=_uniform(rng, sky_glow),
    )


def random_fragmenting_fireball(
    rng: np.random.Generator,
    settings: SkySettings,
    *,
    t_range_s: tuple[float, float] | None = None,
    split_at: tuple[float, float] = (0.4, 0.75),
    spread_px: tuple[float, float] = (6.0, 20.0),
) -> Meteor:
    """A :func:`random_saturated_fireball` whose head splits into 2 or 3 fragments (1 or 2 trailing
    pieces besides the head) at ``split_at`` of its flight, trailing it by up to ``spread_px`` per rank."""
    meteor = random_saturated_fireball(rng, settings, t_range_s=t_range_s)
    return replace(
        meteor,
        fragments=int(rng.integers(1, 3)),
        split_at=_uniform(rng, split_at),
        fragment_light=_uniform(rng, (0.15, 0.3)),
        fragment_spread_px=_uniform(rng, spread_px),
    )


def random_event(
    rng: np.random.Generator,
    settings: SkySettings,
    *,
    clip_s: tuple[float, float] = (2.0, 12.0),
    lead_s: tuple[float, float] = (0.5, 3.0),
    fireball: bool = False,
) -> tuple[SkySettings, Meteor]:
    """A short event clip, as FreeTure or UFOCapture write around a meteor: ``settings`` with a duration
    uniform in ``clip_s``, and a meteor (a :func:`random_saturated_fireball` with ``fireball``) starting
    ``lead_s`` (uniform) after the clip's start and ending at least 0.3 s before its end."""
    duration = _uniform(rng, clip_s)
    lead = min(_uniform(rng, lead_s), max(0.1, duration - 0.6))
    clip = replace(settings, duration_s=duration)
    longest = max(0.25, duration - lead - 0.3)
    if fireball:
        meteor = random_saturated_fireball(rng, clip, t_range_s=(lead, lead))
    else:
        meteor = random_meteor(rng, clip, duration_s=(0.2, min(3.0, longest)), t_range_s=(lead, lead))
    if meteor.t_start_s + meteor.duration_s > duration - 0.3:  # a fireball longer than the clip allows
        meteor = _shorten(meteor, longest)
    return clip, meteor


def _shorten(meteor: Meteor, duration_s: float) -> Meteor:
    """The same meteor lasting ``duration_s`` seconds at the same speed (its light curve compressed)."""
    x1, y1 = meteor.position(meteor.t_start_s + duration_s)
    return replace(meteor, duration_s=duration_s, x1_px=x1, y1_px=y1)


def _random_crossing(rng: np.random.Generator, s: SkySettings, speed_px_s: float) -> tuple[float, ...]:
    """A straight path at ``speed_px_s`` lasting the whole video, passing through a random image point."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    xm, ym = rng.uniform(0.1, 0.9) * s.width_px, rng.uniform(0.1, 0.9) * s.height_px
    half = 0.5 * speed_px_s * s.duration_s
    return (
        xm - half * math.cos(angle),
        ym - half * math.sin(angle),
        xm + half * math.cos(angle),
        ym + half * math.sin(angle),
    )


def random_negatives(
    rng: np.random.Generator,
    settings: SkySettings,
    kinds: Sequence[str] = ("plane", "satellite", "hot_pixel"),
) -> list[SkyObject]:
    """One random object of each kind in ``kinds``: plane, satellite, hot_pixel, flash, cloud.

    Planes move at 0.3-1.5 deg/s, satellites at 0.3-1.5 deg/s (both for the whole video), a hot pixel
    sits anywhere, a flash lasts 0.1-0.4 s, a cloud half the image wide drifts across in about a minute.
    """
    s = settings
    scale = s.cam.scale_px_per_deg
    out: list[SkyObject] = []
    for kind in kinds:
        if kind == "plane":
            x0, y0, x1, y1 = _random_crossing(rng, s, _uniform(rng, (0.3, 1.5)) * scale)
            out.append(Plane(0.0, s.duration_s, x0, y0, x1, y1, level_dn=_uniform(rng, (10.0, 40.0)),
                             strobe_phase_s=_uniform(rng, (0.0, 1.2))))  # fmt: skip
        elif kind == "satellite":
            x0, y0, x1, y1 = _random_crossing(rng, s, _uniform(rng, (0.3, 1.5)) * scale)
            out.append(Satellite(0.0, s.duration_s, x0, y0, x1, y1, level_dn=_uniform(rng, (6.0, 30.0))))
        elif kind == "hot_pixel":
            x, y = int(rng.integers(s.width_px)), int(rng.integers(s.height_px))
            out.append(HotPixel(x, y, level_dn=_uniform(rng, (20.0, 120.0))))
        elif kind == "flash":
            dur = _uniform(rng, (0.1, 0.4))
            out.append(
                Flash(
                    _uniform(rng, (0.5, max(0.5, s.duration_s - dur - 0.5))),
                    dur,
                    _uniform(rng, (30.0, 120.0)),
                )
            )
        elif kind == "cloud":
            radius = 0.5 * s.width_px
            vx = rng.choice([-1.0, 1.0]) * 1.5 * s.width_px / s.duration_s
            x0 = -0.5 * s.width_px if vx > 0 else 1.5 * s.width_px
            out.append(Cloud(x0, _uniform(rng, (0.2, 0.8)) * s.height_px, vx, _uniform(rng, (-0.1, 0.1)) * vx,
                             radius, shape_seed=int(rng.integers(2**31))))  # fmt: skip
        else:
            raise ValueError(
                f"random_negatives: kind={kind!r}: expected plane, satellite, hot_pixel, flash or cloud"
            )
    return out
