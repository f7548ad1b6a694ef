"""``stationd import``: RMS FTPdetectinfo files into meteor records, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

pytestmark = pytest.mark.realdata


def test_import_with_a_station_given_on_the_command_line(shared_data: Path, tmp_path: Path) -> None:
    (path,) = (shared_data / "correlator" / "UK_20260712" / "UK008F").glob("FTPdetectinfo_*.txt")
    args = ["import", str(path), "--station", "UK008F", "--lat", "53.53776", "--lon", "-0.38287"]
    result = CliRunner().invoke(cli, [*args, "--elevation", "34", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["meteor_ids"]) == 30 and report["days"] == ["2026-07-12", "2026-07-13"]
    assert len(list(tmp_path.glob("days/*/UK008F/meteors/*/meteor.json"))) == 30


def test_import_without_a_station_is_a_usage_error(shared_data: Path, tmp_path: Path) -> None:
    (path,) = (shared_data / "correlator" / "UK_20260712" / "UK008F").glob("FTPdetectinfo_*.txt")
    result = CliRunner().invoke(cli, ["import", str(path), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--station-config" in result.output
