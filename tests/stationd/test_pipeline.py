"""scan and detect on a small real station: reruns, crashes and bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from stationd.config import load_config
from stationd.disk.atomic import TMP_PREFIX
from stationd.station import Station
from tests.stationd.station_fixtures import DAY, SmallStation, make_station, minute_name

REPO = Path(__file__).resolve().parents[2]


def _status(station: SmallStation) -> dict:
    result = CliRunner().invoke(cli, ["status", DAY, "--json", "--config", str(station.config_path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _products(station: SmallStation) -> dict[str, bytes]:
    """Every file under days/ with its content (what a rerun must reproduce exactly)."""
    root = station.data_dir / "days"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _reprocess(station: SmallStation, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "cli.main", "reprocess", DAY, "--config", str(station.config_path), *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_reprocess_twice_gives_identical_results_without_duplicates(tmp_path: Path) -> None:
    station = make_station(tmp_path, 3)
    runner = CliRunner()
    first = runner.invoke(cli, ["reprocess", DAY, "--config", str(station.config_path), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["outcomes"]["done"] == 12  # scan, candidates, verify, calibrate of 3
    status1 = _status(station)
    products1 = _products(station)
    assert sorted(m["file"] for m in status1["minutes"]) == station.names
    assert not any(station.incoming.iterdir()), "originals move into the day's video folder"
    for m in status1["minutes"]:
        assert m["stages"]["scan"]["status"] == "done" and m["stages"]["candidates"]["status"] == "done"
        truth = next(o for o in station.truth[m["file"]]["objects"] if o["kind"] == "meteor")
        assert m["candidates"]["status"] == "candidates"
        spans = [(c["frame_start"], c["frame_end"]) for c in m["candidates"]["candidates"]]
        assert any(a <= truth["first_frame"] and truth["last_frame"] <= b for a, b in spans), spans
        for c in m["candidates"]["candidates"]:
            assert c["start_utc"].endswith("Z") and c["start_utc"] < c["end_utc"]
        assert m["stages"]["verify"]["status"] == "done"
        assert len(m["verify"]["meteors"]) == 1, m["verify"]
    meteors = runner.invoke(cli, ["meteors", DAY, "--config", str(station.config_path), "--json"])
    assert meteors.exit_code == 0, meteors.output
    records = json.loads(meteors.stdout)
    assert sorted(r["meteor_id"] for r in records) == sorted(
        i for m in status1["minutes"] for i in m["verify"]["meteors"]
    )

    second = runner.invoke(cli, ["reprocess", DAY, "--config", str(station.config_path), "--json"])
    assert second.exit_code == 0, second.output
    status2 = _status(station)
    assert len(status2["minutes"]) == 3
    assert [m["candidates"] for m in status2["minutes"]] == [m["candidates"] for m in status1["minutes"]]
    assert _products(station) == products1
    for m in status2["minutes"]:
        assert m["stages"]["scan"]["attempts"] == 2

    args = ["reprocess", DAY, "--stage", "candidates", "--config", str(station.config_path)]
    detect_only = runner.invoke(cli, args)
    assert detect_only.exit_code == 0, detect_only.output
    assert {m["stages"]["scan"]["attempts"] for m in _status(station)["minutes"]} == {2}
    old_name = runner.invoke(
        cli, ["reprocess", DAY, "--stage", "detect", "--config", str(station.config_path)]
    )
    assert old_name.exit_code == 0 and "--stage detect is now called --stage candidates" in old_name.stderr
    assert {m["stages"]["candidates"]["attempts"] for m in _status(station)["minutes"]} == {4}


def _scan_counts(db: Path) -> dict[str, int]:
    """Scan statuses of a state store another process is writing (empty until its schema exists)."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(db, timeout=5)
    try:
        rows = conn.execute("SELECT status, COUNT(*) FROM stage_runs WHERE stage='scan' GROUP BY status")
        return dict(rows.fetchall())
    except sqlite3.OperationalError:  # the schema is being created
        return {}
    finally:
        conn.close()


