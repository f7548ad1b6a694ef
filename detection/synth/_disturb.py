"""Changes of the whole image that are not meteors: codec damage, gain steps, all stars brightening.

Hard negatives for detection, each a frozen dataclass and its drawer:

- :class:`CodecDamage`: frames that a decoder rebuilt from lost or corrupt data. A real example is the
  FRIPON clip ``meteor1.avi`` (see ``../shared/data/video/README.md``): in frames 12-27 tens of thousands
  of pixels (7-30 % of the image) change by 20-60 DN in lumps over one part of the disc, appearing and
  vanishing at once. MPEG-style decoders conceal such losses by macroblocks (16 x 16 px) copied from the
  wrong place or left grey, and a lost slice tears the picture: every row below a line shifted sideways.
  Style ``"blocks"`` draws the first, ``"tear"`` the second, over about ``cover`` of the image.
- :class:`GainStep`: the camera's automatic gain jumps (everything, sky included, scales by ``factor``).
- :class:`StarsBrighten`: all stars brighten together by ``factor`` (haze clearing, or the exposure of an
  auto-exposing camera lengthening) while the sky stays.

Damage replaces pixels, so it is drawn after everything else (``stage`` 2); gain scales what objects drew
(stage 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detection.synth._objects import Drawer, VideoGeometry, _require

__all__ = [
    "CodecDamage",
    "CodecDamageDrawer",
    "GainStep",
    "GainStepDrawer",
    "StarsBrighten",
    "StarsBrightenDrawer",
]

F32 = NDArray[np.float32]
_BLOCK_PX = 16


@dataclass(frozen=True)
class CodecDamage:
    """``n_frames`` consecutive frames from the one holding ``t_s`` damaged over about ``cover`` of the
    image (a different pattern in each frame, drawn from ``seed``); ``level_dn`` scales the garbage's
    offsets from the true image."""

    t_s: float
    n_frames: int = 2
    cover: float = 0.4
    style: str = "blocks"
    level_dn: float = 40.0
    seed: int = 0

    def __post_init__(self) -> None:
        _require("CodecDamage", "n_frames", self.n_frames, 1 <= self.n_frames <= 25, "1..25 frames")
        _require("CodecDamage", "cover", self.cover, 0.05 <= self.cover <= 1.0, "a fraction in [0.05, 1]")
        _require("CodecDamage", "style", self.style, self.style in ("blocks", "tear"), "'blocks' or 'tear'")


@dataclass(frozen=True)
class GainStep:
    """From ``t_s`` on, the whole image (sky, stars, objects) is multiplied by ``factor``, reached
    linearly over ``ramp_s`` (0: at once); steps compose."""

    t_s: float
    factor: float = 1.5
    ramp_s: float = 0.0

    def __post_init__(self) -> None:
        _require("GainStep", "factor", self.factor, 0.1 <= self.factor <= 10.0, "0.1 <= factor <= 10")
        _require("GainStep", "ramp_s", self.ramp_s, self.ramp_s >= 0.0, ">= 0")


@dataclass(frozen=True)
class StarsBrighten:
    """From ``t_s`` on, every star's light is multiplied by a factor going linearly from 1 to ``factor``
    over ``duration_s`` and staying there (the sky background does not change)."""

    t_s: float
    duration_s: float = 0.5
    factor: float = 2.0

    def __post_init__(self) -> None:
        _require("StarsBrighten", "duration_s", self.duration_s, self.duration_s >= 0.0, ">= 0")
        _require("StarsBrighten", "factor", self.factor, 0.0 <= self.factor <= 20.0, "0 <= factor <= 20")


def _ramp(t_s: float, start_s: float, length_s: float) -> float:
    """0 before ``start_s``, 1 after ``start_s + length_s``, linear between."""
    if t_s <= start_s:
        return 0.0
    return 1.0 if length_s <= 0 or t_s >= start_s + length_s else (t_s - start_s) / length_s


class GainStepDrawer(Drawer):
    stage = 1

    def __init__(self, obj: GainStep, geo: VideoGeometry) -> None:
        self.fps = geo.fps
        first = min(max(0, math.floor(obj.t_s * geo.fps)), geo.n_frames)
        super().__init__(obj, range(first, geo.n_frames))

    def gain(self, frame: int) -> float:
        o = self.obj
        assert isinstance(o, GainStep)
        return 1.0 + (o.factor - 1.0) * _ramp((frame + 0.5) / self.fps, o.t_s, o.ramp_s)

    def draw(self, image: F32, frame: int) -> None:
        image *= np.float32(self.gain(frame))


class StarsBrightenDrawer(Drawer):
    """Adds ``(factor(t) - 1)`` times the still star image; the video calls :meth:`draw_stars`."""

    def __init__(self, obj: StarsBrighten, geo: VideoGeometry) -> None:
        self.fps = geo.fps
        first = min(max(0, math.floor(obj.t_s * geo.fps)), geo.n_frames)
        super().__init__(obj, range(first, geo.n_frames))

    def extra(self, frame: int) -> float:
        o = self.obj
        assert isinstance(o, StarsBrighten)
        return (o.factor - 1.0) * _ramp((frame + 0.5) / self.fps, o.t_s, o.duration_s)

    def draw_stars(self, image: F32, stars: F32, frame: int) -> None:
        image += stars * np.float32(self.extra(frame))


class CodecDamageDrawer(Drawer):
    stage = 2

    def __init__(self, obj: CodecDamage, geo: VideoGeometry) -> None:
        self.geo = geo
        first = max(0, math.floor(obj.t_s * geo.fps))
        super().__init__(obj, range(min(first, geo.n_frames), min(first + obj.n_frames, geo.n_frames)))

    def mask(self, frame: int) -> NDArray[np.bool_]:
        """The pixels this frame's damage may change (True), a rectangle of whole macroblocks."""
        return self._layout(frame)[0]

    def _layout(self, frame: int) -> tuple[NDArray[np.bool_], np.random.Generator]:
        o = self.obj
        assert isinstance(o, CodecDamage)
        h, w = self.geo.height_px, self.geo.width_px
        rng = np.random.default_rng([o.seed, frame])
        mask = np.zeros((h, w), bool)
        if o.style == "tear":  # every row below a line, full width: a lost slice
            rows = max(1, round(o.cover * h))
            top = int(rng.integers(0, h - rows + 1))
            mask[top : top + rows] = True
            return mask, rng
        area = o.cover * h * w
        aspect = float(rng.uniform(0.6, 1.8))  # width / height of the damaged rectangle
        bh = min(h, _BLOCK_PX * max(1, round(math.sqrt(area / aspect) / _BLOCK_PX)))
        bw = min(w, _BLOCK_PX * max(1, math.ceil(area / bh / _BLOCK_PX)))
        y0 = _BLOCK_PX * int(rng.integers(0, max(1, (h - bh) // _BLOCK_PX + 1)))
        x0 = _BLOCK_PX * int(rng.integers(0, max(1, (w - bw) // _BLOCK_PX + 1)))
        mask[y0 : y0 + bh, x0 : x0 + bw] = True
        return mask, rng

    def draw(self, image: F32, frame: int) -> None:
        o = self.obj
        assert isinstance(o, CodecDamage)
        mask, rng = self._layout(frame)
        ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
        source = image.copy()
        if o.style == "tear":
            shift = int(rng.integers(_BLOCK_PX, image.shape[1] // 2))
            image[y0:y1] = np.roll(source[y0:y1], shift, axis=1) + np.float32(
                o.level_dn * rng.uniform(0.3, 1.0)
            )
            return
        h, w = image.shape
        for by in range(y0, y1, _BLOCK_PX):
            for bx in range(x0, x1, _BLOCK_PX):
                bh, bw = min(_BLOCK_PX, y1 - by), min(_BLOCK_PX, x1 - bx)
                if rng.uniform() < 0.3:  # concealed as a flat block
                    image[by : by + bh, bx : bx + bw] = np.float32(o.level_dn * rng.uniform(0.5, 2.5))
                    continue
                # a block copied from the wrong place, with a wrong DC level
                sy = int(np.clip(by + rng.integers(-4, 5) * 8, 0, h - bh))
                sx = int(np.clip(bx + rng.integers(-6, 7) * 8, 0, w - bw))
                offset = np.float32(o.level_dn * rng.uniform(0.5, 1.5))
                image[by : by + bh, bx : bx + bw] = source[sy : sy + bh, sx : sx + bw] + offset
