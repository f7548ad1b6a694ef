"""Every product file has one mode, FILE_MODE (0640), whatever the umask and however it was written.

meteor.json, stack.jpg, FF files and .reason files were 0600 (mkstemp), clips and quarantined videos 0644
(the umask, the camera's mode): issue 10, defect 12.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stationd.config import load_config
from stationd.disk.atomic import FILE_MODE, atomic_move, atomic_write_bytes
from stationd.disk.exports import export_day
from stationd.station import Station
from tests.stationd.station_fixtures import DAY, make_station, minute_name


@pytest.fixture(params=[0o022, 0o077], ids=["umask-022", "umask-077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_mode_is_read_write_for_the_station_and_read_for_its_group() -> None:
    assert FILE_MODE == 0o640


def test_atomic_writes_and_moves_set_the_one_mode(tmp_path: Path, umask: int) -> None:
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    camera_file = tmp_path / "incoming.mp4"
    camera_file.write_bytes(b"minute")
    os.chmod(camera_file, 0o666)
    atomic_move(camera_file, tmp_path / "moved" / "incoming.mp4")
    assert _mode(tmp_path / "a.json") == FILE_MODE
    assert _mode(tmp_path / "moved" / "incoming.mp4") == FILE_MODE


def test_every_product_of_a_station_has_the_one_mode(tmp_path: Path, umask: int) -> None:
    station = make_station(tmp_path, 1)
    os.chmod(station.incoming / station.names[0], 0o644)  # as a camera leaves its files
    junk = station.incoming / minute_name(1)
    junk.write_bytes(b"not a video" * 100)  # quarantined, with a .reason
    os.chmod(junk, 0o644)
    os.utime(junk, (junk.stat().st_mtime - 3600,) * 2)
    cfg = load_config(station.config_path)
    with Station(cfg) as st:
        report = st.reprocess(DAY, settle_s=0)
    assert not report.ok  # the junk minute was quarantined
    export_day(cfg, DAY)

    data = station.data_dir
    cam = data / "days" / DAY / "cam1"
    (record,) = (cam / "meteors").iterdir()
    products = {
        "meteor record": sorted(record.iterdir()),
        "FF files": sorted((cam / "ff").glob("FF_*.fits")),
        "values": sorted((cam / "values").iterdir()),
        "stacks": sorted((cam / "stacks").iterdir()),
        "originals": sorted((cam / "video").iterdir()),
        "quarantine": sorted((data / "quarantine").iterdir()),
        "exports": sorted((data / "exports" / DAY).rglob("*.txt")),
    }
    assert {p.name for p in products["meteor record"]} >= {"meteor.json", "stack.jpg", "clip.mp4"}
    assert {p.name for p in products["quarantine"]} == {junk.name, junk.name + ".reason"}
    for kind, paths in products.items():
        assert paths, kind
        modes = {p.name: oct(_mode(p)) for p in paths}
        assert set(modes.values()) == {oct(FILE_MODE)}, (kind, modes)
