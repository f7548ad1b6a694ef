"""Object keys, built in one place (DESIGN 6): nothing else in ``sync`` writes a key by hand.

::

    stations/<STATION>/status.json                          heartbeat and health
    stations/<STATION>/index/YYYY/YYYY-MM-DD.json[.gz]       daily index
    stations/<STATION>/index/YYYY.json.gz                    yearly roll-up
    stations/<STATION>/meteors/YYYY-MM-DD/<meteor_id>/<file> meteor.json, stack.jpg, clip.mp4
    stations/<STATION>/calibration/<part>/...                plate solutions
    stations/<STATION>/exports/YYYY-MM-DD/<file>             FTPdetectinfo and platepars of a night
    live/<STATION>/<part>/...                                bright events
    events/YYYY-MM-DD/<event_id>/<part>/...                  claims, solutions, failures (shared area)

:class:`StationKeys` can only produce keys under those roots: every id it is given must be one key part
(:func:`check_part`), so no id can add a ``/``, a ``..`` or an empty part. :func:`check_key` is the rule
every backend applies to any key it is handed (ASCII letters, digits, ``._-``; parts separated by single
``/``; no part empty, none starting with ``.``; no leading or trailing ``/``), and :class:`KeyPrefix` is the
one place the configured prefix is put on (and taken off) a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sync.errors import StoreConfigError

__all__ = [
    "KeyPrefix",
    "MAX_KEY_BYTES",
    "StationKeys",
    "check_key",
    "check_part",
    "check_prefix",
    "event_key",
]

MAX_KEY_BYTES = 1024
"""S3's limit on a key (UTF-8 bytes); our keys are ASCII, so characters."""

_MAX_PART = 255  # a file name on the local backend
_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def check_part(part: str, what: str = "key part") -> str:
    """``part`` when it is one valid key part (ASCII letters, digits, ``._-``, not starting with ``.``).

    Raises
    ------
    StoreConfigError
        Naming ``what`` and the refused value (ids are not secrets).
    """
    if not isinstance(part, str) or len(part) > _MAX_PART or not _PART.fullmatch(part):
        raise StoreConfigError(
            f"invalid {what} {part!r}: expected ASCII letters, digits and ._- (not starting with '.')"
        )
    return part


def check_key(key: str) -> str:
    """``key`` when it is a valid object key (parts of :func:`check_part` joined by single ``/``)."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_BYTES:
        raise StoreConfigError(f"invalid key {key!r}: expected 1 to {MAX_KEY_BYTES} ASCII characters")
    for part in key.split("/"):
        check_part(part, f"part of key {key!r}:")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, whole parts ending in ``/``, or whole parts and the start of a last part."""
    if prefix == "":
        return prefix
    head, _, last = prefix.rpartition("/")
    if head:
        check_key(head)
    if last:
        if not re.fullmatch(r"[A-Za-z0-9._-]*", last) or last.startswith("."):
            raise StoreConfigError(f"invalid listing prefix {prefix!r}")
    elif not head:
        raise StoreConfigError(f"invalid listing prefix {prefix!r}: it starts with '/'")
    return prefix


@dataclass(frozen=True)
class KeyPrefix:
    """The configured prefix of every object of this station's store (``storage.prefix``), e.g. ``gmn/``.

    The one place a prefix is applied: backends call :meth:`apply` on the way out and :meth:`strip` on keys
    they list, so the rest of ``sync`` only sees keys as :class:`StationKeys` builds them.
    """

    prefix: str = ""

    def __post_init__(self) -> None:
        stripped = self.prefix.strip("/")
        if stripped:
            check_key(stripped)
        object.__setattr__(self, "prefix", f"{stripped}/" if stripped else "")

    def apply(self, key: str) -> str:
        """The stored name of ``key`` (checked)."""
        return self.prefix + check_key(key)

    def apply_listing(self, prefix: str) -> str:
        """The stored form of a listing prefix (checked)."""
        return self.prefix + check_prefix(prefix)

    def strip(self, stored: str) -> str:
        """The key of a stored name (the inverse of :meth:`apply`)."""
        if not stored.startswith(self.prefix):
            raise StoreConfigError(f"stored name {stored!r} is outside the prefix {self.prefix!r}")
        return stored[len(self.prefix) :]


