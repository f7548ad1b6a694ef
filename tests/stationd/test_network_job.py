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
