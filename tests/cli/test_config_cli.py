"""``stationd config init|check|show`` through click's CliRunner."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from stationd import Station, load_config

REPO = Path(__file__).resolve().parents[2]


def test_init_prints_a_config_that_check_accepts(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["config", "init", "--data-dir", str(tmp_path), "--station", "UK0006", "--camera", "north",
            "--lat", "51.88", "--lon", "-1.31", "--elevation", "80"]  # fmt: skip
    printed = runner.invoke(cli, args)
    assert printed.exit_code == 0, printed.output
    raw = yaml.safe_load(printed.output)
    assert raw["cameras"][0]["incoming_sd"] == str(tmp_path / "incoming" / "north")

    out = tmp_path / "stationd.yaml"
    written = runner.invoke(cli, [*args, "-o", str(out)])
    assert written.exit_code == 0 and out.is_file()
    again = runner.invoke(cli, [*args, "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.output

    checked = runner.invoke(cli, ["config", "check", "--config", str(out)])
    assert checked.exit_code == 0, checked.output
    shown = runner.invoke(cli, ["config", "show", "--config", str(out), "--json"])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["station"]["id"] == "UK0006"


def test_check_names_the_bad_key_and_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "stationd.yaml"
    runner.invoke(cli, ["config", "init", "--data-dir", str(tmp_path), "-o", str(out)])
    text = out.read_text().replace("fps: 25", "fps: fast")
    out.write_text(text)
    result = runner.invoke(cli, ["config", "check", "--config", str(out)])
    assert result.exit_code == 2
    assert "cameras[0].fps" in result.output and "'fast'" in result.output


def test_init_rejects_impossible_coordinates(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "init", "--data-dir", str(tmp_path), "--lat", "123"])
    assert result.exit_code == 2
    assert "station.latitude_deg" in result.output


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "readable file" in result.output


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "3  another stationd instance" in result.output


# -- issue 10 ------------------------------------------------------------------------------------------

REAL = ["--station", "GB0001", "--lat", "51.88", "--lon", "-1.31"]


def _init(tmp_path: Path, data_dir: Path, *args: str) -> Path:
    out = tmp_path / "stationd.yaml"
    result = CliRunner().invoke(cli, ["config", "init", "--data-dir", str(data_dir), *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_numeric_camera_id_round_trips_and_an_unquoted_one_is_refused(tmp_path: Path) -> None:
    """Issue 10 (1): ``config init --camera 010001`` wrote ``id: 010001``, which loaded as camera 4097."""
    out = _init(tmp_path, tmp_path, *REAL, "--camera", "010001")
    runner = CliRunner()
    assert runner.invoke(cli, ["config", "check", "--config", str(out)]).exit_code == 0
    shown = runner.invoke(cli, ["config", "show", "--config", str(out), "--json"])
    assert json.loads(shown.stdout)["cameras"][0]["id"] == "010001"

    out.write_text(out.read_text().replace('id: "010001"', "id: 010001"))  # as an operator might type it
    checked = runner.invoke(cli, ["config", "check", "--config", str(out)])
    assert checked.exit_code == 2
    assert "cameras[0].id: got 4097" in checked.output and "quotes" in checked.output


def test_check_warns_of_each_placeholder_and_run_refuses_them(tmp_path: Path) -> None:
    """Issue 10 (13): station id XX0001 and latitude/longitude 0 passed config check without a word."""
    out = _init(tmp_path, tmp_path)  # config init's defaults
    checked = CliRunner().invoke(cli, ["config", "check", "--config", str(out)])
    assert checked.exit_code == 0
    for key in (
        "station.id: got 'XX0001'",
        "station.latitude_deg: got 0.0",
        "station.longitude_deg: got 0.0",
    ):
        assert f"warning: {key}" in checked.output
    real = _init(tmp_path / "real", tmp_path, *REAL)
    assert "warning" not in CliRunner().invoke(cli, ["config", "check", "--config", str(real)]).output

    # ``stationd run`` refuses to start (a subprocess: before the fix it would have run until killed).
    cmd = [sys.executable, "-m", "cli.main", "run", "--config", str(out)]
    ran = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 2, ran.stderr
    assert "Traceback" not in ran.stderr
    for key in ("station.id", "station.latitude_deg", "station.longitude_deg"):
        assert key in ran.stderr
    assert not (tmp_path / "state.sqlite3").exists() and not (tmp_path / "stationd.lock").exists()


def test_check_refuses_a_data_dir_that_cannot_be_made(tmp_path: Path) -> None:
    """Issue 10 (5): config check accepted a data_dir under a file; run, reprocess and export then
    printed a traceback (exit 1)."""
    (tmp_path / "notes.txt").write_text("x")
    bad = tmp_path / "notes.txt" / "data"
    out = _init(tmp_path, bad, *REAL)
    runner = CliRunner()
    checked = runner.invoke(cli, ["config", "check", "--config", str(out)])
    assert checked.exit_code == 2
    assert "station.data_dir" in checked.output and str(bad) in checked.output.replace("\n", "")
    for args in (
        ["reprocess", "2026-08-12"],
        ["export", "2026-08-12"],
        ["status"],
        ["meteors", "2026-08-12"],
    ):
        result = runner.invoke(cli, [*args, "--config", str(out)])
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit)  # an error message, not a traceback
        assert "station.data_dir" in result.output, args
    cmd = [sys.executable, "-m", "cli.main", "run", "--config", str(out)]
    ran = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr and "station.data_dir" in ran.stderr


def test_read_only_commands_never_create_a_station(tmp_path: Path) -> None:
    """Issue 10 (5): status on a mistyped data_dir created .../state.sqlite3 and showed an empty table;
    meteors showed an empty table with exit 0."""
    typo = tmp_path / "stationd-dta"
    out = _init(tmp_path, typo, *REAL)
    runner = CliRunner()
    for args in (["status"], ["status", "2026-08-12"], ["meteors", "2026-08-12"], ["export", "2026-08-12"]):
        result = runner.invoke(cli, [*args, "--config", str(out)])
        assert result.exit_code == 2, (args, result.output)
        assert "station.data_dir" in result.output and str(typo) in result.output.replace("\n", "")
        assert not typo.exists(), args
    typo.mkdir()  # a folder, but no station in it
    result = runner.invoke(cli, ["status", "--config", str(out)])
    assert result.exit_code == 2 and "no state.sqlite3" in result.output
    assert list(typo.iterdir()) == []


def test_status_reads_a_station_without_writing_to_it(tmp_path: Path) -> None:
    out = _init(tmp_path, tmp_path / "data", *REAL)
    with Station(load_config(out)) as station:  # a station as the daemon leaves it
        station.store.register_minute("cam1", datetime(2026, 8, 12, 22, tzinfo=UTC), "m.mp4", tmp_path / "m")
    with Station(load_config(out), read_only=True) as station:
        assert station.status()["days"][0]["day"] == "2026-08-12"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            station.store.register_minute("cam1", datetime(2026, 8, 13, tzinfo=UTC), "n.mp4", tmp_path / "n")
    result = CliRunner().invoke(cli, ["status", "--config", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert [d["day"] for d in json.loads(result.stdout)["days"]] == ["2026-08-12"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def test_operator_facing_text_names_no_design_document(tmp_path: Path) -> None:
    """Issue 10 (11): run --help and the generated configuration referred to "DESIGN 3" and "DESIGN 5"."""
    runner = CliRunner()
    for path in [(), *_commands(cli)]:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and "DESIGN" not in result.output, path
    init = runner.invoke(cli, ["config", "init", "--data-dir", str(tmp_path)])
    assert init.exit_code == 0 and "DESIGN" not in init.output
