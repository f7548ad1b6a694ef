"""Multi-station events: the observations of different stations that saw one meteor (DESIGN 6).

Two observations pair when they come from stations ``min_distance_km``..``max_distance_km`` apart, overlap
in time (within ``time_tolerance_s``) and, when both are calibrated, pass a geometric check: their planes of
sight (each holding the station and the meteor's begin and end directions) cross at ``min_convergence_deg``
or more, the lines of sight meet the other plane at meteor heights, and the speeds along the planes'
intersection that the two observations imply agree. Pairs join into events (three or more stations merge
into one), never two observations of one camera in one event.

Identity (what the checkout protocol relies on):

- the **event id** is ``YYYYMMDD_HHMMSS_<hash>``, taken from the event's anchor: its observation that
  starts first (ties by station, then meteor id). Every station that holds the same observations computes
  the same ids, whatever the order it learnt them in. A late observation joins as a new revision of the same
  event, unless it starts before every other observation of the event: it is then the new anchor and the
  event is re-keyed (a rare case, since stations that see one meteor start within a fraction of a second
  of each other in the usual case; the next revision's solution names both ids in its observations);
- the **revision** is a hash of the set of observations the event covers: adding or removing one makes a
  new revision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sync._geometry import (
    Vec,
    convergence_deg,
    direction_ecef,
    height_m,
    norm,
    plane_normal,
    ray_on_plane,
    site_ecef_m,
    sub,
)

_Pairs = dict[tuple[int, int], float | None]  # index pairs -> convergence angle (None: uncalibrated)


@dataclass(frozen=True)
class Observation:
    """One station's record of a meteor, as the daily index gives it.

    Attributes
    ----------
    station, camera, meteor_id : str
        Who saw it and the id of its record at that station.
    lat_deg, lon_deg, elevation_m : float
        The station (WGS84 latitude and longitude, height above mean sea level).
    start_utc, end_utc : datetime
        First and last points of the track (timezone-aware).
    begin_az_deg, begin_alt_deg, end_az_deg, end_alt_deg : float or None
        Directions of the first and last points (azimuth east of north, altitude, of date); None before
        calibration, when only the time and distance checks apply.
    """

    station: str
    camera: str
    meteor_id: str
    lat_deg: float
    lon_deg: float
    elevation_m: float
    start_utc: datetime
    end_utc: datetime
    begin_az_deg: float | None = None
    begin_alt_deg: float | None = None
    end_az_deg: float | None = None
    end_alt_deg: float | None = None

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None or self.end_utc.tzinfo is None:
            raise ValueError(f"Observation {self.key}: times must be timezone-aware (UTC)")
        if self.end_utc < self.start_utc:
            raise ValueError(f"Observation {self.key}: end_utc {self.end_utc} before its start_utc")

    @property
    def key(self) -> str:
        """``<station>/<meteor_id>``: the observation's name in events and revisions."""
        return f"{self.station}/{self.meteor_id}"

    @property
    def calibrated(self) -> bool:
        """True when the begin and end directions are known."""
        return None not in (self.begin_az_deg, self.begin_alt_deg, self.end_az_deg, self.end_alt_deg)

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last point."""
        return (self.end_utc - self.start_utc).total_seconds()

    def _order(self) -> tuple[datetime, str, str]:
        return (self.start_utc, self.station, self.meteor_id)


@dataclass(frozen=True)
class GroupingSettings:
    """What makes two observations one meteor (defaults: GMN practice for 25 fps video stations)."""

    time_tolerance_s: float = 2.0
    min_distance_km: float = 5.0
    max_distance_km: float = 600.0
    min_convergence_deg: float = 3.0
    min_height_km: float = 20.0
    max_height_km: float = 150.0
    max_speed_ratio: float = 2.0

    def __post_init__(self) -> None:
        checks = {
            "time_tolerance_s": self.time_tolerance_s >= 0,
            "min_distance_km": 0 <= self.min_distance_km < self.max_distance_km,
            "min_convergence_deg": 0 <= self.min_convergence_deg < 90,
            "min_height_km": 0 <= self.min_height_km < self.max_height_km,
            "max_speed_ratio": self.max_speed_ratio >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"GroupingSettings.{name}: got {getattr(self, name)!r}, out of range")


@dataclass(frozen=True)
class Event:
    """Observations of one meteor by two or more stations.

    Attributes
    ----------
    event_id : str
        ``YYYYMMDD_HHMMSS_<hash>`` of the anchor observation (see the module docstring).
    revision : str
        Hash of the set of observation keys.
    observations : tuple of Observation
        In start order.
    max_convergence_deg : float or None
        The best-crossing pair's convergence angle (None when no pair is calibrated).
    """

    event_id: str
    revision: str
    observations: tuple[Observation, ...]
    max_convergence_deg: float | None

    @property
    def day(self) -> str:
        """``YYYY-MM-DD`` of the anchor's start: the folder of the event under ``events/``."""
        d = self.event_id[:8]
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"

    @property
    def stations(self) -> tuple[str, ...]:
        """The stations of the event, sorted."""
        return tuple(sorted({o.station for o in self.observations}))


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def revision_of(keys: Iterable[str]) -> str:
    """The revision id of a set of observation keys: its order and repeats do not matter."""
    return _digest("\n".join(sorted(set(keys))), 12)


