"""calibration.catalog: Hipparcos 2 at J2000 with V magnitudes, BSC5 reader, and their cross-match."""

from __future__ import annotations

import io
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from calibration.catalog import StarCatalog, hp_to_v, julian_epoch, load_hipparcos, parse_hip2, read_bsc5
from calibration.errors import CatalogError

ARCSEC_DEG = 1.0 / 3600.0


def _hip(catalog: StarCatalog, hip: int) -> tuple[float, float, float]:
    (k,) = np.flatnonzero(catalog.ids == hip)
    return float(catalog.ra_deg[k]), float(catalog.dec_deg[k]), float(catalog.mag_v[k])


def test_load_hipparcos_bright_stars() -> None:
    cat = load_hipparcos(6.5)
    assert 8000 < len(cat) < 10000  # about 9,000 stars to V = 6.5 over the whole sky
    assert np.all(cat.mag_v <= 6.5)
    assert np.all((cat.ra_deg >= 0) & (cat.ra_deg < 360)) and np.all(np.abs(cat.dec_deg) <= 90)
    assert len(cat.brighter_than(2.0)) < len(cat.brighter_than(4.0)) < len(cat)


def test_vega_at_j2000() -> None:
    # Vega (HIP 91262), J2000 at epoch J2000 (SIMBAD): 18h36m56.336s +38d47m01.28s; V = 0.03.
    ra, dec, mag = _hip(load_hipparcos(1.0), 91262)
    assert ra == pytest.approx((18 + 36 / 60 + 56.336 / 3600) * 15, abs=0.5 * ARCSEC_DEG)
    assert dec == pytest.approx(38 + 47 / 60 + 1.28 / 3600, abs=0.5 * ARCSEC_DEG)
    assert mag == pytest.approx(0.03, abs=0.06)


def test_proper_motion_propagated_to_j2000() -> None:
    # Barnard's star (HIP 87937) moves 10.3 arcsec/yr: 90 arcsec between J1991.25 and J2000.
    # J2000 at epoch J2000 (SIMBAD): 17h57m48.498s +04d41m36.11s.
    ra, dec, _ = _hip(load_hipparcos(10.0), 87937)
    assert ra == pytest.approx((17 + 57 / 60 + 48.498 / 3600) * 15, abs=1.0 * ARCSEC_DEG)
    assert dec == pytest.approx(4 + 41 / 60 + 36.11 / 3600, abs=1.0 * ARCSEC_DEG)


def test_hp_to_v_table() -> None:
    # Bessell (2000) table 2: V - Hp = -0.011 at BT - VT = 0, -0.155 at BT - VT = 1.0 (B - V = 0.85).
    assert hp_to_v(np.array([5.0]), np.array([0.0]))[0] == pytest.approx(4.989)
    assert hp_to_v(np.array([5.0]), np.array([0.85]))[0] == pytest.approx(4.845)


def test_parse_hip2_rejects_other_text() -> None:
    with pytest.raises(CatalogError, match="I/311"):
        parse_hip2(b"not a catalogue\n", "x.dat")


def _bsc5_bytes(records: list[tuple[float, float, float, int]]) -> bytes:
    head = struct.pack("<7i", 0, 1, -len(records), 1, 1, 1, 32)
    body = b"".join(struct.pack("<fdd2shff", n, ra, dec, b"A0", mag, 0.0, 0.0) for n, ra, dec, mag in records)
    return head + body


def test_read_bsc5_synthetic() -> None:
    data = _bsc5_bytes([(1.0, 0.5, -0.25, 612), (2.0, 0.0, 0.0, 0), (3.0, 6.0, 1.0, -146)])
    cat = read_bsc5(io.BytesIO(data))
    assert list(cat.ids) == [1, 3]  # the record without a position is skipped
    assert cat.mag_v.tolist() == [6.12, -1.46]
    assert cat.ra_deg[0] == pytest.approx(np.degrees(0.5)) and cat.dec_deg[0] == pytest.approx(
        np.degrees(-0.25)
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"\x00" * 10, "header"), (_bsc5_bytes([(1.0, 0.5, 0.5, 100)])[:40], "truncated"),
     (struct.pack("<7i", 0, 1, 5, 1, 1, 1, 32), "B1950"),
     (struct.pack("<7i", 0, 1, -5, 1, 1, 1, 28), "record size")],
)  # fmt: skip
def test_read_bsc5_errors(data: bytes, reason: str) -> None:
    with pytest.raises(CatalogError, match=reason):
        read_bsc5(io.BytesIO(data), "BSC5")