def _day(day: date | str) -> str:
    text = day.isoformat() if isinstance(day, date) else day
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        raise StoreConfigError(f"invalid day {day!r}: expected YYYY-MM-DD") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise StoreConfigError(f"invalid day {day!r}: expected YYYY-MM-DD")
    return text


@dataclass(frozen=True)
class StationKeys:
    """The keys of one station (its own, or a partner's when reading its index).

    >>> keys = StationKeys("XX0001")
    >>> keys.meteor("2026-08-12", "XX0001_cam1_20260812_221506_120", "meteor.json")
    'stations/XX0001/meteors/2026-08-12/XX0001_cam1_20260812_221506_120/meteor.json'
    >>> keys.day_index("2026-08-12", gzip=True)
    'stations/XX0001/index/2026/2026-08-12.json.gz'
    """

    station: str

    def __post_init__(self) -> None:
        check_part(self.station, "station id")

    @property
    def root(self) -> str:
        """``stations/<STATION>/``: everything this station owns (a listing prefix)."""
        return f"stations/{self.station}/"

    @property
    def live_root(self) -> str:
        """``live/<STATION>/``: this station's bright events (a listing prefix)."""
        return f"live/{self.station}/"

    def status(self) -> str:
        """The heartbeat object."""
        return f"{self.root}status.json"

    def day_index(self, day: date | str, *, gzip: bool = False) -> str:
        """The daily meteor index of ``day`` (``.json.gz`` when gzipped)."""
        text = _day(day)
        return f"{self.root}index/{text[:4]}/{text}.json{'.gz' if gzip else ''}"

    def year_index(self, year: int) -> str:
        """The yearly roll-up of the daily indexes."""
        if not isinstance(year, int) or isinstance(year, bool) or not 1 <= year <= 9999:
            raise StoreConfigError(f"invalid year {year!r}: expected an integer 1..9999")
        return f"{self.root}index/{year:04d}.json.gz"

    def meteor_prefix(self, day: date | str, meteor_id: str) -> str:
        """The folder of one meteor's objects (a listing prefix, ends with ``/``)."""
        return f"{self.root}meteors/{_day(day)}/{check_part(meteor_id, 'meteor id')}/"

    def meteor(self, day: date | str, meteor_id: str, name: str) -> str:
        """One file of a meteor (``meteor.json``, ``stack.jpg``, ``clip.mp4``, ``clip_hd.mp4``...)."""
        return self.meteor_prefix(day, meteor_id) + check_part(name, "file name")

    def live_meteor_prefix(self, day: date | str, meteor_id: str) -> str:
        """The folder of one bright event's objects under ``live/<STATION>/`` (a listing prefix)."""
        return f"{self.live_root}{_day(day)}/{check_part(meteor_id, 'meteor id')}/"

    def export_prefix(self, day: date | str) -> str:
        """``stations/<STATION>/exports/<day>/``: the night's exports for other networks (FTPdetectinfo,
        platepars)."""
        return f"{self.root}exports/{_day(day)}/"

    def export(self, day: date | str, relative: str) -> str:
        """One export of a night; ``relative`` is its path in the night's exports folder (``a/b`` allowed)."""
        return self._under(self.export_prefix(day)[:-1] + "/", tuple(relative.split("/")))

    def owns(self, key: str) -> bool:
        """Whether ``key`` is under this station's own roots (the only keys it may replace or delete)."""
        return check_key(key).startswith((self.root, self.live_root))

    def calibration(self, *parts: str) -> str:
        """A calibration object, e.g. ``calibration("cam1", "platepar_cmn2010.cal")``."""
        return self._under(f"{self.root}calibration/", parts)

    def live(self, *parts: str) -> str:
        """A bright event's object, e.g. ``live(meteor_id, "meteor.json")``."""
        return self._under(self.live_root, parts)

    @staticmethod
    def _under(root: str, parts: tuple[str, ...]) -> str:
        if not parts:
            raise StoreConfigError(f"a key under {root!r} needs at least one part")
        return check_key(root + "/".join(check_part(p) for p in parts))


def event_key(day: date | str, event_id: str, *parts: str) -> str:
    """An object of the shared events area: ``events/YYYY-MM-DD/<event_id>/<part>/...``."""
    root = f"events/{_day(day)}/{check_part(event_id, 'event id')}/"
    return StationKeys._under(root, parts)
