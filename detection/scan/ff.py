"""FF blocks: four-plane temporal compression of a block of video frames.

The FF ("four-frame") format of the Global Meteor Network keeps, for each pixel of a block of up to 256
frames, four 8-bit planes (Vida et al. 2016, "The Global Meteor Network - methodology and first results",
IMC proceedings; Gural 2008, "Algorithms and software for meteor detection", Earth Moon Planets 102).
stationd defines the planes exactly (DESIGN section 4), for the N frames of a block, per pixel:

- ``MAXPIXEL`` = the maximum value;
- ``MAXFRAME`` = the index (0-based within the block) of the **first** frame holding the maximum;
- ``AVEPIXEL`` and ``STDPIXEL`` are taken over the values with the four largest removed when N >= 6
  (over all N values otherwise). With n the number of values kept, s their sum and q the sum of their
  squares (exact integers)::

      mean = s / n
      var  = (q - s * s / n) / (n - 1)          (sample variance; 0 when n < 2; clamped at 0)
      AVEPIXEL = min(255, floor(mean + 0.5))
      STDPIXEL = min(255, floor(sqrt(var) + 0.5))

  all evaluated in float64 from the exact integer sums, so the numba kernel and the numpy versions agree
  bit for bit.

Blocks are built by :class:`FFAccumulator` in a streaming way (memory O(H*W), not O(N*H*W)) from chunks
of frames as a decoder delivers them; :func:`compress_block` is the one-shot convenience and
:func:`compress_block_np` the slow, obvious reference that the tests compare with.

Example
-------
>>> import numpy as np
>>> frames = np.zeros((8, 2, 3), dtype=np.uint8)
>>> frames[5, 1, 2] = 200
>>> planes = compress_block(frames)
>>> int(planes.maxpixel[1, 2]), int(planes.maxframe[1, 2]), int(planes.avepixel[1, 2])
(200, 5, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detection.scan import _ff_kernels as _k

#: Largest number of frames in one block: MAXFRAME is stored in 8 bits.
MAX_FRAMES = 256


@dataclass(frozen=True, eq=False)
class FFPlanes:
    """The four uint8 (H, W) planes of one FF block of ``nframes`` frames (``==`` compares the values)."""

    maxpixel: np.ndarray
    maxframe: np.ndarray
    avepixel: np.ndarray
    stdpixel: np.ndarray
    nframes: int

    def __post_init__(self) -> None:
        shape = self.maxpixel.shape
        for name in ("maxpixel", "maxframe", "avepixel", "stdpixel"):
            plane = getattr(self, name)
            if plane.dtype != np.uint8 or plane.ndim != 2 or plane.shape != shape:
                raise ValueError(
                    f"FFPlanes.{name}: got {plane.dtype} {plane.shape}, expected uint8 of shape {shape}"
                )
        if not 1 <= self.nframes <= MAX_FRAMES:
            raise ValueError(f"FFPlanes.nframes: got {self.nframes}, expected 1..{MAX_FRAMES}")

    @property
    def height(self) -> int:
        """Rows (pixels)."""
        return int(self.maxpixel.shape[0])

    @property
    def width(self) -> int:
        """Columns (pixels)."""
        return int(self.maxpixel.shape[1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FFPlanes):
            return NotImplemented
        return self.nframes == other.nframes and all(
            np.array_equal(getattr(self, n), getattr(other, n))
            for n in ("maxpixel", "maxframe", "avepixel", "stdpixel")
        )

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: not hashable


def _check_frames(frames: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 3:
        got = f"{frames.dtype} {frames.shape}" if isinstance(frames, np.ndarray) else type(frames).__name__
        raise ValueError(f"frames: got {got}, expected a uint8 array of shape (n, H, W)")
    if shape is not None and frames.shape[1:] != shape:
        raise ValueError(f"frames: got frames of {frames.shape[1:]}, expected (H, W) = {shape}")
    if frames.shape[1] == 0 or frames.shape[2] == 0:
        raise ValueError(f"frames: got shape {frames.shape}, expected non-empty frames")
    return np.ascontiguousarray(frames)


class FFAccumulator:
    """Builds FF blocks from chunks of frames, with memory independent of the number of frames.

    Parameters
    ----------
    height, width : int
        Frame size in pixels.
    use_numba : bool
        False runs the numpy twin of the kernels (slow; for tests).

    Examples
    --------
    >>> acc = FFAccumulator(2, 3)
    >>> acc.add(np.full((4, 2, 3), 7, dtype=np.uint8))
    >>> acc.add(np.full((4, 2, 3), 9, dtype=np.uint8))
    >>> planes = acc.finish()
    >>> planes.nframes, int(planes.avepixel[0, 0]), acc.nframes
    (8, 7, 0)
    """

    def __init__(self, height: int, width: int, *, use_numba: bool = True) -> None:
        if height < 1 or width < 1:
            raise ValueError(f"FFAccumulator: got height={height}, width={width}, expected both >= 1")
        self._shape = (int(height), int(width))
        self._accumulate = _k.accumulate if use_numba else _k.accumulate_np
        self._finish = _k.finish if use_numba else _k.finish_np
        self._top = np.zeros((_k.N_TOP, *self._shape), dtype=np.uint8)
        self._total = np.zeros(self._shape, dtype=np.uint32)
        self._total_sq = np.zeros(self._shape, dtype=np.uint32)
        self._maxframe = np.zeros(self._shape, dtype=np.uint8)
        self._nframes = 0

    @property
    def nframes(self) -> int:
        """Frames added to the current block so far."""
        return self._nframes

    def add(self, frames: np.ndarray) -> None:
        """Add a (n, H, W) uint8 chunk; its frames continue the current block (at most 256 in all)."""
        frames = _check_frames(frames, self._shape)
        if self._nframes + frames.shape[0] > MAX_FRAMES:
            raise ValueError(
                f"frames: {self._nframes} + {frames.shape[0]} frames exceed the block size {MAX_FRAMES};"
                " call finish() first"
            )
        if frames.shape[0] == 0:
            return
        self._accumulate(frames, self._nframes, self._top, self._total, self._total_sq, self._maxframe)
        self._nframes += frames.shape[0]

    def finish(self) -> FFPlanes:
        """Return the planes of the block and reset for the next one."""
        if self._nframes == 0:
            raise ValueError("FFAccumulator.finish: no frames were added to this block")
        maxpixel = np.empty(self._shape, dtype=np.uint8)
        avepixel = np.empty(self._shape, dtype=np.uint8)
        stdpixel = np.empty(self._shape, dtype=np.uint8)
        self._finish(self._top, self._total, self._total_sq, self._nframes, maxpixel, avepixel, stdpixel)
        planes = FFPlanes(maxpixel, self._maxframe, avepixel, stdpixel, self._nframes)
        self._top[:] = 0
        self._total[:] = 0
        self._total_sq[:] = 0
        self._maxframe = np.zeros(self._shape, dtype=np.uint8)
        self._nframes = 0
        return planes


def compress_block(frames: np.ndarray) -> FFPlanes:
    """FF planes of one block of frames ((n, H, W) uint8, 1 <= n <= 256), with the numba kernels."""
    frames = _check_frames(frames)
    acc = FFAccumulator(frames.shape[1], frames.shape[2])
    acc.add(frames)
    return acc.finish()


def compress_block_np(frames: np.ndarray) -> FFPlanes:
    """The slow, obvious numpy implementation of the block definition (the reference for the tests)."""
    frames = _check_frames(frames)
    n = frames.shape[0]
    if not 1 <= n <= MAX_FRAMES:
        raise ValueError(f"frames: got {n} frames, expected 1..{MAX_FRAMES}")
    maxpixel = frames.max(axis=0)
    maxframe = frames.argmax(axis=0).astype(np.uint8)  # argmax returns the first occurrence
    ordered = np.sort(frames, axis=0).astype(np.int64)
    kept = ordered[: n - _k.N_TOP] if n >= _k.MIN_FRAMES_FOR_REMOVAL else ordered
    n_kept = kept.shape[0]
    s = kept.sum(axis=0).astype(np.float64)
    q = (kept * kept).sum(axis=0).astype(np.float64)
    mean = s / n_kept
    var = np.zeros_like(mean)
    if n_kept >= 2:
        var = np.maximum((q - s * s / n_kept) / (n_kept - 1.0), 0.0)
    avepixel = np.minimum(255.0, np.floor(mean + 0.5)).astype(np.uint8)
    stdpixel = np.minimum(255.0, np.floor(np.sqrt(var) + 0.5)).astype(np.uint8)
    return FFPlanes(maxpixel, maxframe, avepixel, stdpixel, n)
