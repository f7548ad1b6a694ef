"""Per-frame values of a minute of video, computed in the scan's single decode pass.

The scan hands :class:`ValuesAccumulator` the same ``(n, H, W)`` uint8 chunks it gives the FF compressor.
Each frame is binned 2x2 (sum of four pixels: twice the signal-to-noise of a single pixel for light spread
over a few pixels, as a meteor's is) and compared with a per-bin running background: an exponential mean
and variance whose updates are clamped at ``clamp_sigma`` so that a passing meteor does not pollute them.
``z = (b - mean) / sigma`` per bin. The background starts from the median and a trimmed variance of the
first ``warmup_frames`` frames of the minute; those frames are then processed like the others.

Per frame we keep (``By x Bx`` is the coarse grid of ``block_px`` x ``block_px`` blocks):

- the largest ``z`` of every block, as uint8 ``round(z * z_scale)`` clipped to 0..255 (``block_z``);
- the top-K blocks by ``z``, each with the excess-weighted centroid of its peak (the brightest point of the
  frame is the first of them);
- the number of bins with ``z > z_changed`` and the frame's mean pixel level.

File format ``stationd.values/1``: a numpy ``.npz`` (zip, deflate; read with ``allow_pickle=False``)
holding these arrays, ``n`` frames, ``K`` peaks per frame:

==================  ==============  ======================================================================
name                dtype, shape    meaning
==================  ==============  ======================================================================
``format``          str, ()         ``"stationd.values/1"``
``settings``        str, ()         JSON of the :class:`ValuesSettings` used
``width_px``        int64, ()       frame width (full resolution)
``height_px``       int64, ()       frame height
``fps``             float64, ()     frames per second (NaN when unknown)
``noise_dn``        float64, ()     median background noise at the end of the minute, DN per pixel
``mean_level_dn``   float32, (n,)   mean pixel value of each frame, DN
``n_changed``       int32, (n,)     bins (2x2) with ``z > z_changed`` in each frame
``block_z``         uint8, (n, By, Bx)  largest z of each block times ``z_scale``, rounded, 0..255
``peak_x_px``       float32, (n, K) centroid of the block's peak, full-resolution px (0-based, pixel
``peak_y_px``       float32, (n, K) centres on integers, x right, y down)
``peak_z``          float32, (n, K) z of the peak bin, sorted descending within a frame
``peak_level_dn``   float32, (n, K) excess of the peak bin over its background, DN per pixel (2x2 sum / 4)
``peak_block``      int32, (n, K)   flat index ``by * Bx + bx`` of the block holding the peak
==================  ==============  ======================================================================

Frames with odd width or height lose their last column or row to the binning (the mean level still
counts them). At 1280x720 a minute is about 1 MB on disk.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from detection.errors import DetectionError
from detection.scan._values_kernels import values_chunk

VALUES_FORMAT = "stationd.values/1"


class ValuesFormatError(DetectionError):
    """A values file is not a readable ``stationd.values/1`` file (``path``, ``reason``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class ValuesSettings:
    """How the per-frame values are computed (times in frames, levels in DN of a 2x2 bin sum)."""

    block_px: int = 32
    top_k: int = 32
    tau_mean_frames: float = 64.0
    tau_var_frames: float = 1024.0
    update_every: int = 8
    clamp_sigma: float = 3.0
    clamp_var_sigma: float = 5.0
    warmup_clip_sigma: float = 5.0
    warmup_clip_iterations: int = 3
    min_sigma_dn: float = 1.0
    sigma_floor_fraction: float = 0.6
    z_changed: float = 3.0
    warmup_frames: int = 32
    z_scale: float = 10.0

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"ValuesSettings.{name}={getattr(self, name)!r}: expected {expected}")

        need(self.block_px >= 2 and self.block_px % 2 == 0, "block_px", "an even number of pixels >= 2")
        need(self.top_k >= 1, "top_k", "an integer >= 1")
        need(self.update_every >= 1, "update_every", "an integer >= 1")
        need(self.tau_mean_frames >= self.update_every, "tau_mean_frames", ">= update_every")
        need(self.tau_var_frames >= self.update_every, "tau_var_frames", ">= update_every")
        need(self.clamp_sigma > 0, "clamp_sigma", "> 0")
        need(self.clamp_var_sigma > 0, "clamp_var_sigma", "> 0")
        need(self.warmup_clip_sigma >= 2, "warmup_clip_sigma", ">= 2")
        need(self.warmup_clip_iterations >= 0, "warmup_clip_iterations", "an integer >= 0")
        need(self.min_sigma_dn > 0, "min_sigma_dn", "> 0 DN")
        need(0 <= self.sigma_floor_fraction < 1, "sigma_floor_fraction", "in [0, 1)")
        need(self.warmup_frames >= 1, "warmup_frames", "an integer >= 1")
        need(0 < self.z_scale <= 100, "z_scale", "in (0, 100]")


