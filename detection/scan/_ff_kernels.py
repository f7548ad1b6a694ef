"""Numba kernels of FF (four-frame temporal pixel) compression, each with its numpy twin.

The block definition is in :mod:`detection.scan.ff`. Here the work is split in two streaming steps so that
memory stays O(H*W) whatever the number of frames:

``accumulate(frames, frame0, top, total, total_sq, maxframe)``
    Folds a chunk of frames into the per-pixel state:

    - ``top`` (4, H, W) uint8: the four largest values seen so far, in descending order (``top[0]`` is
      the maximum). It starts at zero, which is harmless: once four or more frames have been seen the four
      largest of (values + four zeros) are the four largest values, because values are >= 0.
      The update is the insertion step of a sorting network (``max``/``min`` only, no branch), so the
      compiler keeps the four values in vector registers.
    - ``total``, ``total_sq`` (H, W) uint32: the exact sum and sum of squares of all values
      (256 * 255**2 < 2**32); the four largest are subtracted at the end.
    - ``maxframe`` (H, W) uint8: index of the first frame holding the maximum (updated only on a strict
      increase, so ties keep the earliest frame).

``finish(top, total, total_sq, nframes, maxpixel, avepixel, stdpixel)``
    Turns the state into the AVEPIXEL and STDPIXEL planes (MAXPIXEL is ``top[0]``), in float64 from the
    exact integer sums with the same operations in the same order as the twin, so both agree bit for bit.

Kernels take arrays and scalars only, allocate nothing large, release the GIL and never raise for data;
the wrappers in :mod:`detection.scan.ff` validate shapes and types.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

#: Values removed from the top of each pixel's series before the mean and deviation.
N_TOP = 4
#: Below this many frames nothing is removed (removing 4 of 5 would leave a single value).
MIN_FRAMES_FOR_REMOVAL = 6

# The kernels run on one thread (no ``parallel=True``): they are bound by memory bandwidth (two threads
# measured only ~10 % faster in bench/ff.py), the scan's decoder wants the other core, and numba's default
# workqueue threading layer aborts the process when two threads launch parallel kernels at once.


@nb.njit(nogil=True, cache=True)
def accumulate(
    frames: np.ndarray,
    frame0: int,
    top: np.ndarray,
    total: np.ndarray,
    total_sq: np.ndarray,
    maxframe: np.ndarray,
) -> None:
    """Fold ``frames`` (n, H, W) uint8, whose first frame has block index ``frame0``, into the state."""
    n, height, width = frames.shape
    for y in range(height):
        # Row views keep the inner loop on contiguous 1-D arrays: the state row (~16 kB) stays in L1
        # while all frames of the chunk stream past it.
        t0 = top[0, y]
        t1 = top[1, y]
        t2 = top[2, y]
        t3 = top[3, y]
        s = total[y]
        q = total_sq[y]
        mf = maxframe[y]
        for k in range(n):
            row = frames[k, y]
            idx = np.uint8(frame0 + k)
            for x in range(width):
                v = row[x]
                a0 = t0[x]
                a1 = t1[x]
                a2 = t2[x]
                if v > a0:
                    mf[x] = idx
                t0[x] = max(a0, v)
                t1[x] = max(a1, min(a0, v))
                t2[x] = max(a2, min(a1, v))
                t3[x] = max(t3[x], min(a2, v))
                w = np.uint32(v)
                s[x] += w
                q[x] += w * w


def accumulate_np(
    frames: np.ndarray,
    frame0: int,
    top: np.ndarray,
    total: np.ndarray,
    total_sq: np.ndarray,
    maxframe: np.ndarray,
) -> None:
    """Numpy twin of :func:`accumulate`: same state, updated one frame at a time."""
    for k in range(frames.shape[0]):
        v = frames[k]
        maxframe[v > top[0]] = frame0 + k
        stacked = np.concatenate([top, v[np.newaxis]], axis=0)
        top[:] = -np.sort(-stacked.astype(np.int16), axis=0)[:N_TOP]
        w = v.astype(np.uint32)
        total += w
        total_sq += w * w


@nb.njit(nogil=True, cache=True)
def finish(
    top: np.ndarray,
    total: np.ndarray,
    total_sq: np.ndarray,
    nframes: int,
    maxpixel: np.ndarray,
    avepixel: np.ndarray,
    stdpixel: np.ndarray,
) -> None:
    """Write MAXPIXEL, AVEPIXEL and STDPIXEL of a block of ``nframes`` >= 1 frames from the state."""
    height, width = total.shape
    remove = nframes >= MIN_FRAMES_FOR_REMOVAL
    n_kept = nframes - N_TOP if remove else nframes
    nf = float(n_kept)
    for y in range(height):
        for x in range(width):
            s = np.int64(total[y, x])
            q = np.int64(total_sq[y, x])
            if remove:
                for i in range(N_TOP):
                    t = np.int64(top[i, y, x])
                    s -= t
                    q -= t * t
            sf = float(s)
            mean = sf / nf
            var = 0.0
            if n_kept >= 2:
                var = max((float(q) - sf * sf / nf) / (nf - 1.0), 0.0)
            maxpixel[y, x] = top[0, y, x]
            avepixel[y, x] = np.uint8(min(255.0, math.floor(mean + 0.5)))
            stdpixel[y, x] = np.uint8(min(255.0, math.floor(math.sqrt(var) + 0.5)))


def finish_np(
    top: np.ndarray,
    total: np.ndarray,
    total_sq: np.ndarray,
    nframes: int,
    maxpixel: np.ndarray,
    avepixel: np.ndarray,
    stdpixel: np.ndarray,
) -> None:
    """Numpy twin of :func:`finish`."""
    s = total.astype(np.int64)
    q = total_sq.astype(np.int64)
    remove = nframes >= MIN_FRAMES_FOR_REMOVAL
    n_kept = nframes - N_TOP if remove else nframes
    if remove:
        t = top.astype(np.int64)
        s = s - t.sum(axis=0)
        q = q - (t * t).sum(axis=0)
    nf = float(n_kept)
    sf = s.astype(np.float64)
    mean = sf / nf
    var = np.zeros_like(mean)
    if n_kept >= 2:
        var = np.maximum((q.astype(np.float64) - sf * sf / nf) / (nf - 1.0), 0.0)
    maxpixel[:] = top[0]
    avepixel[:] = np.minimum(255.0, np.floor(mean + 0.5)).astype(np.uint8)
    stdpixel[:] = np.minimum(255.0, np.floor(np.sqrt(var) + 0.5)).astype(np.uint8)
