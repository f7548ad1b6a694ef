"""Partner stations' daily indexes: fetched with conditional GETs, cached, checked, turned into observations.

DESIGN 6. A station reads each partner's ``stations/<PARTNER>/index/YYYY/YYYY-MM-DD.json`` (published
by ``stationd.publish.index``; ``Content-Encoding: gzip`` when large) from the partner's store. It sends
the ETag of its cached copy (``If-None-Match``), so an unchanged index costs one small request. A
partner's index is data from another party: it is taken only when it

- is at most ``max_index_bytes`` long, compressed and decompressed (a gzip bomb stops at the limit);
- is JSON of the ``stationd.index/1`` schema (``sync/schemas/index.schema.json``);
- names the partner as its station and the day that was asked for, counts its meteors right;
- is not from the future: its day is not after today (UTC) and no meteor starts later than now plus
  ``future_margin_s``;
- lists only keys under the partner's own ``stations/<PARTNER>/`` (a key elsewhere could point the
  station at another station's objects or at the shared events area).

A rejected index is logged with its reason and reported (:class:`PartnerFetch`); the cached copy of an
earlier good version, if any, stays in use. Nothing a partner publishes can raise out of
:meth:`PartnerIndexes.fetch`, and nothing is ever written under a partner's prefix.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from sync.errors import StoreConfigError, SyncError
from sync.events import Observation
from sync.index import INDEX_SCHEMA_ID, canonical_json, index_schema
from sync.keys import StationKeys, check_key
from sync.store import NOT_MODIFIED, Store, StoredObject

__all__ = [
    "IndexRejected",
    "PartnerFetch",
    "PartnerIndexes",
    "PartnerSettings",
    "check_index",
    "observations_of_index",
    "record_keys_of_index",
]

log = logging.getLogger("sync.partners")


class IndexRejected(ValueError):
    """A partner's index that is not taken: the partner, the day and why."""

    def __init__(self, partner: str, day: str, reason: str) -> None:
        super().__init__(f"index of {partner} for {day} rejected: {reason}")
        self.partner, self.day, self.reason = partner, day, reason


@dataclass(frozen=True)
class PartnerSettings:
    """Limits on what a partner may send (a busy night's index is a few hundred KB)."""

    max_index_bytes: int = 8 * 1024 * 1024
    future_margin_s: float = 600.0

    def __post_init__(self) -> None:
        if self.max_index_bytes < 1024:
            raise ValueError(f"PartnerSettings.max_index_bytes: got {self.max_index_bytes}, expected >= 1024")
        if self.future_margin_s < 0:
            raise ValueError(f"PartnerSettings.future_margin_s: got {self.future_margin_s}, expected >= 0")


@dataclass(frozen=True)
class PartnerFetch:
    """What one fetch gave: ``status`` is ``fetched``, ``not_modified``, ``absent``, ``rejected`` or
    ``unavailable``; ``doc`` the index in use (the new one, or the cached one), ``reason`` why not taken."""

    partner: str
    day: str
    status: str
    doc: dict[str, Any] | None
    reason: str | None = None


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = index_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _decoded(data: bytes, encoding: str | None, limit: int) -> bytes:
    """The index's bytes, gunzipped when sent gzipped (or gzip by its magic), never beyond ``limit``."""
    if len(data) > limit:
        raise ValueError(f"{len(data)} bytes, more than the limit of {limit}")
    if encoding != "gzip" and not data.startswith(b"\x1f\x8b"):
        return data
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"not valid gzip ({exc})") from None
    if len(out) > limit:
        raise ValueError(f"more than {limit} bytes once decompressed")
    if not inflate.eof:
        raise ValueError("not valid gzip (truncated)")
    return out


def check_index(doc: Any, partner: str, day: str, now_utc: datetime, future_margin_s: float = 600.0) -> None:
    """Raise :class:`IndexRejected` unless ``doc`` is ``partner``'s valid index of ``day`` (see module)."""

    def refuse(reason: str) -> IndexRejected:
        return IndexRejected(partner, day, reason)

    if not isinstance(doc, dict):
        raise refuse(f"a JSON {type(doc).__name__}, expected an object")
    if doc.get("schema") != INDEX_SCHEMA_ID:
        raise refuse(f"schema {doc.get('schema')!r}, expected {INDEX_SCHEMA_ID!r}")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "<document>"
        raise refuse(f"not a stationd.index/1 document at {where}: {error.message[:200]}")
    if doc["station"]["id"] != partner:
        raise refuse(f"it names station {doc['station']['id']!r}")
    if doc["day"] != day:
        raise refuse(f"it is the index of {doc['day']}")
    if day > now_utc.date().isoformat():
        raise refuse(f"a day in the future (today is {now_utc.date().isoformat()})")
    meteors = doc["meteors"]
    if doc["n_meteors"] != len(meteors):
        raise refuse(f"n_meteors {doc['n_meteors']} but {len(meteors)} meteors listed")
    latest = now_utc + timedelta(seconds=future_margin_s)
    root = StationKeys(partner).root
    for m in meteors:
        if _utc(m["start_utc"]) > latest:
            raise refuse(f"meteor {m['meteor_id']} starts at {m['start_utc']}, in the future")
        if _utc(m["end_utc"]) < _utc(m["start_utc"]):
            raise refuse(f"meteor {m['meteor_id']} ends before it starts")
        try:
            check_key(m["key"])
        except StoreConfigError as exc:
            raise refuse(f"meteor {m['meteor_id']}: {exc}") from None
        if not m["key"].startswith(root):
            raise refuse(f"meteor {m['meteor_id']}: key {m['key']!r} is outside {root}")


