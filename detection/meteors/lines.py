"""Lit pixels of an FF block and straight tracks through them in (x, y, frame) space.

A pixel is *lit* when ``MAXPIXEL - AVEPIXEL > k * STDPIXEL + j`` (the threshold of Vida et al. 2016,
"Open-source meteor detection software for low-cost single-board computers", IMC 2016); it becomes the
point ``(x, y, MAXFRAME)``. A meteor's points lie along a straight line in the image and their frame grows
linearly along it; noise, stars and hot pixels give scattered or static points.

Tracks are found in sliding frame windows (as the same paper does, with windows of 64 frames moved by 32):

1. a Hough transform of the window's points in the image plane (Duda & Hart 1972, "Use of the Hough
   transformation to detect lines and curves in pictures", CACM 15) proposes lines, and then the
   8-connected clusters of lit pixels that no line took: a short track (15 points over 8 px in 3
   frames) has fewer votes than chance alignments of a window's ~1000 scattered noise points along lines
   across the image (30-50 votes), and the peaks examined would run out before reaching it;
2. the points in a band around each proposed line, or of each cluster, are tested in (frame, position
   along the line): a RANSAC fit (Fischler & Bolles 1981, CACM 24) of ``s = a + b * (frame + 0.5)``
   where the points of one frame may spread over the head's path during the exposure, ``|b| / 2``,
   plus a tolerance (a cluster's points must run through consecutive frames, at most
   ``max_cluster_frames`` of them: a longer track has the votes);
3. pieces of the same track from overlapping windows are merged when their union still fits one line.

Every function takes arrays and returns arrays or small dataclasses; nothing here knows about meteors'
angular speeds (the caller gives px/frame).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from detection.scan.ff import FFPlanes

_THETA = np.deg2rad(np.arange(0.0, 180.0, 1.0))
_COS, _SIN = np.cos(_THETA), np.sin(_THETA)


@dataclass(frozen=True)
class LitPoints:
    """Lit pixels: positions (px), frame within the block, excess over the threshold (DN)."""

    x: np.ndarray
    y: np.ndarray
    f: np.ndarray
    w: np.ndarray

    @property
    def size(self) -> int:
        return int(self.x.size)

    def take(self, idx: np.ndarray) -> LitPoints:
        return LitPoints(self.x[idx], self.y[idx], self.f[idx], self.w[idx])


@dataclass(frozen=True)
class LitField:
    """The lit points of a block and what the thresholding saw.

    ``changed_fraction[f]``: fraction of the valid pixels lit with their maximum in frame ``f`` before
    whole-frame changes were compensated; ``glow_dn[f]``: the level removed in such frames (0 elsewhere).
    ``valid``: (H, W) bool, pixels taking part (not masked, not static).
    """

    points: LitPoints
    changed_fraction: np.ndarray
    glow_dn: np.ndarray
    valid: np.ndarray
    threshold_dn: np.ndarray


@dataclass(frozen=True)
class Track:
    """A straight track: the head at ``(x0 + vx * t, y0 + vy * t)`` px, t in frames within the block
    (frame f is exposed during ``[f, f + 1)``); ``idx`` the lit points on it."""

    x0: float
    y0: float
    vx: float
    vy: float
    frame_begin: int
    frame_end: int
    idx: np.ndarray

    def position(self, t: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.x0 + self.vx * np.asarray(t), self.y0 + self.vy * np.asarray(t)

    @property
    def speed_px_frame(self) -> float:
        return float(np.hypot(self.vx, self.vy))


def lit_field(
    planes: FFPlanes,
    *,
    k_std: float,
    j_dn: float,
    mask: np.ndarray | None,
    static_ave_dn: float,
    flash_fraction: float,
    flash_factor: float = 3.0,
) -> LitField:
    """Threshold the planes (see the module docstring) and compensate whole-frame changes.

    Pixels brighter than the sky by ``static_ave_dn`` on average (stars, lights) are not used; the sky is
    the image's median, or where the sky is brighter (a horizon's glow, the rim of an all-sky lens) its
    local median (:func:`local_sky`): a fireball crossing a bright part of the sky is still seen. A
    frame in which more than ``flash_fraction`` of the valid pixels peak (a flash, a lit sky) keeps only
    the pixels that exceed that frame's median change by ``flash_factor`` thresholds: the moving head
    of a fireball stays, a uniform flash goes.
    """
    ave = planes.avepixel
    diff = planes.maxpixel.astype(np.int16) - ave.astype(np.int16)
    thr = (k_std * planes.stdpixel.astype(np.float32) + np.float32(j_dn)).astype(np.float32)
    sky = np.maximum(local_sky(ave), float(np.median(ave)))
    valid = ave.astype(np.float32) < sky + static_ave_dn
    if mask is not None:
        valid &= ~mask
    lit = (diff > thr) & valid
    n_valid = max(int(valid.sum()), 1)
    counts = np.bincount(planes.maxframe[lit], minlength=planes.nframes)[: planes.nframes]
    changed = counts / n_valid
    glow = np.zeros(planes.nframes, np.float32)
    for f in np.flatnonzero(changed > flash_fraction):
        in_frame = (planes.maxframe == f) & valid
        glow[f] = float(np.median(diff[in_frame]))
        lit[in_frame] &= diff[in_frame] > glow[f] + flash_factor * thr[in_frame]
    lit = _drop_isolated(lit, planes.maxframe)
    ys, xs = np.nonzero(lit)
    w = (diff[ys, xs] - thr[ys, xs]).astype(np.float32)
    pts = LitPoints(xs.astype(np.float64), ys.astype(np.float64), planes.maxframe[ys, xs].astype(np.int32), w)
    return LitField(pts, changed, glow, valid, thr)


def local_sky(image: np.ndarray, cell_px: int = 4, window_cells: int = 15) -> np.ndarray:
    """The median of ``image`` (uint8) in a window of about ``cell_px * window_cells`` px around each pixel
    (float32, same shape): the level of the smooth sky, above which stars and lights stand.

    Computed on the image reduced ``cell_px`` times (area means) and enlarged again (bilinear): about
    1 ms for a 640 x 480 image (measured with OpenCV's median filter of 8-bit images).
    """
    h, w = image.shape
    small = cv2.resize(image, ((w + cell_px - 1) // cell_px, (h + cell_px - 1) // cell_px),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    k = min(window_cells, (min(small.shape) - 1) // 2 * 2 + 1)
    level = cv2.medianBlur(small, k) if k >= 3 else small
    return np.asarray(cv2.resize(level.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR))


def _drop_isolated(lit: np.ndarray, maxframe: np.ndarray, max_df: int = 2, min_nb: int = 1) -> np.ndarray:
    """Keep lit pixels with ``min_nb`` lit 8-neighbours whose frames are within ``max_df``: noise peaks
    are alone, a trail is at least two pixels wide."""
    fr = np.where(lit, maxframe.astype(np.int16), np.int16(-1000))
    h, w = fr.shape
    pad = np.full((h + 2, w + 2), -1000, np.int16)
    pad[1:-1, 1:-1] = fr
    count = np.zeros((h, w), np.uint8)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                nb = pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
                count += np.abs(nb - fr) <= max_df
    return lit & (count >= min_nb)


@dataclass(frozen=True)
class LineSearch:
    """How tracks are sought: windows (frames), tolerances (px), sizes, speed limit (px/frame)."""

    window_frames: int = 64
    window_step_frames: int = 32
    tol_px: float = 2.5
    min_points: int = 6
    min_frames: int = 3
    max_speed_px_frame: float = 60.0
    max_peaks: int = 15
    max_window_points: int = 4000
    rho_bin_px: float = 2.0
    max_gap_frames: int = 2
    clear_width_px: float = 10.0
    max_cluster_frames: int = 6  # a longer track has the Hough votes; leftovers of planes last 7-15 frames


def find_tracks(points: LitPoints, nframes: int, search: LineSearch) -> list[Track]:
    """Straight tracks through the lit points of a block, merged across sliding windows."""
    pieces: list[np.ndarray] = []
    starts = list(range(0, max(nframes - search.window_frames, 0) + 1, search.window_step_frames))
    if starts[-1] + search.window_frames < nframes:
        starts.append(nframes - search.window_frames)
    for w0 in starts:
        in_win = np.flatnonzero((points.f >= w0) & (points.f < w0 + search.window_frames))
        if in_win.size < search.min_points:
            continue
        if in_win.size > search.max_window_points:  # keep the strongest: a meteor's pixels are bright
            order = np.argsort(-points.w[in_win], kind="stable")
            in_win = np.sort(in_win[order[: search.max_window_points]])
        pieces.extend(in_win[idx] for idx in _window_lines(points.take(in_win), search))
    tracks = []
    for idx in _merge(pieces, points, search):
        track = _fit_track(points, idx, search)
        if track is not None:
            tracks.append(track)
    return sorted(tracks, key=lambda t: (t.frame_begin, t.x0))


def _hough(x: np.ndarray, y: np.ndarray, rho_bin: float, n_rho: int, rho0: float) -> np.ndarray:
    rho = np.outer(x, _COS) + np.outer(y, _SIN)
    cell = np.floor((rho - rho0) / rho_bin).astype(np.int64)
    flat = cell + n_rho * np.arange(_THETA.size)[None, :]
    return np.bincount(flat.ravel(), minlength=n_rho * _THETA.size).reshape(_THETA.size, n_rho)


def _window_lines(pts: LitPoints, search: LineSearch) -> list[np.ndarray]:
    """Index sets (into ``pts``) of the tracks in one window."""
    reach = float(np.hypot(pts.x.max(), pts.y.max())) + 2.0
    rho0 = -reach
    n_rho = int(np.ceil(2 * reach / search.rho_bin_px)) + 1
    alive = np.ones(pts.size, bool)
    acc = _hough(pts.x, pts.y, search.rho_bin_px, n_rho, rho0)
    found: list[np.ndarray] = []
    for _ in range(search.max_peaks):
        ti, ri = np.unravel_index(int(np.argmax(acc)), acc.shape)
        if acc[ti, ri] < search.min_points:
            break
        rho = rho0 + (ri + 0.5) * search.rho_bin_px
        cand = np.flatnonzero(alive)
        dist = np.abs(pts.x[cand] * _COS[ti] + pts.y[cand] * _SIN[ti] - rho)
        band = cand[dist <= search.tol_px + search.rho_bin_px]
        idx = _band_track(pts, band, search)
        if idx is None:
            acc[max(ti - 1, 0) : ti + 2, max(ri - 1, 0) : ri + 2] = 0
            continue
        found.append(idx)
        alive[idx] = False
        alive &= ~_in_corridor(pts, idx, search.clear_width_px)
        if alive.sum() < search.min_points:
            break
        removed = _hough(pts.x[idx], pts.y[idx], search.rho_bin_px, n_rho, rho0)
        acc = acc - removed
        acc[max(ti - 1, 0) : ti + 2, max(ri - 1, 0) : ri + 2] = np.minimum(
            acc[max(ti - 1, 0) : ti + 2, max(ri - 1, 0) : ri + 2], search.min_points - 1
        )
    # A head moving across a cluster lights pixels in every frame it passes; a twinkling star's wings
    # or noise light scattered frames: a cluster's points must run through consecutive frames.
    compact = replace(search, max_gap_frames=0)
    for cluster in _clusters(pts, alive, search):
        idx = _band_track(pts, cluster[alive[cluster]], compact)  # a track found before may clear some
        if idx is not None and int(np.ptp(pts.f[idx])) < search.max_cluster_frames:
            found.append(idx)
            alive[idx] = False
            alive &= ~_in_corridor(pts, idx, search.clear_width_px)
    return found


def _clusters(pts: LitPoints, alive: np.ndarray, search: LineSearch) -> list[np.ndarray]:
    """Index sets of the 8-connected clusters of ``alive`` points with at least ``min_points`` points in
    ``min_frames`` frames (a compact track: its trail is a connected streak of lit pixels)."""
    cand = np.flatnonzero(alive)
    if cand.size < search.min_points:
        return []
    x, y = pts.x[cand].astype(np.int64), pts.y[cand].astype(np.int64)
    x0, y0 = int(x.min()), int(y.min())
    img = np.zeros((int(y.max()) - y0 + 1, int(x.max()) - x0 + 1), np.uint8)
    img[y - y0, x - x0] = 1
    _n, labels = cv2.connectedComponents(img, connectivity=8)
    lab = labels[y - y0, x - x0]
    order = np.argsort(lab, kind="stable")
    groups = np.split(cand[order], np.flatnonzero(np.diff(lab[order])) + 1)
    return [
        g for g in groups
        if g.size >= search.min_points and np.unique(pts.f[g]).size >= search.min_frames
    ]  # fmt: skip


def _in_corridor(pts: LitPoints, idx: np.ndarray, width_px: float) -> np.ndarray:
    """Points within ``width_px`` of the track of ``idx`` and its frames (the wings of a bright trail)."""
    cx, cy, ux, uy = _direction(pts.x[idx], pts.y[idx], pts.w[idx])
    s_idx = (pts.x[idx] - cx) * ux + (pts.y[idx] - cy) * uy
    cross = np.abs(-(pts.x - cx) * uy + (pts.y - cy) * ux)
    along = (pts.x - cx) * ux + (pts.y - cy) * uy
    f_lo, f_hi = pts.f[idx].min() - 1, pts.f[idx].max() + 1
    return np.asarray(
        (cross <= width_px)
        & (along >= s_idx.min() - width_px)
        & (along <= s_idx.max() + width_px)
        & (pts.f >= f_lo)
        & (pts.f <= f_hi)
    )


def _direction(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """Weighted total-least-squares line: centre and unit direction."""
    ww = np.maximum(w, 1e-3)
    cx, cy = np.average(x, weights=ww), np.average(y, weights=ww)
    dx, dy = x - cx, y - cy
    cov = np.array(
        [[np.sum(ww * dx * dx), np.sum(ww * dx * dy)], [np.sum(ww * dx * dy), np.sum(ww * dy * dy)]]
    )
    _vals, vecs = np.linalg.eigh(cov)
    ux, uy = vecs[:, 1]
    return float(cx), float(cy), float(ux), float(uy)


def _band_track(pts: LitPoints, band: np.ndarray, search: LineSearch) -> np.ndarray | None:
    """The points of ``band`` that form one moving track, or None."""
    if band.size < search.min_points:
        return None
    band = _longest_run(band, pts.f, search.max_gap_frames)  # cheap: most noise bands end here
    if band.size < search.min_points or np.unique(pts.f[band]).size < search.min_frames:
        return None
    cx, cy, ux, uy = _direction(pts.x[band], pts.y[band], pts.w[band])
    cross = np.abs(-(pts.x[band] - cx) * uy + (pts.y[band] - cy) * ux)
    band = band[cross <= search.tol_px]
    if band.size < search.min_points:
        return None
    s = (pts.x[band] - cx) * ux + (pts.y[band] - cy) * uy
    keep = _temporal_ransac(pts.f[band].astype(np.float64) + 0.5, s, pts.w[band], search)
    if keep is None:
        return None
    idx = _longest_run(band[keep], pts.f, search.max_gap_frames)
    if np.unique(pts.f[idx]).size < search.min_frames or idx.size < search.min_points:
        return None
    return idx


def _longest_run(idx: np.ndarray, f: np.ndarray, max_gap: int) -> np.ndarray:
    """The points of the longest run of frames without a gap of more than ``max_gap`` frames."""
    if idx.size == 0:
        return idx
    order = np.argsort(f[idx], kind="stable")
    idx = idx[order]
    fs = f[idx]
    cuts = np.flatnonzero(np.diff(fs) > max_gap + 1) + 1
    if cuts.size == 0:
        return idx
    bounds = np.concatenate([[0], cuts, [fs.size]])
    k = int(np.argmax(np.diff(bounds)))
    return idx[bounds[k] : bounds[k + 1]]


def _temporal_ransac(t: np.ndarray, s: np.ndarray, w: np.ndarray, search: LineSearch) -> np.ndarray | None:
    """Boolean inliers of the best ``s = a + b * t`` (points of a frame spread by ``|b| / 2``)."""
    top = np.argsort(-w, kind="stable")[:28]
    i, j = np.triu_indices(top.size, 1)
    i, j = top[i], top[j]
    dt = t[j] - t[i]
    ok = dt != 0
    i, j, dt = i[ok], j[ok], dt[ok]
    if i.size == 0:
        return None
    b = (s[j] - s[i]) / dt
    ok = np.abs(b) <= search.max_speed_px_frame
    i, j, b = i[ok], j[ok], b[ok]
    if i.size == 0:
        return None
    a = s[i] - b * t[i]
    resid = np.abs(s[None, :] - a[:, None] - b[:, None] * t[None, :])
    inl = resid <= np.abs(b)[:, None] / 2 + search.tol_px
    score = inl.sum(axis=1)
    best = int(np.argmax(score))
    keep: np.ndarray = np.asarray(inl[best])
    for _ in range(2):  # least-squares refinement on the inliers
        if np.unique(t[keep]).size < 2:
            return None
        bb, aa = np.polyfit(t[keep], s[keep], 1)
        keep = np.asarray(np.abs(s - aa - bb * t) <= abs(bb) / 2 + search.tol_px)
    return keep


def _merge(pieces: list[np.ndarray], points: LitPoints, search: LineSearch) -> list[np.ndarray]:
    """Union pieces (of overlapping windows) whose union still fits one track."""
    groups = sorted((np.unique(p) for p in pieces), key=lambda p: -p.size)
    merged: list[np.ndarray] = []
    for piece in groups:
        for k, group in enumerate(merged):
            if np.intersect1d(piece, group).size == 0 and not _near(piece, group, points, search):
                continue
            union = np.union1d(piece, group)
            kept = _band_track(points, union, search)
            # a parallel piece beside the group (the wing of a bright trail) is absorbed and dropped
            if kept is not None and kept.size >= 0.9 * (union.size if kept.size < group.size else group.size):
                merged[k] = kept
                break
        else:
            merged.append(piece)
    return merged


def _near(a: np.ndarray, b: np.ndarray, points: LitPoints, search: LineSearch) -> bool:
    """Pieces that touch in frames and come within a few px of each other's line."""
    fa, fb = points.f[a], points.f[b]
    if fa.min() > fb.max() + search.window_step_frames or fb.min() > fa.max() + search.window_step_frames:
        return False
    cx, cy, ux, uy = _direction(points.x[b], points.y[b], points.w[b])
    cross = np.abs(-(points.x[a] - cx) * uy + (points.y[a] - cy) * ux)
    return bool(np.median(cross) <= search.clear_width_px)


def _fit_track(points: LitPoints, idx: np.ndarray, search: LineSearch) -> Track | None:
    """The head's motion fitted to the points ``idx`` (least squares, frame centre at ``f + 0.5``)."""
    if idx.size < search.min_points:
        return None
    t = points.f[idx].astype(np.float64) + 0.5
    if np.unique(t).size < 2:
        return None
    vx, x0 = np.polyfit(t, points.x[idx], 1)
    vy, y0 = np.polyfit(t, points.y[idx], 1)
    return Track(
        float(x0), float(y0), float(vx), float(vy), int(points.f[idx].min()), int(points.f[idx].max()), idx
    )
