"""The daemon's network job: when it runs (interval, end of the night's processing) and what it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from stationd.config import parse_config
from stationd.config_example import example_config
from stationd.daemon.loop import periodic_jobs
from stationd.disk.state import StateStore
from stationd.network import network_cycle, run_network
from stationd.network_job import NetworkJob
from stationd.ops.health import ClockState
from sync import LocalStore
from tests.stationd.test_network_real import DAYS, NOW, _publish, _station

T = datetime(2026, 7, 13, 6, 0, tzinfo=UTC)


def _config(tmp_path: Path, **network: Any) -> Any:
    raw = yaml.safe_load(example_config(tmp_path / "data", "UK009M", "cam1", 51.9, 0.9, 21))
    raw["station"]["partners"] = ["UK00A4", {"id": "UK008F", "bucket": "other", "prefix": "gmn/"}]
    raw["network"] = network
    return parse_config(raw, "test.yaml")


class FakeState:
    def __init__(self) -> None:
        self.n_minutes, self.pending = 0, 0

    def minutes(self, day: str) -> list[int]:
        return [0] * self.n_minutes if day == "2026-07-13" else []

    def counts(self, day: str) -> dict[str, dict[str, int]]:
        return {"scan": {"pending": self.pending, "done": 3}} if day == "2026-07-13" else {}


def test_the_job_runs_at_its_interval_and_when_the_night_is_processed(tmp_path: Path) -> None:
    config = _config(tmp_path, interval_min=60)
    now = [T]
    job, state = NetworkJob(config, lambda: now[0]), FakeState()
    assert job.due(state)  # never ran
    job.last_run, job._seen_minutes = T, 0
    state.n_minutes, state.pending = 5, 2
    assert not job.due(state)  # new minutes, still being processed
    state.pending = 0
    assert job.due(state)  # the night's processing is done
    job._seen_minutes = 5
    assert not job.due(state)  # nothing new since
    now[0] = T + timedelta(minutes=60)
    assert job.due(state)  # the interval


def test_the_daemon_registers_the_job_only_with_partners_and_a_mode(tmp_path: Path) -> None:
    assert "network" in [j.name for j in periodic_jobs(_config(tmp_path))]
    assert "network" not in [j.name for j in periodic_jobs(_config(tmp_path, mode="off"))]
    raw = yaml.safe_load(example_config(tmp_path / "d2", "UK009M", "cam1", 51.9, 0.9, 21))
    assert "network" not in [j.name for j in periodic_jobs(parse_config(raw))]


def test_partners_with_stores_of_their_own_are_read(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert config.station.partners == ("UK00A4", "UK008F")
    (own,) = config.station.partner_stores
    settings = own.settings(config.storage.store_settings(config.station.data_dir))
    assert (settings.bucket, settings.prefix) == ("other", "gmn/")


@pytest.mark.realdata
def test_the_job_solves_the_night_through_the_daemon(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stationd.network.kernel_clock_state", lambda: ClockState(True))
    configs = [
        _station(tmp_path, shared_data, s, [p]) for s, p in (("UK009M", "UK00A4"), ("UK00A4", "UK009M"))
    ]
    for config in configs:
        _publish(config, LocalStore(tmp_path / "store"))
    with StateStore(configs[0].station.data_dir / "state.sqlite3") as state:
        job = NetworkJob(configs[0], lambda: NOW)
        daemon = SimpleNamespace(station=SimpleNamespace(store=state))
        run = job(daemon)
        assert job(daemon) is None  # not due again: no new minutes, within the interval
    assert run is not None and job._probe is not None and job._probe.ok
    assert run.report.count("solved") == 6 and run.report.refusal is None
    assert {o.event.day for o in run.report.outcomes} <= set(DAYS)


@pytest.mark.realdata
def test_a_hostile_partner_and_the_inputs_mode(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A partner whose index points outside its prefix is rejected and logged, the others still count;
    in ``inputs`` mode the station publishes each revision's inputs and solves nothing."""
    import dataclasses
    import json

    from sync import StationKeys

    monkeypatch.setattr("stationd.network.kernel_clock_state", lambda: ClockState(True))
    configs = [_station(tmp_path, shared_data, s, ["UK00A4", "UK008F"]) for s in ("UK009M",)]
    configs += [_station(tmp_path, shared_data, s, ["UK009M"]) for s in ("UK00A4", "UK008F")]
    store = LocalStore(tmp_path / "store")
    for config in configs:
        _publish(config, store)
    key = StationKeys("UK008F").day_index(DAYS[0])
    doc = json.loads(store.get(key).data)  # type: ignore[union-attr]
    doc["meteors"][0]["key"] = "stations/UK009M/meteors/2026-07-12/x/meteor.json"
    store.put_bytes(key, json.dumps(doc).encode(), content_type="application/json")
    config = dataclasses.replace(configs[0], network=dataclasses.replace(configs[0].network, mode="inputs"))
    with caplog.at_level("WARNING", logger="sync.partners"):
        run = run_network(config, DAYS, cycle=network_cycle(config, store=store, now_utc=lambda: NOW))
    rejected = [(f.partner, f.day) for f in run.report.fetches if f.status == "rejected"]
    assert rejected == [("UK008F", DAYS[0])] and "outside stations/UK008F/" in caplog.text
    assert run.report.count("inputs") == len(run.report.outcomes) > 0
    inputs = [i.key for i in store.list("events/") if i.key.endswith("/inputs.json")]
    assert len(inputs) == len(run.report.outcomes)
    assert not [i.key for i in store.list("events/") if i.key.endswith("/solution.json")]
