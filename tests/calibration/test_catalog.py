"""calibration.catalog: Hipparcos 2 at J2000 with V magnitudes, BSC5 reader, and their cross-match."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

from calibration.catalog import StarCatalog, hp_to_v, load_hipparcos, parse_hip2, read_bsc5
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
