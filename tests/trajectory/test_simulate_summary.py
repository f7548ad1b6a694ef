"""The GMN trajectory summary reader and the station sites reader."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trajectory.simulate import GmnSummaryError, read_gmn_summary, read_station_sites

_SUMMARY = "trajectories/traj_summary_20220304_solrange_344.0-345.0.txt"


@pytest.mark.realdata
def test_reads_every_row_of_the_gmn_file(shared_data: Path) -> None:
    rows = read_gmn_summary(shared_data / _SUMMARY)
    assert len(rows) == 534  # data/README: 534 trajectories
    first = rows[0]
    # The file's first row, column by column where a mix-up would show.
    assert first.trajectory_id == "20220304220741_yrPTs"
    assert first.begin_jd == pytest.approx(2459643.422013203148)
    assert first.begin_utc == datetime(2022, 3, 4, 22, 7, 41, 940752, tzinfo=UTC)
    assert (first.iau_no, first.iau_code) == (-1, "...")
    assert first.ra_geo_deg == pytest.approx(135.32643) and first.ra_geo_sigma_deg == pytest.approx(5.6718)
    assert first.v_geo_km_s == pytest.approx(8.04725)
    assert first.a_au == pytest.approx(1.445509) and first.e == pytest.approx(0.316075)
    assert first.tisserand_jupiter == pytest.approx(4.578983)
    assert first.v_init_km_s == pytest.approx(13.73850) and first.v_avg_km_s == pytest.approx(13.16783)
    assert (first.begin_lat_deg, first.begin_lon_deg, first.begin_ht_km) == pytest.approx(
        (50.393073, -3.008825, 72.3119)
    )
    assert first.end_ht_km == pytest.approx(63.9963) and first.end_ht_sigma_km == pytest.approx(0.03)
    assert first.duration_s == pytest.approx(0.71) and first.convergence_deg == pytest.approx(63.81)
    assert first.mass_kg == pytest.approx(3.80e-04) and first.median_fit_error_arcsec == pytest.approx(53.74)
    assert (first.begin_in_fov, first.end_in_fov, first.n_stations) == (True, True, 3)
    assert first.stations == ("UK000H", "UK003C", "UK003E")
    assert all(row.n_stations == len(row.stations) >= 2 for row in rows)


def _row(**fields: str) -> str:
    """A valid synthetic row: every number 1, two stations; ``fields`` replace columns by index (``c83``)."""
    columns = ["id", "2459643.5", "2022-03-04 22:07:41.940752", "-1", "..."] + ["1"] * 77
    columns += ["True", "False", "2", "A1,B2"]
    for key, value in fields.items():
        columns[int(key[1:])] = value
    return ";".join(columns)


def test_reads_a_file_object_and_skips_comments() -> None:
    (parsed,) = read_gmn_summary(io.StringIO("# header\n\n" + _row() + "\n"))
    assert parsed.stations == ("A1", "B2") and parsed.end_in_fov is False and parsed.v_init_km_s == 1.0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("a;b;c", "3 fields; expected 86"),
        (_row(c83="maybe"), "column end_in_fov='maybe': expected True or False"),
        (_row(c3="-1.5"), "column iau_no='-1.5'"),
        (_row(c84="3"), "n_stations=3 but 2 stations"),
    ],
)
def test_bad_rows_name_their_line_and_column(line: str, problem: str) -> None:
    with pytest.raises(GmnSummaryError, match=problem) as caught:
        read_gmn_summary(io.StringIO("# comment\n" + line + "\n"))
    assert caught.value.line_number == 2


@pytest.mark.realdata
def test_reads_the_correlator_stations(shared_data: Path) -> None:
    sites = read_station_sites(shared_data / "correlator" / "UK_20260712" / "stations.json")
    assert [s.station_id for s in sites] == ["UK009M", "UK00A4", "UK008F", "UK002F"]
    assert (sites[3].lat_deg, sites[3].lon_deg, sites[3].elevation_m) == (51.8831, -1.30616, 80.0)