@pytest.mark.realdata
def test_hipparcos_matches_bsc5(shared_data: Path) -> None:
    # BSC5 gives RA to 0.1 s and Dec to 1 arcsec (J2000): most Hipparcos positions lie within that;
    # V from Hp agrees with BSC5's V within 0.1 mag for most stars (variables and doubles differ).
    with (shared_data / "catalogs/BSC5").open("rb") as f:
        bsc = read_bsc5(f)
    assert len(bsc) == 9096
    hip = load_hipparcos(8.0)

    def unit(c: StarCatalog) -> np.ndarray:
        ra, dec = np.radians(c.ra_deg), np.radians(c.dec_deg)
        return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1)

    uh, ub = unit(hip), unit(bsc)
    best = np.empty(len(bsc), np.intp)
    cos_sep = np.empty(len(bsc))
    for i in range(0, len(bsc), 1000):
        dots = ub[i : i + 1000] @ uh.T
        best[i : i + 1000] = np.argmax(dots, axis=1)
        cos_sep[i : i + 1000] = np.max(dots, axis=1)
    sep_arcsec = np.degrees(np.arccos(np.clip(cos_sep, -1.0, 1.0))) * 3600.0
    assert np.median(sep_arcsec) < 1.0
    assert np.mean(sep_arcsec < 3.0) > 0.95
    matched = sep_arcsec < 3.0
    dmag = hip.mag_v[best[matched]] - bsc.mag_v[matched]
    assert abs(float(np.median(dmag))) < 0.03
    assert np.mean(np.abs(dmag) < 0.1) > 0.9


# Hipparcos 2 proper motions (van Leeuwen 2007, I/311, as SIMBAD quotes them), mas/yr: mu_alpha cos delta,
# mu_delta.
_PM = {69673: (-1093.39, -2000.06), 87937: (-798.58, 10328.12)}  # Arcturus, Barnard's star


@pytest.mark.parametrize("hip", sorted(_PM))
def test_proper_motion_to_2026_moves_by_pm_times_26_years(hip: int) -> None:
    cat = load_hipparcos(10.0)
    (k,) = np.flatnonzero(cat.ids == hip)
    assert cat.pm_ra_mas_yr is not None and cat.pm_dec_mas_yr is not None
    assert (cat.pm_ra_mas_yr[k], cat.pm_dec_mas_yr[k]) == pytest.approx(_PM[hip], abs=0.01)
    later = cat.at_epoch(julian_epoch(2451545.0 + 26 * 365.25))
    assert later.epoch_yr == 2026.0
    ra0, dec0, _ = _hip(cat, hip)
    ra1, dec1, _ = _hip(later, hip)
    d_east_mas = (ra1 - ra0) * math.cos(math.radians(dec0)) * 3.6e6
    d_north_mas = (dec1 - dec0) * 3.6e6
    # Linear on the tangent plane: the great-circle curvature over 4.5 arcmin is below 0.05 arcsec.
    assert d_east_mas == pytest.approx(_PM[hip][0] * 26, abs=50.0)
    assert d_north_mas == pytest.approx(_PM[hip][1] * 26, abs=50.0)


def test_arcturus_in_2026_against_its_published_j2000_position() -> None:
    # Arcturus J2000 (SIMBAD, epoch J2000): 14h15m39.672s +19d10m56.67s; 26 years of -1093.39, -2000.06 mas/yr
    # carry it 28.4" west and 52.0" south.
    later = load_hipparcos(1.0).at_epoch(2026.0)
    ra, dec, _ = _hip(later, 69673)
    ra_j2000, dec_j2000 = (14 + 15 / 60 + 39.672 / 3600) * 15, 19 + 10 / 60 + 56.67 / 3600
    assert (ra - ra_j2000) * math.cos(math.radians(dec)) * 3600 == pytest.approx(-28.43, abs=0.3)
    assert (dec - dec_j2000) * 3600 == pytest.approx(-52.00, abs=0.3)


def test_at_epoch_is_cached_per_hundredth_of_a_year_and_kept_by_subsets() -> None:
    cat = load_hipparcos(6.0)
    a = cat.at_epoch(2026.4412)
    assert cat.at_epoch(2026.4389) is a and a.epoch_yr == 2026.44
    assert cat.at_epoch(2026.46) is not a
    assert cat.at_epoch(2000.001) is cat  # rounds to the catalogue's own epoch
    sub = cat.brighter_than(3.0)
    assert sub.pm_ra_mas_yr is not None and len(sub.pm_ra_mas_yr) == len(sub)
    moved = sub.at_epoch(2026.44)
    keep = np.isin(a.ids, sub.ids)
    assert np.array_equal(moved.ra_deg, a.ra_deg[keep]) and np.array_equal(moved.dec_deg, a.dec_deg[keep])
    back = moved.at_epoch(2000.0)  # and back, to 0.1" (the tangent-plane step is not exactly reversible)
    assert back.ra_deg == pytest.approx(sub.ra_deg, abs=3e-5) and back.dec_deg == pytest.approx(
        sub.dec_deg, abs=3e-5
    )