def observations_of_index(doc: dict[str, Any]) -> list[Observation]:
    """One :class:`~sync.events.Observation` per meteor of a (checked) index: begin/end az/alt when
    calibrated, else times and site only."""
    s = doc["station"]
    out = []
    for m in doc["meteors"]:
        begin, end = m.get("begin"), m.get("end")
        sky = isinstance(begin, dict) and isinstance(end, dict)
        out.append(
            Observation(
                station=s["id"],
                camera=m["camera"],
                meteor_id=m["meteor_id"],
                lat_deg=float(s["lat_deg"]),
                lon_deg=float(s["lon_deg"]),
                elevation_m=float(s["elevation_m"]),
                start_utc=_utc(m["start_utc"]),
                end_utc=_utc(m["end_utc"]),
                begin_az_deg=begin["az_deg"] if sky else None,
                begin_alt_deg=begin["alt_deg"] if sky else None,
                end_az_deg=end["az_deg"] if sky else None,
                end_alt_deg=end["alt_deg"] if sky else None,
            )
        )
    return out


def record_keys_of_index(doc: dict[str, Any]) -> dict[str, str]:
    """``<station>/<meteor_id>`` (an observation's key) -> the object key of its full record."""
    station = doc["station"]["id"]
    return {f"{station}/{m['meteor_id']}": m["key"] for m in doc["meteors"]}


class PartnerIndexes:
    """Fetches and caches partners' daily indexes under ``cache_dir/<PARTNER>/<day>.json`` (+ ``.etag``).

    Settings here; the store, partner and day in the call; the clock injected (``now_utc``).
    """

    def __init__(
        self,
        cache_dir: Path,
        now_utc: Callable[[], datetime],
        settings: PartnerSettings | None = None,
    ) -> None:
        self.cache_dir, self.now_utc = cache_dir, now_utc
        self.settings = settings or PartnerSettings()

    def _paths(self, partner: str, day: str) -> tuple[Path, Path]:
        folder = self.cache_dir / StationKeys(partner).station
        return folder / f"{day}.json", folder / f"{day}.etag"

    def cached(self, partner: str, day: str) -> tuple[dict[str, Any] | None, str | None]:
        """The cached index (checked again: the cache is a file like any other) and its ETag."""
        doc_path, etag_path = self._paths(partner, day)
        try:
            doc = json.loads(doc_path.read_bytes())
            etag = etag_path.read_text(encoding="ascii").strip() or None
            check_index(doc, partner, day, self.now_utc(), self.settings.future_margin_s)
        except (OSError, ValueError):
            return None, None
        return doc, etag

    def _keep(self, partner: str, day: str, doc: dict[str, Any], etag: str) -> None:
        doc_path, etag_path = self._paths(partner, day)
        doc_path.parent.mkdir(parents=True, exist_ok=True)
        for path, data in ((doc_path, canonical_json(doc)), (etag_path, etag.encode("ascii", "replace"))):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)

    def fetch(self, store: Store, partner: str, day: str) -> PartnerFetch:
        """Partner's index of ``day``: fetched when changed, else the cached copy; never raises for what
        the partner published or for a store that does not answer (``status`` says what happened)."""
        cached, etag = self.cached(partner, day)
        key = StationKeys(partner).day_index(day)
        try:
            found = store.get(key, if_none_match=etag)
        except SyncError as exc:
            log.warning("partner %s, %s: the store did not answer (%s); cached copy kept", partner, day, exc)
            return PartnerFetch(partner, day, "unavailable", cached, str(exc))
        if found is NOT_MODIFIED:
            return PartnerFetch(partner, day, "not_modified", cached)
        if not isinstance(found, StoredObject):
            return PartnerFetch(partner, day, "absent", cached)
        try:
            raw = _decoded(found.data, found.content_encoding, self.settings.max_index_bytes)
            try:
                doc = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise IndexRejected(partner, day, f"malformed JSON ({exc})") from None
            check_index(doc, partner, day, self.now_utc(), self.settings.future_margin_s)
        except IndexRejected as exc:
            log.warning("%s; %s", exc, "cached copy kept" if cached else "no cached copy")
            return PartnerFetch(partner, day, "rejected", cached, exc.reason)
        except (ValueError, RecursionError) as exc:
            log.warning("index of %s for %s rejected: %s", partner, day, exc)
            return PartnerFetch(partner, day, "rejected", cached, str(exc))
        self._keep(partner, day, doc, found.etag)
        return PartnerFetch(partner, day, "fetched", doc)

    def fetch_all(
        self, stores: Callable[[str], Store], partners: Iterable[str], days: Iterable[str]
    ) -> list[PartnerFetch]:
        """Every partner's index of every day (``stores`` gives the store a partner publishes to)."""
        days = list(days)
        return [self.fetch(stores(p), p, d) for p in partners for d in days]
