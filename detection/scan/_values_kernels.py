"""Numba kernel of the per-frame values pass, and its plain numpy twin.

One call processes a chunk of frames against a per-bin running background and returns, per frame and per
block of the coarse grid, the largest z of the block with its position and excess. Everything is float32
and evaluated in the same order in both versions, so the kernel and the twin agree bit for bit (IEEE
multiplication, division and square root are correctly rounded; no fastmath).

State per 2x2 bin (float32, carried between calls): background mean ``m``, variance ``v``, ``s = sqrt(v)``
and ``r = 1 / s``. Per frame, for each bin sum ``b`` (DN, the four pixels)::

    d = b - m;  z = d * r
    m <- m + alpha_m[f] * clip(d, -k*s, +k*s)    # clamped: a meteor must not pull the background
    if alpha_v[f] > 0:                           # every few frames: the cost is in the square root
        v <- max(v + alpha_v[f] * (min(d*d, kv*kv*v) - v), v_min)
        s <- sqrt(v);  r <- 1 / s

The variance clamp ``kv`` is wider than the mean's ``k``: the noise of compressed video has long tails,
and clamping them at 3 sigma makes the variance settle below the noise's own (median bin sigma 0.93 of
the true one on a 6 Mbit/s 720p minute; 0.98 with ``kv`` = 5). ``v_min`` is the accumulator's floor
(a fraction of the image's median variance, see ``values._variance_floor``).

Per block (``block_bins`` x ``block_bins`` bins, the last row/column of blocks may be partial): the first
bin in raster order holding the block's largest ``z``, its ``d``, and the excess-weighted centroid of the
3x3 bins around it (positive ``d`` only; bin ``(i, j)`` is centred on full-resolution pixel
``(2*j + 0.5, 2*i + 0.5)``). Per frame: the number of bins with ``z > z_changed`` and the sum of the pixels
of the binned area (int64).
"""

from __future__ import annotations

import numba
import numpy as np


# Fastmath limited to "no NaN/inf, no signed zero" lets min/max vectorise; it changes no rounding.
@numba.njit(nogil=True, cache=True, fastmath={"nnan", "ninf", "nsz"})
def values_chunk(
    frames: np.ndarray,  # (n, H, W) uint8, H >= 2*Hb, W >= 2*Wb
    state: np.ndarray,  # (4, Hb, Wb) float32: m, v, s, r; updated in place
    alpha_m: np.ndarray,  # (n,) float32: weight of this frame in the mean
    alpha_v: np.ndarray,  # (n,) float32: weight of this frame in the variance, 0 = no update
    clamp_k: np.float32,
    clamp_var_k: np.float32,
    var_min: np.float32,
    z_changed: np.float32,
    block_bins: int,
    blk_z: np.ndarray,  # (n, By, Bx) float32 out
    blk_d: np.ndarray,  # (n, By, Bx) float32 out, DN (2x2 sum)
    blk_x: np.ndarray,  # (n, By, Bx) float32 out, full-resolution px
    blk_y: np.ndarray,  # (n, By, Bx) float32 out, full-resolution px
    n_changed: np.ndarray,  # (n,) int32 out
    pix_sum: np.ndarray,  # (n,) int64 out
) -> None:
    n = frames.shape[0]
    hb, wb = state.shape[1], state.shape[2]
    k2 = clamp_var_k * clamp_var_k
    d_plane = np.empty((hb, wb), np.float32)
    # Per column of bins, the largest z of the current band of block rows and the row holding it: an
    # element-wise update that vectorises, reduced to blocks once per band.
    col_max = np.empty(wb, np.float32)
    col_row = np.empty(wb, np.int64)
    arg = np.empty(blk_z.shape[1:], np.int64)
    for f in range(n):
        fr = frames[f]
        changed = 0
        total = np.int64(0)
        for i in range(hb):
            r0 = fr[2 * i]
            r1 = fr[2 * i + 1]
            m_r, s_r, i_r, d_r = state[0, i], state[2, i], state[3, i], d_plane[i]
            a_m = alpha_m[f]
            first = i % block_bins == 0
            row_total = 0
            row_changed = 0
            for j in range(wb):
                bi = (
                    np.int32(r0[2 * j])
                    + np.int32(r0[2 * j + 1])
                    + np.int32(r1[2 * j])
                    + np.int32(r1[2 * j + 1])
                )
                row_total += bi  # type: ignore[assignment]
                d = np.float32(bi) - m_r[j]
                d_r[j] = d
                z = d * i_r[j]
                row_changed += z > z_changed
                cm = col_max[j]
                gt = first or z > cm
                col_max[j] = z if gt else cm
                col_row[j] = i if gt else col_row[j]
            total += row_total
            changed += row_changed
            if (i + 1) % block_bins == 0 or i == hb - 1:
                _band_to_blocks(
                    col_max, col_row, d_plane, i // block_bins, block_bins, blk_z[f], blk_d[f], arg
                )
            _update_mean_row(m_r, s_r, d_r, a_m, clamp_k)
            if alpha_v[f] > 0:
                _update_row(state[1, i], s_r, i_r, d_r, alpha_v[f], k2, var_min)
        n_changed[f] = changed
        pix_sum[f] = total
        _centroids(d_plane, arg, blk_x[f], blk_y[f])


@numba.njit(nogil=True, cache=True, fastmath={"nnan", "ninf", "nsz"})
def _update_mean_row(m_r, s_r, d_r, a_m, clamp_k):  # type: ignore[no-untyped-def]
    for j in range(m_r.shape[0]):
        ks = clamp_k * s_r[j]
        m_r[j] = m_r[j] + a_m * min(max(d_r[j], -ks), ks)


