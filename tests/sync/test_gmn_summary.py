"""Solutions as rows of the GMN trajectory summary, read back by the parser of the published file."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sync.gmn_summary import GMN_HEADER, summary_row, summary_text
from trajectory import read_gmn_summary


def _solution(mc: bool = True, orbit: bool = True) -> dict[str, Any]:
    point = {"t_utc": "2026-07-12T22:15:06.120000Z", "lat_deg": 51.5, "lon_deg": 0.5, "height_m": 98_765.4}
    return {
        "schema": "stationd.solution/1", "event_id": "20260712_221506_b1c077", "revision": "0123456789ab",
        "observations": [
            {"station_id": "UK009M", "rejected": False, "rms_arcsec": 40.0},
            {"station_id": "UK00A4", "rejected": False, "rms_arcsec": 60.0},
            {"station_id": "UK008F", "rejected": True, "rms_arcsec": 900.0},
        ],
        "trajectory": {
            "radiant_apparent": {"ra_of_date_deg": 300.5, "dec_of_date_deg": -5.25, "az_deg": 120.0,
                                 "alt_deg": 35.0},
            "v_init_m_s": 41_234.5, "v_avg_m_s": 40_100.0, "max_convergence_deg": 63.8,
            "begin": point, "end": {**point, "t_utc": "2026-07-12T22:15:06.870000Z", "height_m": 81_000.0},
        },
        "monte_carlo": {"n_runs": 20, "n_failed": 0, "seed": 1,
                        "sigmas": {"v_init_m_s": 120.0, "begin_height_m": 300.0, "ra_geo_deg": 0.2}}
        if mc else None,
        "orbit": {"ra_geo_deg": 301.0, "dec_geo_deg": -6.0, "lambda_geo_deg": 305.0, "beta_geo_deg": 13.0,
                  "v_geo_m_s": 39_500.0, "lambda_helio_deg": 250.0, "beta_helio_deg": 20.0,
                  "v_helio_m_s": 38_000.0, "a_au": 2.5, "e": 0.6, "i_deg": 11.85, "q_au": 1.0,
                  "aphelion_au": 4.0, "node_deg": 344.0, "arg_perihelion_deg": 189.2,
                  "true_anomaly_deg": 10.0, "period_yr": 3.95, "tisserand_jupiter": 3.1,
                  "sun_longitude_deg": 110.1} if orbit else None,
    }  # fmt: skip


def test_rows_read_back_with_the_published_files_parser() -> None:
    bare = {**_solution(mc=False, orbit=False), "event_id": "20260712_221506_ffffff"}
    text = summary_text([bare, _solution()], datetime(2026, 7, 13, tzinfo=UTC))
    rows = {r.trajectory_id: r for r in read_gmn_summary(io.StringIO(text))}
    assert len(rows) == 2
    row = rows["20260712_221506_b1c077"]
    assert row.trajectory_id == "20260712_221506_b1c077"
    assert row.begin_utc == datetime(2026, 7, 12, 22, 15, 6, 120000, tzinfo=UTC)
    assert row.begin_jd == pytest.approx(2461234.4271541666, abs=1e-8)
    assert (row.iau_no, row.iau_code) == (-1, "...")
    assert row.v_init_km_s == pytest.approx(41.2345) and row.v_init_sigma_km_s == pytest.approx(0.12)
    assert row.begin_ht_km == pytest.approx(98.7654) and row.begin_ht_sigma_km == pytest.approx(0.3)
    assert row.end_ht_km == pytest.approx(81.0) and row.duration_s == pytest.approx(0.75)
    assert row.v_geo_km_s == pytest.approx(39.5) and row.ra_geo_sigma_deg == pytest.approx(0.2)
    assert row.perihelion_longitude_deg == pytest.approx((344.0 + 189.2) % 360, abs=1e-6)
    assert row.perihelion_latitude_deg == pytest.approx(
        math.degrees(math.asin(math.sin(math.radians(189.2)) * math.sin(math.radians(11.85)))), abs=1e-6
    )
    assert row.mean_motion_deg_day == pytest.approx(0.9856076686 / 2.5**1.5, abs=1e-6)  # 6 decimals
    assert row.stations == ("UK009M", "UK00A4") and row.n_stations == 2  # the rejected track is not counted
    assert row.median_fit_error_arcsec == pytest.approx(50.0) and row.convergence_deg == pytest.approx(63.8)
    assert math.isnan(row.peak_abs_mag) and math.isnan(row.mass_kg) and math.isnan(row.azimuth_sigma_deg)
    assert (row.begin_in_fov, row.end_in_fov) == (False, False)
    other = rows["20260712_221506_ffffff"]
    assert math.isnan(other.a_au) and math.isnan(other.v_init_sigma_km_s) and math.isnan(other.sol_lon_deg)
    assert other.v_init_km_s == pytest.approx(41.2345)


def test_each_row_has_the_columns_of_the_published_file() -> None:
    row = summary_row(_solution())
    assert row.count(";") == 85
    ruler = GMN_HEADER.splitlines()[2].split(";")
    # our event ids (22 characters) are wider than the GMN ids (20): the column grows, the parser strips it
    assert [len(c) for c in row.split(";")][1:] == [len(c) for c in ruler][1:]


@pytest.mark.realdata
def test_our_header_names_the_columns_of_the_published_file(shared_data: Path) -> None:
    path = shared_data / "trajectories" / "traj_summary_20220304_solrange_344.0-345.0.txt"
    with path.open(newline="") as f:
        published = f.read()
    lines = published.replace("\r", "").split("\n")  # its lines end with "\n\r"
    assert GMN_HEADER.splitlines() == lines[1:4]
