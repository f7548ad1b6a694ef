"""``stationd events DAY`` and ``stationd solve EVENT``: the network's events by hand, on the real night of
UK_20260712 (two of its stations imported, their indexes on one local store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from stationd.config import load_config
from stationd.network import network_cycle
from stationd.ops.health import ClockState
from sync import LocalStore
from tests.stationd.test_network_real import DAYS, NOW, _publish, _station

pytestmark = pytest.mark.realdata


@pytest.fixture
def two_stations(shared_data: Path, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    paths = []
    for station, partner in (("UK009M", "UK00A4"), ("UK00A4", "UK009M")):
        config = _station(tmp_path, shared_data, station, [partner])
        path = tmp_path / f"{station}.yaml"
        s = config.station
        doc = {"station": {"id": station, "latitude_deg": s.latitude_deg, "longitude_deg": s.longitude_deg,
                           "elevation_m": s.elevation_m, "data_dir": str(s.data_dir), "partners": [partner]},
               "cameras": [{"id": "cam1", "incoming_sd": str(tmp_path / station / "incoming"), "fps": 25,
                            "width_px": 1280, "height_px": 720}],
               "storage": {"backend": "local", "path": str(tmp_path / "store")}}  # fmt: skip
        path.write_text(yaml.safe_dump(doc))
        _publish(load_config(path), LocalStore(tmp_path / "store"))
        paths.append(path)
    cycle = network_cycle(load_config(paths[0]), probe=False, now_utc=lambda: NOW, clock_synchronised=True)
    events = [e.event_id for e in cycle.events(DAYS)[0]]
    return paths[0], paths[1], events


def _clock(monkeypatch: pytest.MonkeyPatch, synced: bool) -> None:
    monkeypatch.setattr("stationd.network.kernel_clock_state", lambda: ClockState(synced))


def test_solve_an_event_then_copy_it_and_list_it(
    two_stations: tuple[Path, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, events = two_stations
    # the reference's six events of UK009M with UK00A4: 221506, 222508, 225600, 230116, 000325, 003717
    assert len(events) == 6
    _clock(monkeypatch, True)
    first = CliRunner().invoke(cli, ["solve", events[0], "--config", str(a), "--json"])
    assert first.exit_code == 0, first.output
    (outcome,) = json.loads(first.output)
    assert outcome["state"] == "solved" and outcome["owner"] == "UK009M"
    assert outcome["solution"]["schema"] == "stationd.solution/1"
    second = CliRunner().invoke(cli, ["solve", events[0], "--config", str(b), "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)[0]["state"] == "copied"
    listed = CliRunner().invoke(cli, ["events", events[0][:4] + "-" + events[0][4:6] + "-" + events[0][6:8],
                                      "--config", str(b), "--json"])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["event_id"], r["state"], r["owner"]) for r in rows] == [(events[0], "copied", "UK009M")]
    table = CliRunner().invoke(cli, ["events", "2026-07-12", "--config", str(b)])
    assert table.exit_code == 0 and "copied (UK009M, claim 1)" in table.output


def test_a_station_with_an_unsynchronised_clock_does_not_claim(
    two_stations: tuple[Path, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _, events = two_stations
    _clock(monkeypatch, False)
    result = CliRunner().invoke(cli, ["solve", events[1], "--config", str(a)])
    assert result.exit_code == 0, result.output
    assert "not claiming: the system clock is not synchronised" in result.output
    assert ": refused" in result.output


def test_an_unknown_event_fails_and_a_bad_argument_is_a_usage_error(
    two_stations: tuple[Path, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _, _ = two_stations
    _clock(monkeypatch, True)
    unknown = CliRunner().invoke(cli, ["solve", "20260712_010203_abcdef", "--config", str(a)])
    assert unknown.exit_code == 1 and "no event 20260712_010203_abcdef" in unknown.output
    bad = CliRunner().invoke(cli, ["solve", "no-such-file.json"])
    assert bad.exit_code == 2 and "no such file" in bad.output
