"""Keys by construction (issue 13, item 6): hostile ids never make a key outside the station's roots."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import KeyPrefix, StationKeys, StoreConfigError, check_key, event_key

ROOTS = ("stations/XX0001/", "live/XX0001/", "events/")
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="./\\%:~ \x00\n" + string.ascii_letters, max_size=12),
    st.sampled_from(["..", ".", "", "/", "a/../b", "../XX0002", "XX0001/../../x", "..%2f", "a//b", "\u2215"]),
)

KEYS = StationKeys("XX0001")


def _built(kind: str, value: str) -> str:
    day = "2026-08-12"
    return {
        "meteor_id": lambda: KEYS.meteor(day, value, "meteor.json"),
        "file": lambda: KEYS.meteor(day, "m1", value),
        "calibration": lambda: KEYS.calibration("cam1", value),
        "live": lambda: KEYS.live(value, "meteor.json"),
        "event": lambda: event_key(day, value, "claim.json"),
        "event_part": lambda: event_key(day, "E1", value),
        "day": lambda: KEYS.day_index(value),
    }[kind]()


@pytest.mark.parametrize("kind", ["meteor_id", "file", "calibration", "live", "event", "event_part", "day"])
@given(value=HOSTILE)
def test_a_hostile_id_is_refused_or_stays_one_part_under_its_root(kind: str, value: str) -> None:
    try:
        key = _built(kind, value)
    except StoreConfigError:
        return
    assert key.startswith(ROOTS)
    assert check_key(key) == key
    if kind != "day":
        assert value in key.split("/")  # the id is exactly one part
    assert key.isascii() and "//" not in key and not key.startswith("/")


@given(station=HOSTILE)
def test_a_hostile_station_id_is_refused_or_one_part(station: str) -> None:
    try:
        keys = StationKeys(station)
    except StoreConfigError:
        return
    assert keys.status() == f"stations/{station}/status.json" and "/" not in station and station != ".."


@given(key=st.text(max_size=60))
def test_check_key_accepts_only_clean_relative_ascii_keys(key: str) -> None:
    try:
        check_key(key)
    except StoreConfigError:
        return
    parts = key.split("/")
    assert key.isascii() and all(parts) and not any(p.startswith(".") for p in parts)


def test_the_layout_of_design_6() -> None:
    assert KEYS.status() == "stations/XX0001/status.json"
    assert KEYS.day_index("2026-08-12") == "stations/XX0001/index/2026/2026-08-12.json"
    assert KEYS.day_index("2026-08-12", gzip=True) == "stations/XX0001/index/2026/2026-08-12.json.gz"
    assert KEYS.year_index(2026) == "stations/XX0001/index/2026.json.gz"
    assert KEYS.meteor("2026-08-12", "m1", "clip.mp4") == "stations/XX0001/meteors/2026-08-12/m1/clip.mp4"
    assert KEYS.calibration("cam1", "platepar.cal") == "stations/XX0001/calibration/cam1/platepar.cal"
    assert KEYS.live("m1", "stack.jpg") == "live/XX0001/m1/stack.jpg"
    assert event_key("2026-08-12", "E1", "claim-1.json") == "events/2026-08-12/E1/claim-1.json"


@pytest.mark.parametrize("day", ["2026-13-01", "2026-8-12", "20260812", "2026_08_12", "../2026-08-12"])
def test_days_are_iso_dates(day: str) -> None:
    with pytest.raises(StoreConfigError):
        KEYS.day_index(day)


def test_the_prefix_is_applied_and_stripped_in_one_place() -> None:
    assert KeyPrefix("").apply("events/x") == "events/x"
    prefix = KeyPrefix("/gmn/uk/")
    assert prefix.prefix == "gmn/uk/"
    assert prefix.apply("events/x") == "gmn/uk/events/x"
    assert prefix.strip(prefix.apply("events/x")) == "events/x"
    for bad in ("../x", "a//b", "a/.b"):
        with pytest.raises(StoreConfigError):
            KeyPrefix(bad)
