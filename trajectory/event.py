"""One meteor's observations as the solver's arrays: every point's time, station position and line of sight
in ECI of date, and the track it belongs to."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trajectory.errors import SolveError
from trajectory.observations import Track

__all__ = ["SAME_SITE_M", "Event", "prepare_event"]

SAME_SITE_M = 1000.0
"""Stations closer than this (m) are one site (cameras of one place, whatever their ids)."""


@dataclass(frozen=True, eq=False)
class Event:
    """Points of all tracks, concatenated in track order.

    ``t_s``: seconds after ``epoch_utc`` (the earliest point); ``station_m``, ``los``: (N, 3) station
    positions (m) and unit lines of sight, ECI of date; ``track``: index of each point's track.
    """

    tracks: tuple[Track, ...]
    labels: tuple[str, ...]
    epoch_utc: np.datetime64
    t_s: np.ndarray
    station_m: np.ndarray
    los: np.ndarray
    track: np.ndarray

    @property
    def n_tracks(self) -> int:
        """Number of tracks."""
        return len(self.tracks)

    @property
    def station_ids(self) -> tuple[str, ...]:
        """The station of each track."""
        return tuple(t.station.station_id for t in self.tracks)

    @property
    def sites(self) -> tuple[int, ...]:
        """The site of each track: tracks whose stations are within ``SAME_SITE_M`` share one.

        Two cameras of one site see a meteor from the same place, whatever their station ids: their
        planes do not converge, so pairs and station counts are taken over sites.
        """
        ecef = [t.station.ecef_m() for t in self.tracks]
        site: list[int] = []
        for k, here in enumerate(ecef):
            near = [site[j] for j in range(k) if np.linalg.norm(ecef[j] - here) < SAME_SITE_M]
            site.append(near[0] if near else max(site, default=-1) + 1)
        return tuple(site)

    def with_los(self, los: np.ndarray) -> Event:
        """The same event with other lines of sight (unit vectors, (N, 3))."""
        return dataclasses.replace(self, los=np.asarray(los, dtype=float))

    def utc(self, t_s: np.ndarray | float) -> np.ndarray:
        """UTC ``datetime64[us]`` of times in seconds after the epoch."""
        us = np.round(np.asarray(t_s, dtype=float) * 1e6).astype(np.int64)
        return self.epoch_utc + us.astype("timedelta64[us]")


def _unique_labels(tracks: Sequence[Track]) -> tuple[str, ...]:
    labels: list[str] = []
    for t in tracks:
        label, n = t.label, 2
        while label in labels:
            label, n = f"{t.label}#{n}", n + 1
        labels.append(label)
    return tuple(labels)


def prepare_event(tracks: Sequence[object]) -> Event:
    """The solver's arrays of a set of tracks.

    Raises
    ------
    SolveError
        A track with fewer than 3 points, or fewer than two sites (``n_stations`` counts tracks or sites).
    """
    typed = tuple(t for t in tracks if isinstance(t, Track))
    if len(typed) != len(tracks):
        raise TypeError("prepare_event takes Track objects")
    short = [t.label for t in typed if len(t) < 3]
    if short:
        raise SolveError(f"tracks with fewer than 3 points: {', '.join(short)}", n_stations=len(typed))
    epoch = min(t.t_utc[0] for t in typed)
    t_s = np.concatenate([(t.t_utc - epoch) / np.timedelta64(1, "us") * 1e-6 for t in typed])
    event = Event(
        tracks=typed,
        labels=_unique_labels(typed),
        epoch_utc=epoch,
        t_s=t_s.astype(float),
        station_m=np.concatenate([t.station_eci_m() for t in typed]),
        los=np.concatenate([t.unit_eci() for t in typed]),
        track=np.concatenate([np.full(len(t), k) for k, t in enumerate(typed)]),
    )
    if (n_sites := len(set(event.sites))) < 2:
        raise SolveError(
            "a trajectory needs at least two stations (sites 1 km or more apart)", n_stations=n_sites
        )
    return event
