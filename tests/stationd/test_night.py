"""Night summaries: counted from the state store (meteors and fireballs from the verify results, processing
time from the stage runs), written to nights/<night>.json at a simulated dawn by the health monitor with an
injected clock, and shown by ``stationd night [DAY] [--json]``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, ValidationError

from cli.main import cli
from detection.timing import iso_utc
from stationd.config import StationConfig
from stationd.config_example import example_config
from stationd.disk.layout import StationLayout
from stationd.disk.state import Minute, StateStore
from stationd.errors import UsageError
from stationd.ops.health import ClockState, HealthMonitor
from stationd.ops.night import night_bounds, night_report, summarize_night
from stationd.ops.sun import last_night
from stationd.schemas import night_schema
from stationd.stages.results import VerifyStageResult
from tests.stationd.ops_helpers import NONE, OWNER, add_minute, candidates, make_config

# Oxford (the example configuration), 12/13 July 2026: the sun is below -6 deg from about 21:05 to
# 03:25 UTC (stationd.ops.sun, astropy; tests/stationd/test_health.py relies on the same night).
EVENING = datetime(2026, 7, 12, 23, 0, tzinfo=UTC)
NIGHT = "2026-07-12"


@dataclass
class Night:
    data_dir: Path
    config: StationConfig
    store: StateStore
    config_path: Path

    @property
    def layout(self) -> StationLayout:
        return StationLayout(self.data_dir)

    def monitor(self, daytime: list[bool]) -> HealthMonitor:
        """A health monitor whose day/night is what ``daytime[0]`` says when it checks."""
        return HealthMonitor(
            self.config,
            self.store,
            clock_state=lambda: ClockState(True),
            disk_free=lambda p: 10**12,
            daytime=lambda t: daytime[0],
            started_utc=EVENING,
        )


@pytest.fixture
def night(tmp_path: Path) -> Iterator[Night]:
    data_dir = tmp_path / "data"
    config_path = tmp_path / "stationd.yaml"
    config_path.write_text(example_config(data_dir, "XX0001", "cam1", 51.8831, -1.30616, 80))
    store = StateStore(data_dir / "state.sqlite3")
    yield Night(data_dir, make_config(data_dir), store, config_path)
    store.close()


def verified(store: StateStore, minute: Minute, meteors: int, fireballs: int, duration_s: float) -> None:
    """Carry a minute with pending candidates through candidates (0.5 s) and verify (``duration_s``)."""
    assert store.claim(minute.id, "candidates", OWNER, "candidates/1")
    store.complete(minute.id, "candidates", OWNER, candidates(meteors), 0.5, then=("verify",))
    assert store.claim(minute.id, "verify", OWNER, "verify/1")
    ids = tuple(f"XX0001_cam1_{minute.start_utc:%Y%m%d_%H%M%S}_{i}" for i in range(meteors))
    result = VerifyStageResult(meteors=ids, fireballs=ids[:fireballs], windows=meteors)
    store.complete(minute.id, "verify", OWNER, result.to_json(), duration_s)


def simulate_night(n: Night) -> None:
    """Four minutes before midnight and two after (the night spans two UTC days), one day-time minute."""
    for i in range(3):
        add_minute(n.store, n.layout, EVENING + timedelta(minutes=i), NONE)  # scan 1.0 s, candidates 0.1 s
    m = add_minute(n.store, n.layout, EVENING + timedelta(minutes=3), None)
    verified(n.store, m, meteors=2, fireballs=1, duration_s=4.0)
    after = add_minute(n.store, n.layout, EVENING + timedelta(hours=2), None)
    verified(n.store, after, meteors=1, fireballs=0, duration_s=2.0)
    add_minute(n.store, n.layout, EVENING + timedelta(hours=2, minutes=1), None, scanned=False)  # pending
    add_minute(n.store, n.layout, datetime(2026, 7, 13, 12, 0, tzinfo=UTC), NONE)  # by day: not counted


def test_summary_counts_meteors_fireballs_failures_and_processing_time(night: Night) -> None:
    simulate_night(night)
    bad, _ = night.store.register_minute("cam1", EVENING + timedelta(minutes=30), "bad.mp4", night.data_dir)
    assert night.store.claim(bad.id, "scan", OWNER, "scan/1")
    night.store.fail(bad.id, "scan", OWNER, "unreadable", 0.25, quarantined=True)
    start, end = datetime(2026, 7, 12, 21, 5, tzinfo=UTC), datetime(2026, 7, 13, 3, 25, tzinfo=UTC)

    summary = summarize_night(night.store, ("cam1",), start, end)

    c = summary.cameras["cam1"]
    assert (c.minutes, c.expected) == (7, 380)
    assert (c.with_candidates, c.candidates, c.meteors, c.fireballs) == (2, 3, 3, 1)
    assert (c.failed, c.quarantined, c.pending) == (0, 1, 1)
    # scan 1.0 s x 5, candidates 0.1 s x 3 + 0.5 s x 2, verify 4.0 + 2.0 s, the quarantined scan 0.25 s
    assert c.processing_s == pytest.approx(5 * 1.0 + 3 * 0.1 + 2 * 0.5 + 6.0 + 0.25)
    assert summary.night == NIGHT and summary.finished
    assert "3 meteors (1 fireballs)" in summary.line()


def test_dawn_writes_the_summary_and_stationd_night_shows_it(
    night: Night, caplog: pytest.LogCaptureFixture
) -> None:
    simulate_night(night)
    daytime = [False]
    monitor = night.monitor(daytime)
    with caplog.at_level(logging.INFO, logger="stationd.ops.health"):
        monitor.check(datetime(2026, 7, 13, 3, 0, tzinfo=UTC))  # still night: nothing yet
        assert not (night.data_dir / "nights").exists()
        daytime[0] = True  # the injected clock passes dawn
        for minute in (0, 1):
            monitor.check(datetime(2026, 7, 13, 3, 30 + minute, tzinfo=UTC))
    assert len([r for r in caplog.records if r.getMessage().startswith("night ")]) == 1

    path = night.data_dir / "nights" / f"{NIGHT}.json"
    written = json.loads(path.read_text())
    assert written["schema"] == "stationd.night/1" and written["night"] == NIGHT and written["finished"]
    assert written["totals"]["meteors"] == 3 and written["totals"]["fireballs"] == 1
    assert written["cameras"]["cam1"]["minutes"] == 6
    Draft202012Validator(night_schema()).validate(written)

    result = CliRunner().invoke(cli, ["night", NIGHT, "--json", "--config", str(night.config_path)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["summary_file"] == str(path)
    Draft202012Validator(night_schema()).validate(shown)
    assert {k: v for k, v in shown.items() if k != "summary_file"} == written

    wide = {"COLUMNS": "200"}  # rich wraps at 80 columns without a terminal
    table = CliRunner().invoke(cli, ["night", "2026_07_12", "--config", str(night.config_path)], env=wide)
    assert table.exit_code == 0, table.output
    assert "summary written by the daemon at dawn" in table.output and "meteors" in table.output


def test_a_daemon_started_by_day_writes_the_night_it_missed_once(night: Night) -> None:
    simulate_night(night)
    monitor = night.monitor([True])
    monitor.check(datetime(2026, 7, 13, 7, 0, tzinfo=UTC))  # restarted in the morning
    path = night.layout.night_summary(NIGHT)
    assert json.loads(path.read_text())["totals"]["meteors"] == 3
    path.unlink()
    # a later restart finds the night in status.json (last_night) and does not write it again
    night.monitor([True]).check(datetime(2026, 7, 13, 8, 0, tzinfo=UTC))
    assert not path.exists()


def test_a_daemon_started_by_day_writes_no_summary_of_an_empty_night(night: Night) -> None:
    night.monitor([True]).check(datetime(2026, 7, 13, 7, 0, tzinfo=UTC))
    assert not (night.data_dir / "nights").exists()


def test_a_night_without_a_summary_is_counted_now_and_says_it_is_not_finished(night: Night) -> None:
    simulate_night(night)
    now = EVENING + timedelta(minutes=30)  # the night goes on

    summary = night_report(night.config, night.store, NIGHT, now_utc=now)

    assert not summary.finished and summary.path is None
    assert summary.until_utc == now
    c = summary.cameras["cam1"]
    assert c.minutes == 4 and c.meteors == 2 and c.expected == int((now - summary.start_utc).seconds // 60)
    view = summary.view()
    assert view["finished"] is False and view["summary_file"] is None and view["until_utc"] == iso_utc(now)
    Draft202012Validator(night_schema()).validate(view)


def test_the_default_night_is_the_last_finished_one(night: Night) -> None:
    simulate_night(night)
    summary = night_report(night.config, night.store, None, now_utc=datetime(2026, 7, 13, 15, 0, tzinfo=UTC))
    assert summary.night == NIGHT and summary.finished and summary.path is None
    assert summary.totals.meteors == 3


def test_night_bounds_agree_with_last_night() -> None:
    lat, lon = 51.8831, -1.30616
    start, end = night_bounds(date(2026, 7, 12), lat, lon, 80)  # type: ignore[misc]
    known = last_night(datetime(2026, 7, 13, 12, 0, tzinfo=UTC), lat, lon, 80)
    assert known is not None
    assert abs((start - known[0]).total_seconds()) <= 300 and abs((end - known[1]).total_seconds()) <= 300
    assert start.date() == date(2026, 7, 12) and end.date() == date(2026, 7, 13)
    # 80 deg north in July: the sun never sets
    assert night_bounds(date(2026, 7, 12), 80.0, 15.0) is None


def test_nights_that_do_not_exist_are_usage_errors(night: Night, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="has not begun"):
        night_report(night.config, night.store, "2026-07-14", now_utc=datetime(2026, 7, 13, 12, tzinfo=UTC))
    with pytest.raises(UsageError, match="not a day"):
        night_report(night.config, night.store, "July 12")


def test_the_night_schema_is_valid_and_strict() -> None:
    Draft202012Validator.check_schema(night_schema())
    counts = dict.fromkeys(("minutes", "expected", "with_candidates", "candidates", "too_many", "fireballs",
                            "failed", "quarantined", "pending", "processing_s"), 0)  # fmt: skip
    t = iso_utc(EVENING)
    summary = {"schema": "stationd.night/1", "night": NIGHT, "start_utc": t, "end_utc": t, "until_utc": t,
               "finished": True, "totals": counts, "cameras": {}}  # fmt: skip
    with pytest.raises(ValidationError, match="'meteors' is a required property"):
        Draft202012Validator(night_schema()).validate(summary)


def test_a_summary_written_with_work_pending_is_counted_again_once_it_is_done(night: Night) -> None:
    """Dawn came with a minute still pending; verified later, its meteor belongs to the night: ``night``
    shows the counts of now, not the frozen ones of dawn (counted from the state store, no file named)."""
    simulate_night(night)
    night.monitor([True]).check(datetime(2026, 7, 13, 7, 0, tzinfo=UTC))
    path = night.layout.night_summary(NIGHT)
    assert json.loads(path.read_text())["totals"]["pending"] == 1
    late = next(m for m in night.store.minutes() if m.start_utc == EVENING + timedelta(hours=2, minutes=1))
    assert night.store.claim(late.id, "scan", OWNER, "scan/1")
    night.store.complete(late.id, "scan", OWNER, {"file": late.name}, 1.0, then=("candidates",))
    verified(night.store, late, meteors=1, fireballs=1, duration_s=1.0)
    result = CliRunner().invoke(cli, ["night", NIGHT, "--json", "--config", str(night.config_path)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["totals"]["meteors"] == 4 and shown["totals"]["fireballs"] == 2
    assert shown["totals"]["pending"] == 0 and shown["summary_file"] is None
