"""Kernels of the synthetic sky generator: counter-based Gaussian noise and frame quantisation.

The noise of pixel ``p`` of frame ``f`` is a pure function of ``(key, f, p)``: the SplitMix64 finaliser
(Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA; constants of Vigna's
public-domain reference) hashes the counter ``f * n_pixels + p`` offset by the key, and two 16-bit fields of
the hash index a table of the inverse normal distribution function at the 65,536 mid-quantiles. The sum of
the two table entries is Gaussian to within the table's quantisation (tails reach 6 sigma), the table is
scaled by the caller to the wanted sigma / sqrt(2). Being counter based, any frame can be rendered alone
and gives the same pixels as in a full pass; callers may render frame ranges in threads (the kernel
releases the GIL). The kernel is serial: on a busy machine a ``prange`` version ran slower.

``compose_frame`` adds the noise to a float32 signal image, rounds half up and clips to 0..255. All
arithmetic is float32 in the same order in the kernel and its numpy twin ``compose_frame_np``, so the two
agree bit for bit.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["compose_frame", "compose_frame_np", "gauss_hash_np", "normal_table"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S16 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(16)
_LOW16 = np.uint64(0xFFFF)
_HALF = np.float32(0.5)


@functools.cache
def _unit_normal_table() -> NDArray[np.float64]:
    from statistics import NormalDist

    inv = NormalDist().inv_cdf
    table = np.array([inv((k + 0.5) / 65536.0) for k in range(65536)], dtype=np.float64)
    table /= np.sqrt(np.mean(table * table))
    table.flags.writeable = False
    return table


def normal_table(scale: float) -> NDArray[np.float32]:
    """Inverse normal CDF at the mid-quantiles (k + 0.5) / 65536, unit variance, times ``scale``."""
    return (_unit_normal_table() * scale).astype(np.float32)


@numba.njit(nogil=True, cache=True)
def compose_frame(
    signal: NDArray[np.float32],
    key: np.uint64,
    frame: np.uint64,
    table: NDArray[np.float32],
    out: NDArray[np.uint8],
) -> None:
    """``out = clip(floor(signal + noise + 0.5), 0, 255)`` with the counter-based noise of ``frame``."""
    height, width = signal.shape
    base = frame * np.uint64(height * width)
    for i in range(height):
        row = base + np.uint64(i * width)
        for j in range(width):
            z = key + (row + np.uint64(j) + np.uint64(1)) * _GOLDEN
            z = (z ^ (z >> _S30)) * _MIX1
            z = (z ^ (z >> _S27)) * _MIX2
            z = z ^ (z >> _S31)
            noise = table[np.int64(z & _LOW16)] + table[np.int64((z >> _S16) & _LOW16)]
            v = np.floor(signal[i, j] + noise + _HALF)
            if v < 0.0:
                out[i, j] = 0
            elif v > 255.0:
                out[i, j] = 255
            else:
                out[i, j] = np.uint8(v)


def gauss_hash_np(
    key: np.uint64, counters: NDArray[np.uint64], table: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Noise values for 0-based ``counters`` (numpy; the kernel's hash, also used for star twinkling)."""
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (counters.astype(np.uint64) + np.uint64(1)) * _GOLDEN
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
        z = z ^ (z >> _S31)
    out: NDArray[np.float32] = table[z & _LOW16] + table[(z >> _S16) & _LOW16]
    return out


def compose_frame_np(
    signal: NDArray[np.float32],
    key: np.uint64,
    frame: np.uint64,
    table: NDArray[np.float32],
    out: NDArray[np.uint8],
) -> None:
    """The numpy twin of :func:`compose_frame`."""
    height, width = signal.shape
    counters = np.uint64(frame) * np.uint64(height * width) + np.arange(height * width, dtype=np.uint64)
    noise = gauss_hash_np(key, counters, table).reshape(height, width)
    v = np.floor(signal + noise + _HALF)
    out[...] = np.clip(v, 0.0, 255.0).astype(np.uint8)
