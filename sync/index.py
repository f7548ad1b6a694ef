"""The daily meteor index (``stationd.index/1``, DESIGN 4) and its yearly roll-up: records in, JSON out.

A day's index names the station (id, location), its cameras with the summary of the plate solution that
calibrates them, and one entry per meteor: id, camera, times, begin and end points on the sky (az/alt of
date and RA/Dec J2000, once calibrated), peak magnitude, fireball flag and the key of its full record.
Partner stations read these indexes to find the meteors they saw too (DESIGN 6).

The index is a pure function of the day's records, written as canonical JSON (sorted keys, fixed
separators), so the same records give the same bytes and the outbox sends nothing new when nothing
changed. Large indexes are gzip-compressed (``mtime=0``: deterministic too) and sent with
``Content-Encoding: gzip``. The yearly roll-up (``stationd.index-year/1``) holds every day's entries of a
year; :func:`update_year` replaces one day's part, so a change rewrites its day and the roll-up, nothing
else. Schema: ``sync/schemas/index.schema.json`` (the roll-up is its ``$defs/year``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

INDEX_SCHEMA_ID = "stationd.index/1"
YEAR_SCHEMA_ID = "stationd.index-year/1"
GZIP_MIN_BYTES = 32 * 1024
"""An index at least this large is sent gzip-compressed (a quiet night's index is a few KB)."""

_SKY = ("az_deg", "alt_deg", "ra_deg", "dec_deg")


@dataclass(frozen=True)
class StationInfo:
    """The station's id and location (WGS84 latitude and longitude, elevation above mean sea level)."""

    id: str
    lat_deg: float
    lon_deg: float
    elevation_m: float

    def to_json(self) -> dict[str, Any]:
        """The index's ``station`` block."""
        return {
            "id": self.id,
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "elevation_m": self.elevation_m,
        }


@dataclass(frozen=True)
class CameraInfo:
    """A camera as the index lists it: frame rate, size and its calibration (the meteor record's
    ``calibration`` block of its current plate solution, or None)."""

    id: str
    fps: float
    width_px: int
    height_px: int
    calibration: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """One entry of the index's ``cameras``."""
        return {
            "id": self.id,
            "fps": self.fps,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "calibration": self.calibration,
        }


def _sky_point(frame: dict[str, Any]) -> dict[str, float] | None:
    if not all(k in frame for k in _SKY):
        return None
    return {k: frame[k] for k in _SKY}


def meteor_entry(record: dict[str, Any], key: str) -> dict[str, Any]:
    """The index entry of one ``stationd.meteor/1`` record whose object key is ``key``.

    ``begin`` and ``end`` are the sky positions of the first and last frames (None before calibration);
    ``peak_mag`` is the smallest magnitude of any frame (None when no frame has one).
    """
    frames = record["frames"]
    mags = [f["mag"] for f in frames if "mag" in f]
    calibration = record.get("calibration")
    return {
        "meteor_id": record["meteor_id"],
        "camera": record["camera"],
        "start_utc": record["start_utc"],
        "end_utc": record["end_utc"],
        "duration_s": record["duration_s"],
        "n_frames": len(frames),
        "begin": _sky_point(frames[0]),
        "end": _sky_point(frames[-1]),
        "peak_mag": min(mags) if mags else None,
        "fireball": bool(record.get("fireball", False)),
        "calibration": calibration.get("solution_id") if isinstance(calibration, dict) else None,
        "key": key,
    }


def day_index(
    station: StationInfo,
    cameras: Iterable[CameraInfo],
    day: str,
    records: Iterable[dict[str, Any]],
    key_of: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """The ``stationd.index/1`` document of ``day``: meteors in time order, then by id."""
    entries = sorted(
        (meteor_entry(r, key_of(r)) for r in records), key=lambda e: (e["start_utc"], e["meteor_id"])
    )
    return {
        "schema": INDEX_SCHEMA_ID,
        "station": station.to_json(),
        "day": day,
        "cameras": [c.to_json() for c in sorted(cameras, key=lambda c: c.id)],
        "n_meteors": len(entries),
        "n_fireballs": sum(1 for e in entries if e["fireball"]),
        "meteors": entries,
    }


def canonical_json(doc: dict[str, Any]) -> bytes:
    """The one byte form of a document: sorted keys, no spaces, UTF-8, a final newline."""
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n").encode()


def encode_index(doc: dict[str, Any], gzip_min_bytes: int = GZIP_MIN_BYTES) -> tuple[bytes, str | None]:
    """The bytes to publish and their content encoding: gzip (deterministic) from ``gzip_min_bytes``."""
    data = canonical_json(doc)
    if len(data) < gzip_min_bytes:
        return data, None
    return gzip.compress(data, compresslevel=6, mtime=0), "gzip"


def decode_index(data: bytes, content_encoding: str | None) -> dict[str, Any]:
    """A published index (daily or yearly) back as a document."""
    raw = gzip.decompress(data) if content_encoding == "gzip" else data
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError("an index is a JSON object")
    return doc


def update_year(previous: dict[str, Any] | None, day_doc: dict[str, Any], day_key: str) -> dict[str, Any]:
    """The roll-up of a year with ``day_doc`` (a day's index, published as ``day_key``) in place of that
    day's earlier part; a day without meteors leaves the roll-up."""
    day = day_doc["day"]
    days = dict(previous["days"]) if previous is not None else {}
    if day_doc["meteors"]:
        days[day] = {"key": day_key, "n_meteors": day_doc["n_meteors"], "meteors": day_doc["meteors"]}
    else:
        days.pop(day, None)
    return {
        "schema": YEAR_SCHEMA_ID,
        "station": day_doc["station"],
        "year": int(day[:4]),
        "cameras": day_doc["cameras"],
        "n_meteors": sum(d["n_meteors"] for d in days.values()),
        "days": dict(sorted(days.items())),
    }


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("sync.schemas").joinpath(name).read_text(encoding="utf-8")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise TypeError(f"{name} holds a {type(schema).__name__}, expected a JSON object")
    return schema


def index_schema() -> dict[str, Any]:
    """The JSON schema of a day's index (draft 2020-12), a fresh dict."""
    return _schema("index.schema.json")


def year_schema() -> dict[str, Any]:
    """The JSON schema of the yearly roll-up (``$defs/year`` of the index's schema), standalone."""
    schema = index_schema()
    return {
        "$schema": schema["$schema"],
        "title": "stationd.index-year/1",
        "$defs": schema["$defs"],
        "$ref": "#/$defs/year",
    }
