"""File names of minutes, day arguments and atomic writes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detection.timing import iso_utc
from stationd.disk.atomic import (
    TMP_PREFIX,
    atomic_move,
    atomic_write_bytes,
    atomic_write_with,
    remove_temporaries,
)
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern, parse_day, parse_minute_name
from stationd.errors import UsageError


def test_allskycams_names_parse_to_utc_minutes() -> None:
    pattern = compile_pattern(DEFAULT_PATTERN)
    name = parse_minute_name("2026_07_12_22_15_06_120_cam1.mp4", pattern, "cam1")
    assert name is not None
    assert name.start_utc == datetime(2026, 7, 12, 22, 15, 6, 120_000, tzinfo=UTC)
    assert name.day == "2026-07-12"
    assert parse_minute_name("2026_07_12_22_15_06_120_cam2.mp4", pattern, "cam1") is None
    assert parse_minute_name("snapshot.jpg", pattern, "cam1") is None
    assert parse_minute_name("2026_13_12_22_15_06_120_cam1.mp4", pattern, "cam1") is None


def test_custom_pattern_without_camera_token() -> None:
    pattern = compile_pattern("{YYYY}{MM}{DD}-{hh}{mm}{ss}.mkv")
    name = parse_minute_name("20260712-221506.mkv", pattern, "north")
    assert name is not None and name.camera == "north"
    with pytest.raises(ValueError, match="unknown token"):
        compile_pattern("{YYYY}_{foo}.mp4")
    with pytest.raises(ValueError, match="missing tokens"):
        compile_pattern("{YYYY}.mp4")


def test_days_in_both_spellings() -> None:
    assert parse_day("2026-07-12").isoformat() == "2026-07-12"
    assert parse_day("2026_07_12").isoformat() == "2026-07-12"
    with pytest.raises(UsageError, match="not a day"):
        parse_day("yesterday")


def test_iso_utc_has_microseconds_and_z() -> None:
    assert iso_utc(datetime(2026, 7, 12, 22, 15, 6, 120_000, tzinfo=UTC)) == "2026-07-12T22:15:06.120000Z"


def test_atomic_write_leaves_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"old")

    def broken(f: object) -> None:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write_with(target, broken)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_move_and_temporary_cleanup(tmp_path: Path) -> None:
    src = tmp_path / "a" / "x.mp4"
    src.parent.mkdir()
    src.write_bytes(b"video")
    atomic_move(src, tmp_path / "b" / "x.mp4")
    assert not src.exists() and (tmp_path / "b" / "x.mp4").read_bytes() == b"video"
    leftover = tmp_path / "b" / (TMP_PREFIX + "crash")
    leftover.write_bytes(b"half")
    os.utime(leftover)
    assert remove_temporaries(tmp_path / "b") == 1
    assert not leftover.exists()


def test_one_temporary_scheme_and_recovery_spares_live_writers(tmp_path: Path) -> None:
    """Temporaries are ``.tmp-<pid>-<random>-<name>``; recovery removes a dead writer's (files and folders,
    at any depth) and the legacy ``.tmp-<random>`` names, and leaves a live process's alone."""
    import subprocess
    import sys

    from stationd.disk.atomic import parse_temporary, temporary_path

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    live = temporary_path(tmp_path / "a" / "meteor.json")
    assert parse_temporary(live.name) == (os.getpid(), "meteor.json")
    (tmp_path / "a" / "b").mkdir(parents=True)
    live.write_text("being written")
    gone_file = tmp_path / "a" / "b" / f".tmp-{dead_pid}-abcd1234-clip.mp4"
    gone_file.write_text("half")
    gone_dir = tmp_path / "a" / f".tmp-{dead_pid}-abcd1234-XX0001_cam1_20260812_221506_120"
    gone_dir.mkdir()
    (gone_dir / "meteor.json").write_text("{}")
    legacy = tmp_path / "a" / (TMP_PREFIX + "x8k2")
    legacy.write_text("old scheme")
    assert remove_temporaries(tmp_path, recursive=True) == 3
    assert live.exists() and not gone_file.exists() and not gone_dir.exists() and not legacy.exists()


def test_a_record_caught_between_its_two_renames_is_put_back(tmp_path: Path) -> None:
    """write_record renames the old folder aside, then the new one into place: a crash between the two
    leaves only the old one, which recovery restores (the new one is lost, the old one stands)."""
    import subprocess
    import sys

    from stationd.disk.records import recover_records

    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True, check=True).stdout)  # fmt: skip
    meteors = tmp_path / "meteors"
    aside = meteors / f".tmp-{dead_pid}-0badc0de-old-XX0001_cam1_20260812_221506_120"
    aside.mkdir(parents=True)
    (aside / "meteor.json").write_text('{"old": true}')
    half_new = meteors / f".tmp-{dead_pid}-1badc0de-XX0001_cam1_20260812_221506_120"
    half_new.mkdir()
    assert recover_records(meteors) == 1
    assert sorted(p.name for p in meteors.iterdir()) == ["XX0001_cam1_20260812_221506_120"]
    assert (meteors / "XX0001_cam1_20260812_221506_120" / "meteor.json").read_text() == '{"old": true}'