def test_sigkill_during_scan_then_rerun_completes_every_file_once(tmp_path: Path) -> None:
    station = make_station(tmp_path, 2)
    for i in range(2, 5):
        station.write_minute(i, duration_s=20.0, size=(320, 180))
    cmd = [sys.executable, "-m", "cli.main", "reprocess", DAY, "--config", str(station.config_path)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = station.data_dir / "state.sqlite3"
    deadline = time.monotonic() + 120
    killed_while_running = False
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            counts = _scan_counts(db)
            if counts.get("done", 0) >= 1 and counts.get("running", 0) == 1:
                os.kill(proc.pid, signal.SIGKILL)
                killed_while_running = True
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None and not killed_while_running:
            proc.kill()
        proc.wait(30)
    assert killed_while_running, "the reprocess ended before a scan could be interrupted"

    rerun = _reprocess(station)
    assert rerun.returncode == 0, rerun.stderr
    status = _status(station)
    assert sorted(m["file"] for m in status["minutes"]) == sorted(station.names)
    assert all(m["stages"]["scan"]["status"] == "done" for m in status["minutes"])
    assert all(m["stages"]["candidates"]["status"] == "done" for m in status["minutes"])
    video = station.data_dir / "days" / DAY / "cam1" / "video"
    assert sorted(p.name for p in video.iterdir()) == sorted(station.names)
    values = station.data_dir / "days" / DAY / "cam1" / "values"
    assert len(list(values.iterdir())) == len(station.names)
    leftovers = [p for p in (station.data_dir / "days").rglob(TMP_PREFIX + "*")]
    assert leftovers == []


def test_bad_inputs_are_quarantined_with_reasons_and_the_rest_is_processed(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1)
    good = station.incoming / station.names[0]
    bad = {
        minute_name(1): b"",  # empty
        minute_name(2): b"this is not a video at all\n" * 100,
        minute_name(3): good.read_bytes()[: good.stat().st_size // 3],  # truncated
    }
    for name, data in bad.items():
        (station.incoming / name).write_bytes(data)
    other_size = station.write_minute(4, size=(160, 90))  # resolution other than configured
    (station.incoming / "snapshot.jpg").write_bytes(b"\xff\xd8 not a minute")
    for p in station.incoming.iterdir():
        os.utime(p, (p.stat().st_mtime - 3600,) * 2)

    result = _reprocess(station)
    assert result.returncode == 1, result.stderr  # documented: 1 when a file was quarantined
    assert "ignored" in result.stderr and "snapshot.jpg" in result.stderr
    quarantine = station.data_dir / "quarantine"
    expected = {*bad, other_size.name}
    assert {p.name for p in quarantine.iterdir() if p.suffix != ".reason"} == expected
    for name in expected:
        reason = (quarantine / (name + ".reason")).read_text()
        assert f"file: {station.incoming / name}" in reason and "reason: " in reason
        assert name in result.stderr
    assert "160x90" in (quarantine / (other_size.name + ".reason")).read_text()
    status = {m["file"]: m for m in _status(station)["minutes"]}
    assert status[station.names[0]]["stages"]["candidates"]["status"] == "done"
    assert {status[n]["stages"]["scan"]["status"] for n in expected} == {"quarantined"}
    assert (station.incoming / "snapshot.jpg").exists(), "files that are not minutes are left alone"

    again = _reprocess(station)
    assert again.returncode == 0, again.stderr  # nothing new failed; quarantined files stay put
    assert {p.name for p in quarantine.iterdir() if p.suffix != ".reason"} == expected


def test_ff_policy_candidates_keeps_only_blocks_of_minutes_with_candidates(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1, ff_policy="candidates")
    # A minute without a meteor: rendered with no objects.
    from detection.synth.sky import SkySettings, SkyVideo
    from tests.stationd.station_fixtures import HEIGHT, T0, WIDTH

    quiet = station.incoming / minute_name(1)
    from datetime import timedelta

    SkyVideo(SkySettings(width_px=WIDTH, height_px=HEIGHT, duration_s=10, seed=7,
                         start_utc=T0 + timedelta(minutes=1))).write(quiet)  # fmt: skip
    os.utime(quiet, (quiet.stat().st_mtime - 3600,) * 2)
    with Station(load_config(station.config_path)) as st:
        report = st.reprocess(DAY, settle_s=0)
        assert report.ok
        results = {m["file"]: m["candidates"] for m in st.status(DAY)["minutes"]}
    assert results[station.names[0]]["status"] == "candidates"
    assert results[quiet.name]["status"] == "none"
    ff_dir = station.data_dir / "days" / DAY / "cam1" / "ff"
    ff_names = sorted(p.name for p in ff_dir.iterdir())
    assert ff_names and all("_220000_" in n for n in ff_names), ff_names


@pytest.mark.parametrize("bad_day", ["2026-13-01", "tomorrow"])
def test_bad_day_argument_exits_2(tmp_path: Path, bad_day: str) -> None:
    station = make_station(tmp_path, 0)
    result = CliRunner().invoke(cli, ["reprocess", bad_day, "--config", str(station.config_path)])
    assert result.exit_code == 2
    assert "not a day" in result.output


def test_hd_minute_is_linked_to_its_sd_minute_not_scanned(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1)
    hd_dir = station.data_dir / "incoming" / "cam1-hd"
    hd_dir.mkdir()
    hd = hd_dir / station.names[0]
    hd.write_bytes(b"not decoded: HD minutes are only filed beside their SD minute")
    raw = yaml.safe_load(station.config_path.read_text())
    raw["cameras"][0]["incoming_hd"] = str(hd_dir)
    station.config_path.write_text(yaml.safe_dump(raw))
    with Station(load_config(station.config_path)) as st:
        assert st.reprocess(DAY, settle_s=0).ok
        minute = st.status(DAY)["minutes"][0]
    filed = station.data_dir / "days" / DAY / "cam1" / "video" / "hd" / station.names[0]
    assert filed.read_bytes().startswith(b"not decoded")
    assert minute["hd_path"] == str(filed)
    assert minute["stages"]["scan"]["status"] == "done"
    assert not hd.exists()


def test_standalone_scan_names_unreadable_files_and_scans_the_rest(tmp_path: Path) -> None:
    station = make_station(tmp_path, 1)
    good = station.incoming / station.names[0]
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 1000)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["scan", str(good), str(bad), "--out", str(out), "--json"])
    assert result.exit_code == 1
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    assert rows[good.name]["ok"] and rows[good.name]["n_frames"] == 250
    assert not rows["broken.mp4"]["ok"] and rows["broken.mp4"]["reason"]
    stem = good.stem
    made = sorted(p.name for p in out.iterdir())
    assert f"{stem}.values.npz" in made and f"{stem}_stack.jpg" in made and f"{stem}_preview.jpg" in made
    assert [n for n in made if n.startswith("FF_XX0001_20260812_220000_000_")] == [
        "FF_XX0001_20260812_220000_000_0000000.fits"
    ]
    assert len([n for n in made if n.startswith("FF_")]) == 1  # 250 frames: one block, shorter than 256


