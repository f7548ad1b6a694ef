"""``stationd retry`` and the operator's side of ``stationd reprocess`` (issue 10: defects 2, 3, 7, 10).

Minutes are quarantined for a real reason (a resolution other than configured), then retried after the
configuration is fixed, as an operator would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from cli.main import cli
from tests.stationd.station_fixtures import DAY, SmallStation, make_station

REPO = Path(__file__).resolve().parents[2]


def _invoke(station: SmallStation, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--config", str(station.config_path)])


def _status(station: SmallStation) -> dict[str, dict]:
    result = _invoke(station, "status", DAY, "--json")
    assert result.exit_code == 0, result.output
    return {m["file"]: m["stages"] for m in json.loads(result.stdout)["minutes"]}


def _set_resolution(station: SmallStation, width: int, height: int) -> None:
    raw = yaml.safe_load(station.config_path.read_text())
    raw["cameras"][0].update(width_px=width, height_px=height)
    station.config_path.write_text(yaml.safe_dump(raw))


def _quarantined_station(tmp_path: Path, n: int = 1) -> tuple[SmallStation, list[str]]:
    """Minutes of 160x90 on a camera configured 320x180: reprocess quarantines them."""
    station = make_station(tmp_path, 0)
    names = [station.write_minute(i, size=(160, 90)).name for i in range(n)]
    first = _invoke(station, "reprocess", DAY)
    assert first.exit_code == 1, first.output
    assert {p.name for p in (station.data_dir / "quarantine").iterdir()} == {
        *names,
        *(n + ".reason" for n in names),
    }
    return station, names


def test_reprocess_prints_each_quarantine_once(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    name = station.write_minute(0, size=(160, 90)).name
    # A process of its own, as an operator runs it: no test harness catching the log records.
    cmd = [sys.executable, "-m", "cli.main", "reprocess", DAY, "--config", str(station.config_path)]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 1, result.stderr
    reason = (station.data_dir / "quarantine" / (name + ".reason")).read_text()
    why = "".join(reason.split("reason: ", 1)[1].splitlines()[0].split())
    printed = "".join(result.stderr.split())  # (whatever the line wrapping)
    assert printed.count(why) == 1, result.stderr  # the command's line, not also the log record's
    assert f"quarantinedscan{name}" in printed


def test_retry_file_puts_it_back_and_processes_it_once_the_cause_is_fixed(tmp_path: Path) -> None:
    station, (name,) = _quarantined_station(tmp_path)
    quarantine = station.data_dir / "quarantine"

    again = _invoke(station, "reprocess", DAY)  # what an operator tried first: nothing happens
    assert again.exit_code == 0 and _status(station)[name]["scan"]["status"] == "quarantined"

    _set_resolution(station, 160, 90)
    result = _invoke(station, "retry", str(quarantine / name))
    assert result.exit_code == 0, result.output
    assert "moved" in result.stderr and name in result.stderr
    assert not list(quarantine.iterdir()), "the file and its .reason left quarantine/"
    stages = _status(station)[name]
    assert stages["scan"]["status"] == "done" and stages["candidates"]["status"] == "done"
    assert (station.data_dir / "days" / DAY / "cam1" / "video" / name).exists()


def test_retry_day_takes_every_quarantined_minute_and_exits_1_when_one_fails_again(tmp_path: Path) -> None:
    station, names = _quarantined_station(tmp_path, n=2)
    quarantine = station.data_dir / "quarantine"

    unfixed = _invoke(station, "retry", DAY.replace("-", "_"), "--json")  # the cause is still there
    assert unfixed.exit_code == 1, unfixed.output
    report = json.loads(unfixed.stdout)
    assert sorted(report["minutes"]) == sorted(names) and report["outcomes"]["quarantined"] == 2
    assert {p.name for p in quarantine.iterdir()} == {*names, *(n + ".reason" for n in names)}

    _set_resolution(station, 160, 90)
    fixed = _invoke(station, "retry", DAY, "--json")
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["outcomes"]["quarantined"] == 0
    assert not list(quarantine.iterdir())
    assert {s["scan"]["status"] for s in _status(station).values()} == {"done"}

    nothing = _invoke(station, "retry", DAY)
    assert nothing.exit_code == 0 and "nothing to retry" in nothing.stderr


def test_retry_of_a_file_that_is_not_quarantined_is_a_usage_error(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    unknown = _invoke(station, "retry", "2026_08_12_22_00_00_000_cam1.mp4")
    assert unknown.exit_code == 2 and "not a minute this station knows" in unknown.stderr


def test_a_file_put_back_into_incoming_by_hand_is_taken_as_new(tmp_path: Path) -> None:
    station, (name,) = _quarantined_station(tmp_path)
    quarantine = station.data_dir / "quarantine"
    _set_resolution(station, 160, 90)
    (quarantine / name).rename(station.incoming / name)  # what the operator did
    result = _invoke(station, "reprocess", DAY, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["requeued"] == 1 and summary["outcomes"]["quarantined"] == 0
    assert _status(station)[name]["candidates"]["status"] == "done"
    assert not (station.incoming / name).exists()


def test_reprocess_waits_for_files_just_copied_in(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1)
    path = station.incoming / station.names[0]
    os.utime(path)  # just copied in: younger than --settle
    result = _invoke(station, "reprocess", DAY, "--settle", "1", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (
        summary["unsettled"] == [] and summary["outcomes"]["done"] == 4
    )  # scan, candidates, verify, calibrate
    assert not path.exists()


def test_reprocess_says_which_files_it_skipped_unsettled_and_exits_1(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1)
    path = station.incoming / station.names[0]
    os.utime(path)
    result = _invoke(station, "reprocess", DAY, "--settle", "3600", "--wait", "0")
    assert result.exit_code == 1, result.output
    assert "skipped 1 file still being written" in result.stderr and str(path) in result.stderr
    assert path.exists()


def test_reprocess_of_a_day_without_data_says_where_it_looked(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    result = _invoke(station, "reprocess", "2026-08-01")
    assert result.exit_code == 0, result.output
    assert "no minute of 2026-08-01" in result.stderr
    assert str(station.incoming) in result.stderr.replace("\n", "")


def test_meteors_of_an_unknown_camera_is_a_usage_error_naming_the_cameras(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    result = _invoke(station, "meteors", DAY, "--camera", "nosuch")
    assert result.exit_code == 2, result.output
    assert "unknown camera 'nosuch'" in result.stderr and "cam1" in result.stderr


def test_export_of_a_day_without_data_leaves_nothing_behind(tmp_path: Path) -> None:
    station = make_station(tmp_path, 0)
    result = _invoke(station, "export", DAY)
    assert result.exit_code == 0, result.output
    assert "nothing exported" in result.stdout
    assert not (station.data_dir / "exports").exists()


def test_a_second_bad_file_of_a_quarantined_minute_does_not_replace_the_first(tmp_path: Path) -> None:
    """Quarantine is never deleted silently: a new file with a quarantined minute's name that is bad too
    is quarantined beside the first (``<stem>.2<suffix>``), each with its reason; retry takes the newest."""
    station, (name,) = _quarantined_station(tmp_path)
    first = (station.data_dir / "quarantine" / name).read_bytes()
    again = station.write_minute(0, size=(160, 90))  # the camera sends it again, still at the wrong size
    assert again.name == name
    os.utime(again, (again.stat().st_atime - 60, again.stat().st_mtime - 60))
    second = _invoke(station, "reprocess", DAY)
    assert second.exit_code == 1, second.output
    quarantine = station.data_dir / "quarantine"
    stem, suffix = name.rsplit(".", 1)
    kept = {p.name for p in quarantine.iterdir()}
    assert kept == {name, name + ".reason", f"{stem}.2.{suffix}", f"{stem}.2.{suffix}.reason"}
    assert (quarantine / name).read_bytes() == first
    _set_resolution(station, 160, 90)
    retried = _invoke(station, "retry", name)
    assert retried.exit_code == 0, retried.output
    assert _status(station)[name]["scan"]["status"] == "done"


def test_reprocess_of_a_night_being_recorded_waits_only_for_the_files_it_found_young(tmp_path: Path) -> None:
    """A camera recording now writes a new minute file while reprocess waits: that one is left to the
    daemon (named, exit 0), or reprocess of the current night would wait its whole --wait and fail."""
    from stationd import Station, load_config

    station = make_station(tmp_path, 1)
    young = station.incoming / station.names[0]
    os.utime(young)
    recorded: list[Path] = []

    def camera_records(waiting: list[Path], settles_in_s: float, left_s: float) -> None:
        if not recorded:  # the next minute starts being written during the wait ...
            recorded.append(station.write_minute(1))
        os.utime(recorded[0])  # ... and is still being written at every look

    with Station(load_config(station.config_path)) as st:
        report = st.reprocess(DAY, settle_s=1.0, wait_s=30.0, on_wait=camera_records)
    assert recorded and report.recording == recorded and report.unsettled == []
    assert report.ok and report.count("done") == 4 and not young.exists()
