"""The checkout protocol on a store: claims, leases, take-over, write-once results, racing stations."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.checkout import Checkout, CheckoutSettings, ClaimRefused, Revision
from sync.store import NOT_MODIFIED, ObjectInfo, StoredObject


class DictStore:
    """The smallest store with the contract's semantics (create-if-absent under a lock)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def _info(self, key: str) -> ObjectInfo:
        return ObjectInfo(key, len(self.objects[key]), hashlib.md5(self.objects[key]).hexdigest())

    def put_file(self, key: str, path: Path, **_: object) -> ObjectInfo:
        return self.put_bytes(key, path.read_bytes())

    def put_bytes(self, key: str, data: bytes, **_: object) -> ObjectInfo:
        with self.lock:
            self.objects[key] = data
            return self._info(key)

    def create_if_absent(self, key: str, data: bytes, **_: object) -> bool:
        with self.lock:
            if key in self.objects:
                return False
            self.objects[key] = data
            return True

    def get(self, key: str, *, if_none_match: str | None = None) -> StoredObject | object | None:
        with self.lock:
            if key not in self.objects:
                return None
            info = self._info(key)
            if if_none_match == info.etag:
                return NOT_MODIFIED
            return StoredObject(key, self.objects[key], info.etag)

    def head(self, key: str) -> ObjectInfo | None:
        with self.lock:
            return self._info(key) if key in self.objects else None

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        with self.lock:
            infos = [self._info(k) for k in sorted(self.objects) if k.startswith(prefix)]
        yield from infos

    def delete(self, key: str) -> None:
        with self.lock:
            self.objects.pop(key, None)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 13, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


REV = Revision("2026-07-12", "20260712_222508_5fd197", "0123456789ab")
SETTINGS = CheckoutSettings(lease_s=600, margin_s=120)


def _stations(store: DictStore, clock: FakeClock, *names: str) -> list[Checkout]:
    return [Checkout(store, name, clock, SETTINGS) for name in names]  # type: ignore[arg-type]


def test_one_claim_then_others_wait_for_the_lease() -> None:
    store, clock = DictStore(), FakeClock()
    a, b = _stations(store, clock, "AA0001", "BB0001")
    claim = a.claim(REV)
    assert claim is not None and claim.generation == 1
    assert b.claim(REV) is None
    clock.advance(600 + 60)  # expired, but within the clock margin
    assert b.claim(REV) is None
    clock.advance(61)
    taken = b.claim(REV)
    assert taken is not None and taken.generation == 2 and taken.owner == "BB0001"
    assert a.renew(claim) is None  # a learns that its claim was taken over


def test_renewal_keeps_the_lease_alive() -> None:
    store, clock = DictStore(), FakeClock()
    a, b = _stations(store, clock, "AA0001", "BB0001")
    claim = a.claim(REV)
    assert claim is not None
    for _ in range(5):
        clock.advance(400)
        claim = a.renew(claim)
        assert claim is not None
        assert b.claim(REV) is None
    assert a.state(REV).generation == 1


def test_solution_is_written_once_and_ends_the_revision() -> None:
    store, clock = DictStore(), FakeClock()
    a, b = _stations(store, clock, "AA0001", "BB0001")
    slow = a.claim(REV)
    assert slow is not None
    clock.advance(800)
    fast = b.claim(REV)
    assert fast is not None
    assert b.publish_solution(fast, {"schema": "stationd.solution/1", "v_init_m_s": 30000.0})
    assert not a.publish_solution(slow, {"schema": "stationd.solution/1", "v_init_m_s": 31000.0})  # wasted
    assert a.solution(REV) is not None and a.solution(REV)["solved_by"] == "BB0001"  # type: ignore[index]
    assert a.claim(REV) is None and a.state(REV).done
    assert not a.publish_failure(slow, "late")


def test_failure_is_write_once_and_ends_the_revision() -> None:
    store, clock = DictStore(), FakeClock()
    (a,) = _stations(store, clock, "AA0001")
    claim = a.claim(REV)
    assert claim is not None and a.publish_failure(claim, "too few points")
    assert a.state(REV).failed and a.claim(REV) is None


def test_a_station_without_a_synchronised_clock_does_not_claim() -> None:
    (a,) = _stations(DictStore(), FakeClock(), "AA0001")
    with pytest.raises(ClaimRefused, match="not synchronised"):
        a.claim(REV, clock_synchronised=False)


def test_a_restarted_owner_resumes_its_own_live_claim() -> None:
    store, clock = DictStore(), FakeClock()
    a, b = _stations(store, clock, "AA0001", "BB0001")
    first = a.claim(REV)
    clock.advance(100)
    again = Checkout(store, "AA0001", clock, SETTINGS).claim(REV)  # type: ignore[arg-type]
    assert first is not None and again is not None and again.generation == first.generation
    assert again.expires_utc > first.expires_utc and b.claim(REV) is None


def test_an_unreadable_claim_is_taken_over() -> None:
    store, clock = DictStore(), FakeClock()
    (a,) = _stations(store, clock, "AA0001")
    store.put_bytes(REV.claim_key(1), b"{not json")
    claim = a.claim(REV)
    assert claim is not None and claim.generation == 2


def test_racing_stations_one_winner_per_generation() -> None:
    store, clock = DictStore(), FakeClock()
    stations = _stations(store, clock, *(f"ST{i:04d}" for i in range(8)))
    barrier = threading.Barrier(len(stations))
    won: list[str] = []

    def race(c: Checkout) -> None:
        barrier.wait()
        if c.claim(REV) is not None:
            won.append(c.station)

    threads = [threading.Thread(target=race, args=(c,)) for c in stations]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(won) == 1
    assert [k for k in store.objects if "claim-" in k] == [REV.claim_key(1)]


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="margin_s"):
        CheckoutSettings(lease_s=60, margin_s=60)
