"""``stationd config init|check|show`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from cli.main import cli


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
