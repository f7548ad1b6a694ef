"""``stationd solve``: meteor records and event files in, a table or stationd.solution/1 JSON out."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.trajectory.synthetic import UK_STATIONS, synthetic_event
from tests.trajectory.test_readers import meteor_record
from trajectory import (
    MonteCarlo,
    MonteCarloSettings,
    RaDecOfDate,
    TrajectorySolution,
    TrajectorySolver,
    numeric_fields,
    solution_schema,
    solution_to_json,
)


def _records(tmp_path: Path) -> list[Path]:
    tracks, _ = synthetic_event(noise_arcsec=20.0, clock_errors_s=(0.0, 0.04, -0.02), seed=4)
    paths = []
    for k, track in enumerate(tracks):
        path = tmp_path / f"station{k}" / "meteor.json"
        path.parent.mkdir()
        path.write_text(json.dumps(meteor_record(track, meteor_id=f"m{k}")))
        paths.append(path)
    return paths


def test_meteor_records_solve_to_json_that_the_schema_accepts(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["solve", *map(str, _records(tmp_path)), "--mc", "3", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, solution_schema())
    assert doc["schema"] == "stationd.solution/1"
    assert [o["label"] for o in doc["observations"]] == ["UK0006/m0", "UK0045/m1", "UK008T/m2"]
    assert doc["monte_carlo"]["n_runs"] == 3 and doc["monte_carlo"]["sigmas"]["v_init_m_s"] > 0
    assert 29_000 < doc["trajectory"]["v_init_m_s"] < 31_000
    assert doc["observations"][1]["time_offset_s"] == pytest.approx(-0.04, abs=0.01)
    assert len(doc["observations"][0]["points"]) == doc["observations"][0]["n_points"]


def test_the_table_names_the_radiant_velocities_and_tracks(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["solve", *map(str, _records(tmp_path))])
    assert result.exit_code == 0, result.output
    for words in ("apparent radiant", "v_init (km/s)", "begin", "UK0045/m1", "max convergence"):
        assert words in result.output


def test_one_station_exits_1_with_the_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["solve", str(_records(tmp_path)[0])])
    assert result.exit_code == 1
    assert "error:" in result.output and "two stations" in result.output


def test_an_unreadable_file_exits_1_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = CliRunner().invoke(cli, ["solve", str(bad), str(bad)])
    assert result.exit_code == 1 and "bad.json" in result.output


def test_one_monte_carlo_run_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["solve", *map(str, _records(tmp_path)), "--mc", "1"])
    assert result.exit_code == 2


def test_the_json_of_a_solution_with_an_orbit_and_a_rejected_track_is_valid() -> None:
    tracks, _ = synthetic_event(UK_STATIONS, noise_arcsec=20.0, seed=7)
    bad = tracks[3]
    ra, dec = bad.directions.radec_of_date_deg(bad.station, bad.t_utc)
    tracks[3] = dataclasses.replace(bad, directions=RaDecOfDate(ra, dec + 1.0))
    solution = TrajectorySolver()(tracks)
    assert solution.rejected_tracks == (tracks[3].label,)

    @dataclasses.dataclass(frozen=True)
    class Orbit:  # the shape of trajectory.orbit.Orbit: a time, floats, None for an unbound orbit's period
        t_utc: datetime
        a_au: float
        e: float
        period_yr: float | None

    def orbit_of(s: TrajectorySolution) -> Orbit:
        return Orbit(s.t_ref_datetime(), s.v_init_m_s / 1e4, 0.44, None)

    mc = MonteCarlo(MonteCarloSettings(n_runs=3), orbit=lambda s: numeric_fields(orbit_of(s)))(
        tracks, solution
    )
    assert mc.sigmas["a_au"] == pytest.approx(mc.sigmas["v_init_m_s"] / 1e4)
    doc = solution_to_json(solution.with_orbit(orbit_of(solution)), tracks, monte_carlo=mc, event_id="e1")
    jsonschema.validate(doc, solution_schema())
    a_au = pytest.approx(solution.v_init_m_s / 1e4)
    assert doc["orbit"] == {
        "t_utc": doc["trajectory"]["t_ref_utc"],
        "a_au": a_au,
        "e": 0.44,
        "period_yr": None,
    }
    rejected = doc["observations"][3]
    assert rejected["rejected"] and rejected["reason"] and not any(p["used"] for p in rejected["points"])
    json.dumps(doc, allow_nan=False)


@pytest.mark.realdata
def test_the_dfn_event_files_solve_from_the_command_line(shared_data: Path) -> None:
    files = sorted((shared_data / "trajectories/DFN_DN141125_01/inputs").glob("*.ecsv"))
    result = CliRunner().invoke(cli, ["solve", *map(str, files), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, solution_schema())
    assert len(doc["observations"]) == 3
