"""The network cycle: stations group their own and partners' observations and solve each revision once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.events import Event, Observation
from sync.index import StationInfo, encode_index
from sync.keys import StationKeys
from sync.network import NetworkCycle, NetworkSettings, claim_refusal
from sync.partners import PartnerIndexes
from sync.probe import probe_create_if_absent
from tests.sync.fakes import MemoryStore
from tests.sync.test_events import SITE_A, SITE_B, SITE_C, T0, _meteor, _seen
from trajectory.errors import SolveError

DAY = "2026-07-12"
NOW = datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
SITES = {"AA0001": SITE_A, "BB0001": SITE_B, "CC0001": SITE_C}


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _night(n_meteors: int = 3) -> dict[str, list[Observation]]:
    """``n_meteors`` meteors seen by all three stations, a minute apart."""
    begin, end = _meteor()
    out: dict[str, list[Observation]] = {s: [] for s in SITES}
    for k in range(n_meteors):
        for i, (station, site) in enumerate(SITES.items()):
            start = T0 + timedelta(minutes=k, seconds=0.05 * i)
            out[station].append(_seen(station, site, begin, end, start, 0.9, f"{station}_m{k}"))
    return out


def _index(station: str, observations: list[Observation]) -> dict[str, Any]:
    site = SITES[station]
    keys = StationKeys(station)

    def point(az: float | None, alt: float | None) -> dict[str, float]:
        return {"az_deg": az, "alt_deg": alt, "ra_deg": 1.0, "dec_deg": 2.0}  # type: ignore[dict-item]

    meteors = [
        {
            "meteor_id": o.meteor_id, "camera": o.camera, "start_utc": _iso(o.start_utc),
            "end_utc": _iso(o.end_utc), "duration_s": o.duration_s, "n_frames": 20,
            "begin": point(o.begin_az_deg, o.begin_alt_deg), "end": point(o.end_az_deg, o.end_alt_deg),
            "peak_mag": 0.0, "fireball": False, "calibration": None,
            "key": keys.meteor(DAY, o.meteor_id, "meteor.json"),
        }
        for o in observations
    ]  # fmt: skip
    return {
        "schema": "stationd.index/1", "station": StationInfo(station, *site).to_json(), "day": DAY,
        "cameras": [], "n_meteors": len(meteors), "n_fireballs": 0, "meteors": meteors,
    }  # fmt: skip


def _publish_night(store: MemoryStore, night: dict[str, list[Observation]]) -> None:
    for station, observations in night.items():
        data, encoding = encode_index(_index(station, observations))
        key = StationKeys(station).day_index(DAY)
        store.put_bytes(key, data, content_type="application/json", content_encoding=encoding)
        for o in observations:
            record = json.dumps({"meteor_id": o.meteor_id, "station": station}).encode()
            store.put_bytes(
                StationKeys(station).meteor(DAY, o.meteor_id, "meteor.json"), record, content_type="x"
            )


class CountingSolver:
    def __init__(self, fail: bool = False) -> None:
        self.calls: Counter[str] = Counter()
        self.fail = fail

    def __call__(self, event: Event, records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls[f"{event.event_id}/{event.revision}"] += 1
        if self.fail:
            raise SolveError("the planes are parallel", n_stations=len(records))
        return {"schema": "stationd.solution/1", "event_id": event.event_id, "revision": event.revision,
                "records": sorted(f"{r['station']}/{r['meteor_id']}" for r in records)}  # fmt: skip


def _cycle(
    store: MemoryStore,
    station: str,
    night: dict[str, list[Observation]],
    tmp_path: Path,
    solver: Any,
    **kw: Any,
) -> NetworkCycle:
    records = {o.meteor_id: {"meteor_id": o.meteor_id, "station": station} for o in night[station]}
    return NetworkCycle(
        store, station, lambda: NOW, solver,
        partners=[s for s in SITES if s != station],
        indexes=PartnerIndexes(tmp_path / station, lambda: NOW),
        own_index=lambda day: _index(station, night[station]) if day == DAY else None,
        own_record=records.get, **kw,
    )  # fmt: skip


def test_three_stations_solve_each_event_once_and_copy_the_rest(tmp_path: Path) -> None:
    store, night, solver = MemoryStore(), _night(3), CountingSolver()
    _publish_night(store, night)
    reports = [_cycle(store, s, night, tmp_path, solver).run([DAY]) for s in SITES]
    assert [r.count("solved") for r in reports] == [3, 0, 0]
    assert [r.count("copied") for r in reports] == [0, 3, 3]
    assert len(solver.calls) == 3 and set(solver.calls.values()) == {1}
    solutions = [k for k in store.objects if k.endswith("/solution.json")]
    assert len(solutions) == 3
    copied = reports[1].outcomes[0].solution
    assert copied is not None and copied["solved_by"] == "AA0001"
    assert copied["records"] == ["AA0001/AA0001_m0", "BB0001/BB0001_m0", "CC0001/CC0001_m0"]


def test_a_solve_failure_is_recorded_once(tmp_path: Path) -> None:
    store, night = MemoryStore(), _night(1)
    _publish_night(store, night)
    first = _cycle(store, "AA0001", night, tmp_path, CountingSolver(fail=True)).run([DAY])
    assert first.count("failed") == 1 and "parallel" in (first.outcomes[0].detail or "")
    later = CountingSolver()
    again = _cycle(store, "BB0001", night, tmp_path, later).run([DAY])
    assert again.count("failed") == 1 and not later.calls


class TwoWinnersStore(MemoryStore):
    """A store that says yes to every create-if-absent (as some S3-compatible servers do)."""

    def create_if_absent(self, key: str, data: bytes, *, content_type: str) -> bool:
        self.put_bytes(key, data, content_type=content_type)
        return True


def test_a_store_admitting_two_winners_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    store, night, solver = TwoWinnersStore(), _night(1), CountingSolver()
    _publish_night(store, night)
    probe = probe_create_if_absent(store, "events/probe", n_writers=4)
    assert not probe.ok and probe.n_winners == 4
    refusal = claim_refusal(probe, clock_synchronised=True)
    assert refusal is not None and "does not honour create-if-absent" in refusal
    assert "4 of 4 concurrent creates of one key won" in refusal
    report = _cycle(store, "AA0001", night, tmp_path, solver, refusal=refusal).run([DAY])
    assert report.refusal == refusal and report.count("refused") == 1 and not solver.calls
    assert not [k for k in store.objects if "/claim-" in k]
    assert claim_refusal(probe_create_if_absent(MemoryStore(), "events/probe"), True) is None


def test_an_unsynchronised_clock_does_not_claim(tmp_path: Path) -> None:
    refusal = claim_refusal(None, clock_synchronised=False)
    assert refusal is not None and "not synchronised" in refusal
    assert claim_refusal(None, clock_synchronised=None) is None  # unknown (no adjtimex): allowed
    store, night, solver = MemoryStore(), _night(1), CountingSolver()
    _publish_night(store, night)
    report = _cycle(store, "AA0001", night, tmp_path, solver, refusal=refusal).run([DAY])
    assert report.count("refused") == 1 and not solver.calls


def test_inputs_mode_publishes_the_same_bytes_from_every_station(tmp_path: Path) -> None:
    store, night, solver = MemoryStore(), _night(2), CountingSolver()
    _publish_night(store, night)
    settings = NetworkSettings(mode="inputs")
    for station in SITES:
        report = _cycle(store, station, night, tmp_path, solver, settings=settings).run([DAY])
        assert report.count("inputs") == 2
    inputs = {k: v for k, v in store.objects.items() if k.endswith("/inputs.json")}
    assert len(inputs) == 2 and not solver.calls
    assert not [k for k in store.objects if k.endswith("/solution.json")]
    doc = json.loads(next(iter(inputs.values())).data)
    assert doc["schema"] == "stationd.event-inputs/1" and len(doc["observations"]) == 3
    assert {o["record_key"] for o in doc["observations"]} >= {
        "stations/BB0001/meteors/2026-07-12/BB0001_m0/meteor.json"
    }


def test_a_hostile_partner_index_does_not_stop_the_cycle(tmp_path: Path) -> None:
    store, night, solver = MemoryStore(), _night(1), CountingSolver()
    _publish_night(store, night)
    store.put_bytes(StationKeys("CC0001").day_index(DAY), b"{not json", content_type="application/json")
    report = _cycle(store, "AA0001", night, tmp_path, solver).run([DAY])
    rejected = [f for f in report.fetches if f.status == "rejected"]
    assert [f.partner for f in rejected] == ["CC0001"]
    assert report.count("solved") == 1
    assert report.outcomes[0].event.stations == ("AA0001", "BB0001")


def test_a_partner_record_that_is_not_the_indexed_one_is_an_error_not_a_solve(tmp_path: Path) -> None:
    store, night, solver = MemoryStore(), _night(1), CountingSolver()
    _publish_night(store, night)
    key = StationKeys("BB0001").meteor(DAY, "BB0001_m0", "meteor.json")
    store.put_bytes(key, json.dumps({"meteor_id": "other", "station": "BB0001"}).encode(), content_type="x")
    report = _cycle(store, "AA0001", night, tmp_path, solver).run([DAY])
    assert report.count("error") == 1 and "not the record of BB0001_m0" in (report.outcomes[0].detail or "")
    assert not solver.calls


@pytest.mark.parametrize("seed", range(3))
def test_ids_do_not_depend_on_the_order_partners_are_listed(tmp_path: Path, seed: int) -> None:
    import random

    store, night = MemoryStore(), _night(3)
    _publish_night(store, night)
    partners = ["BB0001", "CC0001"]
    random.Random(seed).shuffle(partners)
    cycle = _cycle(store, "AA0001", night, tmp_path / str(seed), CountingSolver())
    cycle.partners = tuple(partners)
    reference = _cycle(store, "AA0001", night, tmp_path / "ref", CountingSolver())
    assert [(e.event_id, e.revision) for e in cycle.events([DAY])[0]] == [
        (e.event_id, e.revision) for e in reference.events([DAY])[0]
    ]


def test_the_lease_is_renewed_while_the_solver_runs(tmp_path: Path) -> None:
    import time

    from sync.checkout import CheckoutSettings

    store, night = MemoryStore(), _night(1)
    _publish_night(store, night)

    def slow(event: Event, records: list[dict[str, Any]]) -> dict[str, Any]:
        time.sleep(0.5)  # a long solve (Monte Carlo on a Pi) against a lease of 0.3 s
        return {"event_id": event.event_id}

    settings = NetworkSettings(checkout=CheckoutSettings(lease_s=0.3, margin_s=0.0))
    cycle = _cycle(store, "AA0001", night, tmp_path, slow, settings=settings)
    cycle.now_utc = cycle.checkout.now_utc = lambda: datetime.now(UTC)
    report = cycle.run([DAY])
    assert report.count("solved") == 1
    (claim_key,) = [k for k in store.objects if "/claim-" in k]
    assert store.puts[claim_key] >= 3  # created once, then rewritten every 0.1 s by the renewals
    claim = json.loads(store.objects[claim_key].data)
    assert claim["owner"] == "AA0001" and claim["generation"] == 1


def test_a_partners_malformed_record_fails_its_event_and_not_the_cycle(tmp_path: Path) -> None:
    """A partner record with an observer block of other field names (another software, another version):
    its event ends in a failure record, the other events of the night are still taken."""
    from trajectory import tracks_from_meteor_record

    store, night = MemoryStore(), _night(2)
    _publish_night(store, night)
    first = night["BB0001"][0]
    bad = {"meteor_id": first.meteor_id, "station": "BB0001", "observer": {"latitude": 1.0},
           "frames": [{"t_utc": "2026-07-12T01:00:00Z", "ra_deg": 1.0, "dec_deg": 2.0}] * 3}  # fmt: skip
    key = StationKeys("BB0001").meteor(DAY, first.meteor_id, "meteor.json")
    store.put_bytes(key, json.dumps(bad).encode(), content_type="application/json")

    def solver(event: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
        for record in records:
            if "observer" in record:  # the test's own records are bare; the partner's is read
                tracks_from_meteor_record(record, "record")
        return {"schema": "stationd.solution/1", "event_id": event.event_id, "revision": event.revision}

    report = _cycle(store, "AA0001", night, tmp_path, solver).run([DAY])
    assert sorted(o.state for o in report.outcomes) == ["failed", "solved"]  # before: the cycle aborted
    details = [o.detail or "" for o in report.outcomes if o.state == "failed"]
    assert any("KeyError" in d and "lat_deg" in d for d in details), details


def test_a_stop_ends_the_cycle_before_the_next_revision_and_the_next_cycle_takes_the_rest(
    tmp_path: Path,
) -> None:
    store, night, solver = MemoryStore(), _night(3), CountingSolver()
    _publish_night(store, night)
    asked = iter([False, True])
    first = _cycle(store, "AA0001", night, tmp_path, solver).run([DAY], stop=lambda: next(asked, True))
    assert first.count("solved") == 1 and len(first.outcomes) == 1
    second = _cycle(store, "AA0001", night, tmp_path, solver).run([DAY])
    assert second.count("solved") == 2 and second.count("copied") == 1
    assert len(solver.calls) == 3 and set(solver.calls.values()) == {1}
