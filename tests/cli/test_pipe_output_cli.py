"""Output that is not a terminal (a pipe, a file; click's CliRunner is one) is never wrapped or cut.

`stationd export DAY | cat` wrapped paths at 80 columns and tables ended cells in "..." (issue 10, defect 9);
`status DAY` ended with a Python dict (defect 10).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.stationd.station_fixtures import DAY, SmallStation, make_station, minute_name


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> SmallStation:
    """A station one minute of which holds a meteor, processed, under a path far longer than 80 columns."""
    deep = tmp_path_factory.mktemp("pipe") / ("a-rather-long-folder-name-for-the-station-" * 3).rstrip("-")
    deep.mkdir()
    small = make_station(deep, 1)
    result = CliRunner().invoke(cli, ["reprocess", DAY, "--config", str(small.config_path)])
    assert result.exit_code == 0, result.output
    return small


def test_export_prints_each_long_path_whole_on_one_line(station: SmallStation) -> None:
    result = CliRunner().invoke(cli, ["export", DAY, "--config", str(station.config_path)])
    assert result.exit_code == 0, result.output
    written = sorted((station.data_dir / "exports" / DAY).rglob("FTPdetectinfo_*.txt"))
    assert written and all(len(str(p)) > 120 for p in written)
    assert sorted(result.stdout.splitlines()) == sorted(f"wrote {p}" for p in written)


def test_status_of_a_day_is_a_table_of_whole_cells_and_a_sentence(station: SmallStation) -> None:
    result = CliRunner().invoke(cli, ["status", DAY, "--config", str(station.config_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "start (UTC)" in line)
    assert [cell.strip() for cell in re.split("[┃│]", header) if cell.strip()] == [
        "start (UTC)", "camera", "file", "scan", "candidates", "verify", "result"
    ]  # fmt: skip
    assert any(station.names[0] in line and "done" in line for line in lines)
    assert "…" not in result.stdout
    assert (
        lines[-1] == "candidates: 1 minute with candidates (1 event), 0 none, 0 too-many; verified meteors: 1"
    )


def test_status_of_a_day_counts_minutes_not_searched(tmp_path: Path) -> None:
    small = make_station(tmp_path, 1)
    (small.incoming / minute_name(1)).write_bytes(b"not a video" * 100)  # quarantined by the scan
    old = (small.incoming / small.names[0]).stat().st_mtime
    os.utime(small.incoming / minute_name(1), (old, old))
    runner = CliRunner()
    processed = runner.invoke(cli, ["reprocess", DAY, "--config", str(small.config_path)])
    assert processed.exit_code == 1, processed.output
    result = runner.invoke(cli, ["status", DAY, "--config", str(small.config_path)])
    assert result.stdout.splitlines()[-1] == (
        "candidates: 1 minute with candidates (1 event), 0 none, 0 too-many, 1 not searched; "
        "verified meteors: 1"
    )


def test_meteors_table_keeps_every_cell_whole(station: SmallStation) -> None:
    records = json.loads(
        CliRunner().invoke(cli, ["meteors", DAY, "--config", str(station.config_path), "--json"]).stdout
    )
    assert len(records) == 1
    result = CliRunner().invoke(cli, ["meteors", DAY, "--config", str(station.config_path)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if records[0]["meteor_id"] in line)
    assert records[0]["products"]["clip"] in row and "…" not in result.stdout


def test_on_a_narrow_terminal_table_cells_fold_rather_than_end_in_an_ellipsis() -> None:
    from cli.options import _Console, make_table

    long_path = "/var/lib/stationd/days/2026-08-12/cam1/meteors/XX0001_cam1_20260812_220002_120/clip.mp4"
    grid = make_table("file", "result", title="t")
    grid.add_row(long_path, "candidates")
    terminal = _Console(file=io.StringIO(), force_terminal=True, width=40, color_system=None)
    terminal.print(grid)
    lines = terminal.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert "…" not in "".join(lines) and max(len(line) for line in lines) <= 40
    rows = [line.split("│") for line in lines if line.count("│") == 3]
    assert "".join(row[1].strip() for row in rows) == long_path and rows[0][2].strip() == "candidates"