def test_reprocessing_a_day_after_retention_leaves_pruned_minutes_alone(tmp_path: Path) -> None:
    from detection.synth.sky import SkySettings, SkyVideo
    from stationd.ops.retention import enforce_retention
    from tests.stationd.station_fixtures import HEIGHT, T0, WIDTH

    station = make_station(tmp_path, 1)
    quiet = station.incoming / minute_name(1)
    sky = SkySettings(
        width_px=WIDTH, height_px=HEIGHT, duration_s=10, seed=7, start_utc=T0 + timedelta(minutes=1)
    )
    SkyVideo(sky).write(quiet)
    os.utime(quiet, (quiet.stat().st_mtime - 3600,) * 2)
    raw = yaml.safe_load(station.config_path.read_text())
    raw["retention"] = {"max_disk_gb": 1e-9, "min_free_gb": 0}  # everything deletable must go
    station.config_path.write_text(yaml.safe_dump(raw))
    config = load_config(station.config_path)
    with Station(config) as st:
        assert st.reprocess(DAY, settle_s=0).ok
        report = enforce_retention(config, st.store)
        assert {d.minute for d in report.deleted} >= {quiet.name}
        again = st.reprocess(DAY, settle_s=0)
        assert again.ok, [(o.minute.name, o.error) for o in again.outcomes]
        minutes = {m["file"]: m for m in st.status(DAY)["minutes"]}
    assert minutes[quiet.name]["pruned_utc"] is not None
    assert minutes[quiet.name]["candidates"]["status"] == "none"  # its result outlives its files
    assert minutes[station.names[0]]["pruned_utc"] is None  # minutes with candidates keep their video
    assert [o.minute.name for o in again.outcomes if o.stage == "scan"] == [station.names[0]]
