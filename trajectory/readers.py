"""Readers of observation files: meteor records (``stationd.meteor/1``) and the event files of other
networks and solvers, each turned into :class:`~trajectory.observations.Track` objects.

Formats (recognised by their content, not their names; :func:`read_tracks` takes any mix):

``stationd.meteor/1`` (meteor.json)
    The network's exchange format: ``observer`` block (``lat_deg``, ``lon_deg``, ``elevation_m`` above mean
    sea level) and frames with ``t_utc``, ``ra_deg``/``dec_deg`` (J2000) and ``mag``. Frames without sky
    columns are left out; a record with none cannot be used.
Reference-solver trajectory export (JSON with ``observations`` and ``jdt_ref``, at the top or in ``solution``)
    One entry per camera: ``lat_deg``, ``lon_deg``, ``ele_m_msl``, ``time_s_rel_jdt_ref``, the measurements
    ``meas1_deg``/``meas2_deg`` (az/alt or RA/Dec of date, recognised by the column pair they repeat; the
    other pair is derived and left aside), ``magnitudes``. Its ``ignore_station``/``ignore_list`` flags are
    not obeyed: rejecting points and stations is the solver's own job.
Reference-solver test event (JSON with ``jdt_ref``, ``meastype`` 1 and a ``stations`` list)
    ``time_s`` after ``jdt_ref``, ``ra_deg``/``dec_deg`` of date, ``ele_m`` above mean sea level.
Per-point event (JSON with a ``stations`` mapping and a ``points`` list)
    Each point: ``station_id``, ``jd`` (UTC), ``ra_deg_epoch_of_date``, ``dec_deg_epoch_of_date``,
    ``app_mag``.
Desert Fireball Network astrometry (ECSV)
    Meta ``obs_latitude``, ``obs_longitude``, ``obs_elevation`` (m); columns ``datetime`` (UTC), ``azimuth``,
    ``altitude`` (deg) and their ``err_plus_*`` uncertainties, whose median becomes the camera's sigma.
Croatian Meteor Network ``M_*.txt``
    ``Station_Code``, ``Long``/``Lati`` with E/W, N/S, ``Height`` (m), then rows of JD (UTC), RA, Dec
    (J2000, deg) and magnitude.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trajectory.errors import ObservationFormatError
from trajectory.observations import AltAzOfDate, RaDecJ2000, RaDecOfDate, Station, Track

__all__ = ["jd_to_utc", "read_tracks", "tracks_from_json", "tracks_from_meteor_record"]

_JD_UNIX_EPOCH = 2440587.5
_US_PER_DAY = 86_400_000_000


def jd_to_utc(jd: np.ndarray | float, seconds_after: np.ndarray | float = 0.0) -> np.ndarray:
    """UTC ``datetime64[us]`` of Julian dates (UTC) plus optional seconds (kept apart for precision)."""
    jd_arr = np.atleast_1d(np.asarray(jd, dtype=float))
    whole = np.floor(jd_arr - _JD_UNIX_EPOCH)
    frac_us = np.round((jd_arr - _JD_UNIX_EPOCH - whole) * _US_PER_DAY)
    extra_us = np.round(np.asarray(seconds_after, dtype=float) * 1e6)
    us = whole.astype(np.int64) * _US_PER_DAY + (frac_us + extra_us).astype(np.int64)
    return np.datetime64(0, "us") + us.astype("timedelta64[us]")


def _need(record: dict[str, Any], key: str, source: str) -> Any:
    try:
        return record[key]
    except (KeyError, TypeError):
        raise ObservationFormatError(source, f"missing key {key!r}") from None


def tracks_from_meteor_record(record: dict[str, Any], source: str = "meteor.json") -> list[Track]:
    """The track of one calibrated meteor record (``stationd.meteor/1``)."""
    observer = record.get("observer")
    if not observer:
        raise ObservationFormatError(source, "no 'observer' block: the record is not calibrated")
    frames = [f for f in _need(record, "frames", source) if "ra_deg" in f and "dec_deg" in f]
    if len(frames) < 2:
        raise ObservationFormatError(source, f"{len(frames)} frames with ra_deg/dec_deg (need 2)")
    station = Station(
        str(_need(record, "station", source)),
        float(observer["lat_deg"]),
        float(observer["lon_deg"]),
        float(observer["elevation_m"]),
    )
    t = np.array([f["t_utc"].rstrip("Z") for f in frames], dtype="datetime64[us]")
    mags = [f.get("mag") for f in frames]
    mag = np.array(mags, dtype=float) if all(m is not None for m in mags) else None
    ra = np.array([f["ra_deg"] for f in frames], dtype=float)
    dec = np.array([f["dec_deg"] for f in frames], dtype=float)
    camera = str(record.get("meteor_id") or record.get("camera") or "")
    return [Track(station, t, RaDecJ2000(ra, dec), camera=camera, mag=mag)]


def _export_tracks(doc: dict[str, Any], source: str) -> list[Track]:
    # The reference time is at the top (inputs-only files) or in the solution block (exported results).
    jdt_ref = float(doc["jdt_ref"] if "jdt_ref" in doc else doc["solution"]["jdt_ref"])
    tracks = []
    for i, obs in enumerate(doc["observations"]):
        station = Station(str(obs["station_id"]), obs["lat_deg"], obs["lon_deg"], obs["ele_m_msl"])
        t = jd_to_utc(jdt_ref, np.asarray(obs["time_s_rel_jdt_ref"], dtype=float))
        dirs = _measured_directions(obs)
        mag = np.asarray(obs["magnitudes"], dtype=float) if obs.get("magnitudes") else None
        tracks.append(Track(station, t, dirs, camera=_camera_name(obs, i), mag=mag))
    return tracks


def _measured_directions(obs: dict[str, Any]) -> AltAzOfDate | RaDecOfDate:
    """The directions the camera measured (``meas1``/``meas2``): az/alt or RA/Dec of date, whichever
    columns they repeat; the other pair was derived by the exporting solver (for one reference time, not
    each point's: up to a minute of arc off on a 5 s fireball)."""
    m1, m2 = np.asarray(obs["meas1_deg"], dtype=float), np.asarray(obs["meas2_deg"], dtype=float)

    def repeats(key1: str, key2: str) -> bool:
        if obs.get(key1) is None or obs.get(key2) is None:
            return False
        a, b = np.asarray(obs[key1], dtype=float), np.asarray(obs[key2], dtype=float)
        return a.shape == m1.shape and bool(np.allclose(m1, a, atol=1e-6) and np.allclose(m2, b, atol=1e-6))

    if repeats("azim_deg_E_of_N", "elev_deg"):
        return AltAzOfDate(m1, m2)
    if repeats("ra_deg_epoch_of_date", "dec_deg_epoch_of_date"):
        return RaDecOfDate(m1, m2)
    raise ValueError("meas1_deg/meas2_deg repeat neither the az/alt nor the RA/Dec of date columns")


def _camera_name(obs: dict[str, Any], index: int) -> str:
    """The FF/FR file of the observation when its comment names one, else its index in the file."""
    try:
        ff = json.loads(obs.get("comment") or "{}").get("ff_name", "")
    except (json.JSONDecodeError, AttributeError):
        ff = ""
    return str(ff).rsplit(".", 1)[0] or str(index)


def _test_event_tracks(doc: dict[str, Any], source: str) -> list[Track]:
    if doc.get("meastype") != 1:
        raise ObservationFormatError(
            source, f"meastype {doc.get('meastype')!r}: only 1 (RA/Dec of date) is read"
        )
    jdt_ref = float(doc["jdt_ref"])
    tracks = []
    for st in doc["stations"]:
        station = Station(str(st["station_id"]), st["lat_deg"], st["lon_deg"], st["ele_m"])
        t = jd_to_utc(jdt_ref, np.asarray(st["time_s"], dtype=float))
        tracks.append(Track(station, t, RaDecOfDate(np.asarray(st["ra_deg"]), np.asarray(st["dec_deg"]))))
    return tracks


def _point_list_tracks(doc: dict[str, Any], source: str) -> list[Track]:
    tracks = []
    for sid, where in doc["stations"].items():
        pts = sorted((p for p in doc["points"] if p["station_id"] == sid), key=lambda p: float(p["jd"]))
        if not pts:
            continue
        station = Station(str(sid), where["lat_deg"], where["lon_deg"], where["ele_m"])
        t = jd_to_utc(np.array([p["jd"] for p in pts], dtype=float))
        ra = np.array([p["ra_deg_epoch_of_date"] for p in pts], dtype=float)
        dec = np.array([p["dec_deg_epoch_of_date"] for p in pts], dtype=float)
        mags = [p.get("app_mag") for p in pts]
        mag = np.array(mags, dtype=float) if all(m is not None for m in mags) else None
        tracks.append(Track(station, t, RaDecOfDate(ra, dec), mag=mag))
    return tracks


def tracks_from_json(doc: dict[str, Any], source: str = "<json>") -> list[Track]:
    """The tracks of a parsed JSON document in any of the JSON formats of the module docstring."""
    try:
        if doc.get("schema") == "stationd.meteor/1":
            return tracks_from_meteor_record(doc, source)
        if isinstance(doc.get("observations"), list):
            return _export_tracks(doc, source)
        if "jdt_ref" in doc and isinstance(doc.get("stations"), list):
            return _test_event_tracks(doc, source)
        if isinstance(doc.get("stations"), dict) and isinstance(doc.get("points"), list):
            return _point_list_tracks(doc, source)
    except ObservationFormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ObservationFormatError(source, f"{type(exc).__name__}: {exc}") from None
    raise ObservationFormatError(source, "not a meteor record nor a known event file")


def _dfn_tracks(lines: Sequence[str], source: str) -> list[Track]:
    meta: dict[str, str] = {}
    for line in lines:
        if line.startswith("# - {") and ":" in line and "name:" not in line:
            key, _, value = line[5:].rstrip().rstrip("}").partition(":")
            meta[key.strip()] = value.strip().strip("'")
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    if not rows:
        raise ObservationFormatError(source, "no data rows")
    station = Station(
        meta.get("location", Path(source).name.split("_")[0]),
        float(meta["obs_latitude"]),
        float(meta["obs_longitude"]),
        float(meta["obs_elevation"]),
    )
    rows.sort(key=lambda r: r["datetime"])
    t = np.array([r["datetime"] for r in rows], dtype="datetime64[us]")
    dirs = AltAzOfDate(
        np.array([float(r["azimuth"]) for r in rows]), np.array([float(r["altitude"]) for r in rows])
    )
    err_deg = [float(r[k]) for r in rows for k in ("err_plus_altitude", "err_plus_azimuth") if r.get(k)]
    sigma = float(np.median(err_deg)) * 3600.0 if err_deg else None
    camera = meta.get("telescope", "")
    return [Track(station, t, dirs, camera=camera, sigma_arcsec=sigma if sigma and sigma > 0 else None)]


def _cmn_angle(text: str) -> float:
    value, _, hemisphere = text.strip().partition(" ")
    return -float(value) if hemisphere.strip().upper() in ("W", "S") else float(value)


def _cmn_tracks(lines: Sequence[str], source: str) -> list[Track]:
    head = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[:6])}
    station = Station(
        head["Station_Code"],
        _cmn_angle(head["Lati"]),
        _cmn_angle(head["Long"]),
        float(head["Height"].split()[0]),
    )
    data = np.array([[float(x) for x in ln.split()[:4]] for ln in lines[6:] if ln.strip()])
    if data.ndim != 2 or len(data) < 2:
        raise ObservationFormatError(source, "fewer than 2 points")
    return [Track(station, jd_to_utc(data[:, 0]), RaDecJ2000(data[:, 1], data[:, 2]), mag=data[:, 3])]


def _read_one(path: Path) -> list[Track]:
    source = str(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ObservationFormatError(source, f"cannot read: {exc}") from None
    try:
        if text.lstrip().startswith("{"):
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ObservationFormatError(source, f"invalid JSON: {exc}") from None
            return tracks_from_json(doc, source)
        lines = text.splitlines()
        if text.startswith("# %ECSV"):
            return _dfn_tracks(lines, source)
        if lines and lines[0].startswith("Date:") and any(ln.startswith("Station_Code:") for ln in lines[:6]):
            return _cmn_tracks(lines, source)
    except ObservationFormatError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ObservationFormatError(source, f"{type(exc).__name__}: {exc}") from None
    raise ObservationFormatError(source, "not a meteor record nor a known event file")


def read_tracks(paths: Iterable[str | Path]) -> list[Track]:
    """All the tracks of a set of observation files (any mix of the formats of the module docstring).

    Raises
    ------
    ObservationFormatError
        A file cannot be read or is in none of the formats.
    """
    tracks: list[Track] = []
    for path in paths:
        tracks += _read_one(Path(path))
    return tracks
