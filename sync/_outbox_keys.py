"""Object keys of what a station publishes (DESIGN 6), built in one place and checked.

A stand-in for ``sync.keys`` (the key builder of the store work): the outbox, the index and the heartbeat
build every key through these functions, so the merge replaces one module. Keys are relative to the
store's configured prefix::

    stations/<STATION>/status.json
    stations/<STATION>/index/YYYY/YYYY-MM-DD.json       (gzip body with Content-Encoding when large)
    stations/<STATION>/index/YYYY.json.gz
    stations/<STATION>/meteors/YYYY-MM-DD/<meteor_id>/<file>
    stations/<STATION>/calibration/<camera>/<sha256 12 hex>/<file>   (content-addressed: never replaced)
    stations/<STATION>/exports/YYYY-MM-DD/<file>
    live/<STATION>/YYYY-MM-DD/<meteor_id>/<file>
"""

from __future__ import annotations

import re

from sync.errors import StoreConfigError

_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_key(key: str) -> str:
    """``key`` when it is a valid key: ASCII parts of letters, digits and ``_.-``, no empty part, no
    ``.``/``..``, no leading ``/``; else :class:`StoreConfigError` naming it."""
    parts = key.split("/")
    if not key.isascii() or any(p in (".", "..") or not _PART.fullmatch(p) for p in parts):
        raise StoreConfigError(f"invalid object key {key!r}")
    return key


def _day(day: str) -> str:
    if not _DAY.fullmatch(day):
        raise StoreConfigError(f"invalid day {day!r} in an object key (expected YYYY-MM-DD)")
    return day


def station_prefix(station: str) -> str:
    """``stations/<STATION>/``: everything of the station but its live events."""
    return check_key(f"stations/{station}") + "/"


def live_prefix(station: str) -> str:
    """``live/<STATION>/``: the station's bright events."""
    return check_key(f"live/{station}") + "/"


def owned_by(station: str, key: str) -> bool:
    """Whether ``key`` lies under the station's own prefixes (the only keys it may replace or delete)."""
    check_key(key)
    return key.startswith((station_prefix(station), live_prefix(station)))


def meteor_prefix(station: str, day: str, meteor_id: str) -> str:
    """The folder of one meteor's objects (with the trailing ``/``: ``_2`` ids are other folders)."""
    return check_key(f"stations/{station}/meteors/{_day(day)}/{meteor_id}") + "/"


def meteor_key(station: str, day: str, meteor_id: str, name: str) -> str:
    """``stations/<STATION>/meteors/<day>/<meteor_id>/<name>``."""
    return check_key(meteor_prefix(station, day, meteor_id) + name)


def live_meteor_prefix(station: str, day: str, meteor_id: str) -> str:
    """The folder of one bright event under ``live/<STATION>/``."""
    return check_key(f"live/{station}/{_day(day)}/{meteor_id}") + "/"


def live_key(station: str, day: str, meteor_id: str, name: str) -> str:
    """``live/<STATION>/<day>/<meteor_id>/<name>``."""
    return check_key(live_meteor_prefix(station, day, meteor_id) + name)


def day_index_key(station: str, day: str) -> str:
    """``stations/<STATION>/index/YYYY/YYYY-MM-DD.json``."""
    return check_key(f"stations/{station}/index/{_day(day)[:4]}/{day}.json")


def year_index_key(station: str, year: int) -> str:
    """``stations/<STATION>/index/YYYY.json.gz``."""
    return check_key(f"stations/{station}/index/{year:04d}.json.gz")


def status_key(station: str) -> str:
    """``stations/<STATION>/status.json``: the heartbeat."""
    return check_key(f"stations/{station}/status.json")


def calibration_key(station: str, camera: str, sha256_12: str, name: str) -> str:
    """``stations/<STATION>/calibration/<camera>/<sha256_12>/<name>``: one plate solution, by content."""
    return check_key(f"stations/{station}/calibration/{camera}/{sha256_12}/{name}")


def export_prefix(station: str, day: str) -> str:
    """``stations/<STATION>/exports/<day>/``: the night's exports for other networks."""
    return check_key(f"stations/{station}/exports/{_day(day)}") + "/"


def export_key(station: str, day: str, name: str) -> str:
    """``stations/<STATION>/exports/<day>/<name>`` (FTPdetectinfo, platepars of the night)."""
    return check_key(export_prefix(station, day) + name)