def event_id_of(anchor: Observation) -> str:
    """The event id an anchor observation gives (``YYYYMMDD_HHMMSS_<6 hex>``)."""
    return f"{anchor.start_utc:%Y%m%d_%H%M%S}_{_digest(anchor.key, 6)}"


@dataclass(frozen=True)
class _Seen:
    """What the pair checks need of one observation, computed once: times (s), site, rays, plane."""

    start_s: float
    end_s: float
    site: Vec
    rays: tuple[Vec, Vec] | None
    normal: Vec | None

    @classmethod
    def of(cls, o: Observation) -> _Seen:
        rays = normal = None
        if o.calibrated:
            assert o.begin_az_deg is not None and o.begin_alt_deg is not None
            assert o.end_az_deg is not None and o.end_alt_deg is not None
            rays = (
                direction_ecef(o.lat_deg, o.lon_deg, o.begin_az_deg, o.begin_alt_deg),
                direction_ecef(o.lat_deg, o.lon_deg, o.end_az_deg, o.end_alt_deg),
            )
            normal = plane_normal(*rays)
        site = site_ecef_m(o.lat_deg, o.lon_deg, o.elevation_m)
        return cls(o.start_utc.timestamp(), o.end_utc.timestamp(), site, rays, normal)


class EventGrouper:
    """Groups observations of several stations into events (settings here, observations in the call)."""

    def __init__(self, settings: GroupingSettings | None = None) -> None:
        self.settings = settings or GroupingSettings()

    def __call__(self, observations: Iterable[Observation]) -> list[Event]:
        """The events among ``observations`` (multi-station only), ordered by anchor time."""
        obs = sorted({o.key: o for o in observations}.values(), key=Observation._order)
        pairs = self._pairs(obs, [_Seen.of(o) for o in obs])
        members = self._join(obs, pairs)
        return sorted((self._event(obs, group, pairs) for group in members), key=lambda e: e.event_id)

    def _pairs(self, obs: Sequence[Observation], seen: Sequence[_Seen]) -> _Pairs:
        """Index pairs that pass every check, with their convergence angle (None when uncalibrated)."""
        s, tol = self.settings, self.settings.time_tolerance_s
        found: _Pairs = {}
        for i, a in enumerate(seen):
            for j in range(i + 1, len(seen)):
                b = seen[j]
                if b.start_s - a.end_s > tol:
                    break  # sorted by start: every later observation also starts too late to overlap a
                if a.start_s - b.end_s > tol or obs[i].station == obs[j].station:
                    continue
                km = norm(sub(a.site, b.site)) / 1000.0
                if not s.min_distance_km <= km <= s.max_distance_km:
                    continue
                if a.rays is None or b.rays is None:
                    found[(i, j)] = None
                    continue
                q = self._geometry(a, b)
                if q is not None:
                    found[(i, j)] = q
        return found

    def _geometry(self, a: _Seen, b: _Seen) -> float | None:
        """The pair's convergence angle if their planes cross at meteor heights with one speed, else None."""
        if a.normal is None or b.normal is None or a.rays is None or b.rays is None:
            return None
        q = convergence_deg(a.normal, b.normal)
        if q < self.settings.min_convergence_deg:
            return None
        speeds = []
        for one, other in ((a, b), (b, a)):
            assert one.rays is not None and other.normal is not None
            begin = ray_on_plane(one.site, one.rays[0], other.site, other.normal)
            end = ray_on_plane(one.site, one.rays[1], other.site, other.normal)
            if begin is None or end is None or not (self._meteor_height(begin) and self._meteor_height(end)):
                return None
            if one.end_s > one.start_s:
                speeds.append(norm(sub(end, begin)) / (one.end_s - one.start_s))
        if len(speeds) == 2 and min(speeds) > 0 and max(speeds) / min(speeds) > self.settings.max_speed_ratio:
            return None
        return q

    def _meteor_height(self, point: Vec) -> bool:
        km = height_m(point) / 1000.0
        return self.settings.min_height_km <= km <= self.settings.max_height_km

    def _join(self, obs: Sequence[Observation], pairs: _Pairs) -> list[list[int]]:
        """Connected pairs as groups, closest starts first, never two observations of one camera."""
        group_of = list(range(len(obs)))
        groups: dict[int, list[int]] = {i: [i] for i in range(len(obs))}

        def closeness(p: tuple[int, int]) -> tuple[float, str, str]:
            i, j = p
            return (abs((obs[i].start_utc - obs[j].start_utc).total_seconds()), obs[i].key, obs[j].key)

        for i, j in sorted(pairs, key=closeness):
            gi, gj = group_of[i], group_of[j]
            if gi == gj:
                continue
            cameras_i = {(obs[k].station, obs[k].camera) for k in groups[gi]}
            if any((obs[k].station, obs[k].camera) in cameras_i for k in groups[gj]):
                continue
            keep, gone = min(gi, gj), max(gi, gj)
            for k in groups.pop(gone):
                group_of[k] = keep
                groups[keep].append(k)
        return [sorted(g) for g in groups.values() if len({obs[k].station for k in g}) > 1]

    @staticmethod
    def _event(obs: Sequence[Observation], group: list[int], pairs: _Pairs) -> Event:
        members = tuple(obs[k] for k in group)  # already in start order
        angles = [q for (i, j), q in pairs.items() if q is not None and i in group and j in group]
        return Event(
            event_id=event_id_of(members[0]),
            revision=revision_of(o.key for o in members),
            observations=members,
            max_convergence_deg=max(angles) if angles else None,
        )