@numba.njit(nogil=True, cache=True, fastmath={"nnan", "ninf", "nsz"})
def _update_row(v_r, s_r, i_r, d_r, alpha_v, k2, var_min):  # type: ignore[no-untyped-def]
    for j in range(v_r.shape[0]):
        v = v_r[j]
        d = d_r[j]
        vn = max(v + alpha_v * (min(d * d, k2 * v) - v), var_min)
        v_r[j] = vn
        sn = np.sqrt(vn)
        s_r[j] = sn
        i_r[j] = np.float32(1.0) / sn


@numba.njit(nogil=True, cache=True)
def _band_to_blocks(col_max, col_row, d_plane, byi, block_bins, bz, bd, arg):  # type: ignore[no-untyped-def]
    wb = col_max.shape[0]
    for bx in range(bz.shape[1]):
        j0 = bx * block_bins
        j1 = min(j0 + block_bins, wb)
        best_j = j0
        for j in range(j0 + 1, j1):
            # The first maximum in raster order: larger z, or equal z on an earlier row.
            if col_max[j] > col_max[best_j] or (
                col_max[j] == col_max[best_j] and col_row[j] < col_row[best_j]
            ):
                best_j = j
        i = col_row[best_j]
        bz[byi, bx] = col_max[best_j]
        bd[byi, bx] = d_plane[i, best_j]
        arg[byi, bx] = i * wb + best_j


@numba.njit(nogil=True, cache=True)
def _centroids(d_plane, arg, bx_out, by_out):  # type: ignore[no-untyped-def]
    hb, wb = d_plane.shape
    for by in range(arg.shape[0]):
        for bx in range(arg.shape[1]):
            ci = arg[by, bx] // wb
            cj = arg[by, bx] % wb
            w_sum = np.float32(0.0)
            wx = np.float32(0.0)
            wy = np.float32(0.0)
            for di in range(-1, 2):
                ii = ci + di
                if ii < 0 or ii >= hb:
                    continue
                for dj in range(-1, 2):
                    jj = cj + dj
                    if jj < 0 or jj >= wb:
                        continue
                    w = d_plane[ii, jj]
                    if w > 0:
                        w_sum += w
                        wx += w * np.float32(dj)
                        wy += w * np.float32(di)
            ox = np.float32(0.0)
            oy = np.float32(0.0)
            if w_sum > 0:
                ox = wx / w_sum
                oy = wy / w_sum
            bx_out[by, bx] = np.float32(2 * cj) + np.float32(0.5) + np.float32(2.0) * ox
            by_out[by, bx] = np.float32(2 * ci) + np.float32(0.5) + np.float32(2.0) * oy


def values_chunk_np(
    frames: np.ndarray,
    state: np.ndarray,
    alpha_m: np.ndarray,  # (n,) float32: weight of this frame in the mean
    alpha_v: np.ndarray,  # (n,) float32: weight of this frame in the variance, 0 = no update
    clamp_k: np.float32,
    clamp_var_k: np.float32,
    var_min: np.float32,
    z_changed: np.float32,
    block_bins: int,
    blk_z: np.ndarray,
    blk_d: np.ndarray,
    blk_x: np.ndarray,
    blk_y: np.ndarray,
    n_changed: np.ndarray,
    pix_sum: np.ndarray,
) -> None:
    """Numpy twin of :func:`values_chunk`: same arguments, same results, frame by frame."""
    hb, wb = state.shape[1:]
    nby, nbx = blk_z.shape[1:]
    f32 = np.float32
    k2 = f32(clamp_var_k * clamp_var_k)
    m, v, s, r = state
    for f in range(frames.shape[0]):
        fr = frames[f, : 2 * hb, : 2 * wb].astype(np.int32)
        b = fr[0::2, 0::2] + fr[0::2, 1::2] + fr[1::2, 0::2] + fr[1::2, 1::2]
        pix_sum[f] = int(b.sum(dtype=np.int64))
        d = b.astype(f32) - m
        z = d * r
        n_changed[f] = np.count_nonzero(z > z_changed)
        for by in range(nby):
            for bx in range(nbx):
                sl = np.s_[by * block_bins : (by + 1) * block_bins, bx * block_bins : (bx + 1) * block_bins]
                zb = z[sl]
                a = int(np.argmax(zb))  # the first maximum in raster order
                ci = by * block_bins + a // zb.shape[1]
                cj = bx * block_bins + a % zb.shape[1]
                blk_z[f, by, bx] = z[ci, cj]
                blk_d[f, by, bx] = d[ci, cj]
                ox, oy = _centroid_offset(d, ci, cj)
                blk_x[f, by, bx] = f32(2 * cj) + f32(0.5) + f32(2.0) * ox
                blk_y[f, by, bx] = f32(2 * ci) + f32(0.5) + f32(2.0) * oy
        ks = clamp_k * s
        m[:] = m + alpha_m[f] * np.minimum(np.maximum(d, -ks), ks)
        if alpha_v[f] > 0:
            v[:] = np.maximum(v + alpha_v[f] * (np.minimum(d * d, k2 * v) - v), var_min)
            s[:] = np.sqrt(v)
            r[:] = f32(1.0) / s


def _centroid_offset(d: np.ndarray, ci: int, cj: int) -> tuple[np.float32, np.float32]:
    f32 = np.float32
    w_sum, wx, wy = f32(0.0), f32(0.0), f32(0.0)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            ii, jj = ci + di, cj + dj
            if 0 <= ii < d.shape[0] and 0 <= jj < d.shape[1] and d[ii, jj] > 0:
                w = d[ii, jj]
                w_sum = f32(w_sum + w)
                wx = f32(wx + w * f32(dj))
                wy = f32(wy + w * f32(di))
    if w_sum > 0:
        return f32(wx / w_sum), f32(wy / w_sum)
    return f32(0.0), f32(0.0)