@dataclass(frozen=True, eq=False)
class MinuteValues:
    """The per-frame values of one minute; field meanings are those of the file format above."""

    settings: ValuesSettings
    width_px: int
    height_px: int
    fps: float
    noise_dn: float
    mean_level_dn: np.ndarray
    n_changed: np.ndarray
    block_z: np.ndarray
    peak_x_px: np.ndarray
    peak_y_px: np.ndarray
    peak_z: np.ndarray
    peak_level_dn: np.ndarray
    peak_block: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.mean_level_dn.shape[0])

    @property
    def n_bins(self) -> int:
        return (self.width_px // 2) * (self.height_px // 2)

    @property
    def grid_shape(self) -> tuple[int, int]:
        """``(By, Bx)``: rows and columns of blocks."""
        return int(self.block_z.shape[1]), int(self.block_z.shape[2])

    def brightest(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per frame, the brightest point: ``(x_px, y_px, z, level_dn)`` arrays of length ``n_frames``."""
        return self.peak_x_px[:, 0], self.peak_y_px[:, 0], self.peak_z[:, 0], self.peak_level_dn[:, 0]


class ValuesAccumulator:
    """Streaming per-frame values of one minute: ``add`` chunks in order, then ``finish``.

    Memory is O(H*W) (the background state) plus O(n_frames) results.

    Examples
    --------
    >>> acc = ValuesAccumulator(360, 640, fps=25.0)
    >>> acc.add(np.full((20, 360, 640), 30, np.uint8))
    >>> acc.finish().n_frames
    20
    """

    def __init__(
        self, height: int, width: int, settings: ValuesSettings | None = None, *, fps: float = math.nan
    ) -> None:
        if height < 2 or width < 2:
            raise ValueError(f"frame size {width}x{height}: expected at least 2x2 pixels")
        self.height, self.width, self.fps = height, width, fps
        self.settings = settings or ValuesSettings()
        self._hb, self._wb = height // 2, width // 2
        bb = self.settings.block_px // 2
        self._grid = (-(-self._hb // bb), -(-self._wb // bb))
        self._reset()

    def _reset(self) -> None:
        self._state: np.ndarray | None = None
        self._var_min = self.settings.min_sigma_dn**2
        self._warm: list[np.ndarray] = []
        self._n_warm = 0
        self._n_done = 0
        self._parts: list[dict[str, np.ndarray]] = []

    @property
    def nframes(self) -> int:
        return self._n_done + self._n_warm

    def add(self, frames: np.ndarray) -> None:
        """Add a chunk ``(n, H, W)`` uint8 that continues the minute."""
        if frames.ndim != 3 or frames.shape[1:] != (self.height, self.width) or frames.dtype != np.uint8:
            raise ValueError(
                f"chunk {frames.dtype} {frames.shape}: expected uint8 (n, {self.height}, {self.width})"
            )
        if frames.shape[0] == 0:
            return
        if self._state is None:
            self._warm.append(np.array(frames))
            self._n_warm += frames.shape[0]
            if self._n_warm >= self.settings.warmup_frames:
                self._start()
            return
        self._process(frames)

    def _start(self) -> None:
        buffered = np.concatenate(self._warm)
        self._warm, self._n_warm = [], 0
        self._state = initial_background(buffered[: self.settings.warmup_frames], self.settings)
        self._var_min = _variance_floor(self._state[2], self.settings)
        self._process(buffered)

    def _process(self, frames: np.ndarray) -> None:
        assert self._state is not None
        s = self.settings
        n = frames.shape[0]
        alpha_m, alpha_v = update_weights(self._n_done, n, s)
        blk_z, blk_d, blk_x, blk_y = (np.empty((n, *self._grid), np.float32) for _ in range(4))
        n_changed = np.empty(n, np.int32)
        pix_sum = np.empty(n, np.int64)
        values_chunk(
            np.ascontiguousarray(frames),
            self._state,
            alpha_m,
            alpha_v,
            np.float32(s.clamp_sigma),
            np.float32(s.clamp_var_sigma),
            np.float32(self._var_min),
            np.float32(s.z_changed),
            s.block_px // 2,
            blk_z,
            blk_d,
            blk_x,
            blk_y,
            n_changed,
            pix_sum,
        )
        self._parts.append(_reduce_chunk(frames, blk_z, blk_d, blk_x, blk_y, n_changed, pix_sum, s))
        self._n_done += n

    def finish(self) -> MinuteValues:
        """The values of every frame added; the accumulator is then ready for the next minute."""
        if self._state is None and self._n_warm:
            self._start()
        if not self._parts:
            raise ValueError("no frames were added")
        assert self._state is not None
        joined = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
        noise_dn = float(np.median(self._state[2])) / 2.0  # bin sigma of a 2x2 sum -> per pixel
        values = MinuteValues(
            settings=self.settings,
            width_px=self.width,
            height_px=self.height,
            fps=float(self.fps),
            noise_dn=noise_dn,
            **joined,
        )
        self._reset()
        return values


def update_weights(first: int, n: int, settings: ValuesSettings) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame weights of the mean and variance updates for frames ``first .. first + n - 1``.

    The mean is updated every frame, the variance every ``update_every``-th frame (0: no update). The
    u-th update of the minute weighs ``max(1 / tau, 1 / (u + warmup_frames / 2))`` (``tau`` counted in
    updates): a running average while the estimate is young (the warm-up estimate counts as
    ``warmup_frames / 2`` samples), exponential afterwards.
    """
    s = settings
    index = np.arange(first, first + n, dtype=np.float64)
    young = s.warmup_frames / 2.0
    alpha_m = np.maximum(1.0 / s.tau_mean_frames, 1.0 / (index + 1 + young))
    is_update = (index % s.update_every) == s.update_every - 1
    u = (index + 1) // s.update_every
    alpha_v = np.maximum(s.update_every / s.tau_var_frames, 1.0 / (u + young))
    return alpha_m.astype(np.float32), np.where(is_update, alpha_v, 0.0).astype(np.float32)


def initial_background(frames: np.ndarray, settings: ValuesSettings, band_rows: int = 32) -> np.ndarray:
    """Kernel state ``(4, Hb, Wb)`` float32 (mean, var, sigma, 1/sigma) from the first frames of a minute.

    Bins are independent, so the work goes in bands of ``band_rows`` binned rows: the temporaries stay a
    few MB instead of ~200 MB for a 720p warm-up (the scan's peak memory).
    """
    hb, wb = frames.shape[1] // 2, frames.shape[2] // 2
    state = np.empty((4, hb, wb), np.float32)
    for r0 in range(0, hb, band_rows):
        r1 = min(hb, r0 + band_rows)
        med, var = _band_background(frames[:, 2 * r0 : 2 * r1, : 2 * wb], settings)
        state[0, r0:r1] = med.reshape(r1 - r0, wb)
        state[1, r0:r1] = var.reshape(r1 - r0, wb)
    state[1] = np.maximum(state[1], np.float32(_variance_floor(np.sqrt(state[1]), settings)))
    state[2] = np.sqrt(state[1])
    state[3] = np.float32(1.0) / state[2]
    return state


def _variance_floor(sigma: np.ndarray, settings: ValuesSettings) -> float:
    """Smallest variance of a bin (DN^2 of a 2x2 sum) given the warm-up sigma map ``sigma`` (Hb, Wb).

    ``sigma_floor_fraction`` of the median sigma, at least ``min_sigma_dn``. Compressed video leaves a bin
    unchanged for many frames (a skipped macroblock copies its reference), so a bin's own variance can
    collapse to nothing and the next quantisation step reads as z ~ 15. The noise level varies slowly over
    the sky, so the image's median is a fair lower bound: on a 6 Mbit/s 720p minute the true sigma of 99 %
    of the bins lies above 0.76 of the median, while 6 % of the warm-up estimates are at the 1 DN floor.
    """
    median = float(np.median(sigma)) if sigma.size else 0.0
    return max(settings.min_sigma_dn**2, (settings.sigma_floor_fraction * median) ** 2)


def _band_background(frames: np.ndarray, settings: ValuesSettings) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust variance of every 2x2 bin of a band of frames (n, 2 * rows, 2 * Wb).

    The variance must be the second moment of whatever noise the video carries. Compressed video is not
    Gaussian: at a camera's bit rate (e.g. 6 Mbit/s at 720p) H.264 leaves a bin unchanged in about half
    the frames and moves it by a few quantisation steps in the others (kurtosis ~7). A trimmed estimator
    scaled for a normal distribution then sees the plateau, not the jumps, and gives 0.7 of the true
    sigma (measured on ``bench/_minute.py`` at 6 Mbit/s), which inflates every z at the start of a minute.
    So: a robust first guess (the smallest 75 % of the squared deviations, scaled for a normal
    distribution), then ``warmup_clip_iterations`` rounds of the mean squared deviation of the samples
    within ``warmup_clip_sigma`` of the current guess. The first guess is never too large, so a meteor or
    a blink (many sigma) stays excluded; heavy-tailed noise climbs back to its own variance (0.96 of the
    bins' sigma over 600 frames, median over bins, in three rounds on that minute; Gaussian noise loses
    nothing measurable to the clipping at 5 sigma).
    """
    n = frames.shape[0]
    f = frames.astype(np.uint16)
    b = f[:, 0::2, 0::2] + f[:, 0::2, 1::2] + f[:, 1::2, 0::2] + f[:, 1::2, 1::2]
    # One row per bin, its samples along the last axis: sorting short contiguous rows is fast.
    rows = np.sort(b.reshape(n, -1).T, axis=1).astype(np.float32)
    med = np.float32(0.5) * (rows[:, (n - 1) // 2] + rows[:, n // 2])
    dev2 = np.sort((rows - med[:, None]) ** 2, axis=1)
    var_min = np.float32(settings.min_sigma_dn**2)
    # For a normal distribution the smallest 75 % of the squared deviations average 0.3679 sigma^2.
    keep = max(1, (3 * n) // 4)
    var = np.maximum(dev2[:, :keep].mean(axis=1) / np.float32(0.3679), var_min)
    k2 = np.float32(settings.warmup_clip_sigma**2)
    cumsum = np.cumsum(dev2, axis=1)
    for _ in range(settings.warmup_clip_iterations):
        # dev2 is sorted per bin: the kept samples are a prefix, their sum a cumulative sum.
        count = (dev2 <= (k2 * var)[:, None]).sum(axis=1)
        total = np.take_along_axis(cumsum, np.maximum(count - 1, 0)[:, None], axis=1)[:, 0]
        var = np.maximum(total / np.maximum(count, 1).astype(np.float32), var_min)
    return med, var


def _reduce_chunk(
    frames: np.ndarray,
    blk_z: np.ndarray,
    blk_d: np.ndarray,
    blk_x: np.ndarray,
    blk_y: np.ndarray,
    n_changed: np.ndarray,
    pix_sum: np.ndarray,
    settings: ValuesSettings,
) -> dict[str, np.ndarray]:
    """Turn the kernel's per-block outputs of a chunk into the stored per-frame values."""
    n, nby, nbx = blk_z.shape
    h, w = frames.shape[1:]
    edge = 0
    if h % 2:
        edge += frames[:, -1, :].sum(axis=1, dtype=np.int64)
    if w % 2:
        edge += frames[:, : h - h % 2, -1].sum(axis=1, dtype=np.int64)
    k = min(settings.top_k, nby * nbx)
    flat_z = blk_z.reshape(n, -1)
    order = np.argsort(-flat_z, axis=1, kind="stable")[:, :k]

    def take(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a.reshape(n, -1), order, axis=1)

    return {
        "mean_level_dn": ((pix_sum + edge) / float(h * w)).astype(np.float32),
        "n_changed": n_changed,
        "block_z": np.clip(np.floor(blk_z * settings.z_scale + 0.5), 0, 255).astype(np.uint8),
        "peak_x_px": take(blk_x),
        "peak_y_px": take(blk_y),
        "peak_z": take(blk_z),
        "peak_level_dn": take(blk_d) / np.float32(4.0),
        "peak_block": order.astype(np.int32),
    }


_ARRAYS = {
    "mean_level_dn": (np.float32, 1),
    "n_changed": (np.int32, 1),
    "block_z": (np.uint8, 3),
    "peak_x_px": (np.float32, 2),
    "peak_y_px": (np.float32, 2),
    "peak_z": (np.float32, 2),
    "peak_level_dn": (np.float32, 2),
    "peak_block": (np.int32, 2),
}


def save_values(dest: str | Path | BinaryIO, values: MinuteValues) -> None:
    """Write ``values`` as a ``stationd.values/1`` file to a path or a binary file object."""
    arrays = {name: getattr(values, name) for name in _ARRAYS}
    np.savez_compressed(
        dest,
        format=np.array(VALUES_FORMAT),
        settings=np.array(json.dumps(dataclasses.asdict(values.settings), sort_keys=True)),
        width_px=np.array(values.width_px, np.int64),
        height_px=np.array(values.height_px, np.int64),
        fps=np.array(values.fps, np.float64),
        noise_dn=np.array(values.noise_dn, np.float64),
        **arrays,
    )


def load_values(src: str | Path | BinaryIO) -> MinuteValues:
    """Read a ``stationd.values/1`` file; raises :class:`ValuesFormatError` naming what is wrong."""
    name = str(src) if isinstance(src, str | Path) else getattr(src, "name", "<stream>")
    try:
        data = src.read() if not isinstance(src, str | Path) else Path(src).read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            fields = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValuesFormatError(name, f"not a values file ({exc})") from exc
    fmt = str(fields.get("format", ""))
    if fmt != VALUES_FORMAT:
        raise ValuesFormatError(name, f"format {fmt!r}, expected {VALUES_FORMAT!r}")
    try:
        settings = ValuesSettings(**json.loads(str(fields["settings"])))
        n = fields["mean_level_dn"].shape[0]
        for key, (dtype, ndim) in _ARRAYS.items():
            a = fields[key]
            if a.dtype != dtype or a.ndim != ndim or a.shape[0] != n:
                raise ValuesFormatError(name, f"{key} is {a.dtype} {a.shape}, expected {ndim}-d {dtype}")
        return MinuteValues(
            settings=settings,
            width_px=int(fields["width_px"]),
            height_px=int(fields["height_px"]),
            fps=float(fields["fps"]),
            noise_dn=float(fields["noise_dn"]),
            **{key: fields[key] for key in _ARRAYS},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValuesFormatError(name, f"missing or bad field ({exc})") from exc