def test_at_epoch_near_the_pole_moves_by_the_total_proper_motion() -> None:
    # 1 arcsec/yr east at Dec 89.999: the RA changes by tens of degrees, the star by 10 arcsec.
    cat = StarCatalog(np.array([0.0]), np.array([89.999]), np.array([5.0]), np.array([1]),
                      np.array([1000.0]), np.array([0.0]))  # fmt: skip
    moved = cat.at_epoch(2010.0)
    a, b = np.radians([cat.ra_deg[0], moved.ra_deg[0]]), np.radians([cat.dec_deg[0], moved.dec_deg[0]])
    cos_sep = math.sin(b[0]) * math.sin(b[1]) + math.cos(b[0]) * math.cos(b[1]) * math.cos(a[1] - a[0])
    assert math.degrees(math.acos(min(cos_sep, 1.0))) * 3600 == pytest.approx(10.0, rel=1e-3)


def test_a_catalogue_without_proper_motions_is_its_own_epoch() -> None:
    cat = StarCatalog(np.array([1.0]), np.array([2.0]), np.array([3.0]), np.array([4]))
    assert cat.at_epoch(2030.0) is cat
    with pytest.raises(ValueError, match="both proper motions"):
        StarCatalog(np.array([1.0]), np.array([2.0]), np.array([3.0]), np.array([4]), np.array([1.0]))


def _unit(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    a, d = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)], axis=-1)


def _apparent_epoch(rows: np.ndarray, cat: StarCatalog) -> tuple[float, int]:
    """The epoch of a star list's positions: each fast star's offset from its J2000 position along its
    proper motion, in years (median over stars faster than 200 mas/yr); and how many stars."""
    from scipy.spatial import cKDTree

    assert cat.pm_ra_mas_yr is not None and cat.pm_dec_mas_yr is not None
    ra, dec = rows[:, 4], rows[:, 5]
    dist, k = cKDTree(_unit(cat.ra_deg, cat.dec_deg)).query(_unit(ra, dec))
    pm_ra, pm_dec = cat.pm_ra_mas_yr[k], cat.pm_dec_mas_yr[k]
    pm = np.hypot(pm_ra, pm_dec)
    fast = (pm > 200) & (dist < math.radians(1 / 60))
    east = ((ra - cat.ra_deg[k] + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec)) * 3.6e6
    north = (dec - cat.dec_deg[k]) * 3.6e6
    years = (east * pm_ra + north * pm_dec) / np.maximum(pm, 1.0) ** 2
    return 2000.0 + float(np.median(years[fast])), int(np.count_nonzero(fast))


@pytest.mark.realdata
def test_rms_star_lists_hold_gaia_epoch_positions_until_2024_and_the_dates_in_2025(shared_data: Path) -> None:
    # RMS's star lists carry the catalogue positions it matched. Measured: those of 2022-2024 sit at J2015.5
    # (Gaia's epoch, not moved to the date): UK005U 2015.48 (835 fast stars), UK0006's recalibrations
    # 2015.51 (660), AU000A-F 2015.49-2015.53; those of 2025 near the date: AU000G 2024.68 (date 2025.45),
    # AU000K 2025.21 (date 2025.43). The fit here matches stars at the date, as RMS now does.
    rms = shared_data / "rms"
    cat = load_hipparcos(7.0)

    def rows_of(path: Path) -> np.ndarray:
        doc = json.loads(path.read_text())
        if "star_list" in doc:
            return np.asarray(doc["star_list"], dtype=np.float64)
        return np.concatenate([np.asarray(v["star_list"]) for v in doc.values() if v.get("star_list")])

    for path in (rms / "UK005U_20240809/platepars_all_recalibrated.json",
                 rms / "UK0006_20220914/platepars_all_recalibrated.json",
                 *(rms / f"AU_perth_2022/AU000{c}/platepar_cmn2010.cal" for c in "ACDF")):  # fmt: skip
        epoch, n = _apparent_epoch(rows_of(path), cat)
        assert n >= 3 and epoch == pytest.approx(2015.5, abs=0.15), (path, epoch, n)
    # and our positions moved to J2015.5 are those of UK005U's list (Gaia's), to a fraction of an arcsec
    from scipy.spatial import cKDTree

    rows = rows_of(rms / "UK005U_20240809/platepars_all_recalibrated.json")
    assert cat.pm_ra_mas_yr is not None and cat.pm_dec_mas_yr is not None
    fast = cat.subset(np.hypot(cat.pm_ra_mas_yr, cat.pm_dec_mas_yr) > 300)
    seps = []
    for c in (fast, fast.at_epoch(2015.5)):
        dist, _ = cKDTree(_unit(c.ra_deg, c.dec_deg)).query(_unit(rows[:, 4], rows[:, 5]))
        seps.append(float(np.median(np.degrees(dist[dist < math.radians(1 / 60)]))) * 3600)
    assert seps[1] < 1.5 < 3.0 < seps[0], seps
    for c in "GK":
        rows = rows_of(rms / f"AU_perth_2022/AU000{c}/platepar_cmn2010.cal")
        epoch, n = _apparent_epoch(rows, cat)
        assert n >= 2 and epoch > 2024.5 and epoch < julian_epoch(float(np.median(rows[:, 0]))) + 0.1, (
            c,
            epoch,
        )
