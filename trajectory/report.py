"""A trajectory solution as ``stationd.solution/1`` JSON (schema:
``trajectory/schemas/solution.schema.json``): every quantity with its unit in its name; times ISO 8601 UTC
with microseconds and ``Z``."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np

from trajectory.montecarlo import MonteCarloResult
from trajectory.observations import Track
from trajectory.solution import TrackFit, TrajectoryPoint, TrajectorySolution

__all__ = ["SOLUTION_SCHEMA", "numeric_fields", "solution_schema", "solution_to_json"]

SOLUTION_SCHEMA = "stationd.solution/1"


def solution_schema() -> dict[str, Any]:
    """The JSON schema of ``stationd.solution/1``, as shipped with the package."""
    text = resources.files("trajectory.schemas").joinpath("solution.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def _utc(t: np.datetime64) -> str:
    return str(np.datetime_as_string(np.asarray(t).astype("datetime64[us]"), unit="us")) + "Z"


def _num(x: float) -> float | None:
    """A finite float, or None (JSON has no NaN)."""
    return float(x) if math.isfinite(float(x)) else None


def numeric_fields(obj: Any) -> dict[str, float]:
    """The finite numeric fields of a dataclass or mapping (e.g. an orbit), by name: what Monte Carlo
    spreads and what JSON carries of it."""
    out = {}
    for key, value in _fields(obj):
        number = isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)
        if number and math.isfinite(float(value)):
            out[key] = float(value)
    return out


def _fields(obj: Any) -> list[tuple[str, Any]]:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return [(str(k), v) for k, v in dict(obj).items()]


def _orbit_json(orbit: Any) -> dict[str, Any]:
    """An orbit's fields: ``as_dict()`` when it has one, else its dataclass or mapping fields (times in
    ISO 8601 UTC)."""
    if hasattr(orbit, "as_dict"):
        return dict(orbit.as_dict())
    out: dict[str, Any] = {}
    for key, value in _fields(orbit):
        if isinstance(value, datetime):
            out[key] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif isinstance(value, float | np.floating):
            out[key] = _num(float(value))
        else:
            out[key] = value
    return out


def _point(p: TrajectoryPoint) -> dict[str, Any]:
    return {
        "t_utc": _utc(p.t_utc),
        "lat_deg": p.lat_deg,
        "lon_deg": p.lon_deg,
        "height_m": p.height_m,
        "state_eci_m": [float(v) for v in p.state_eci_m],
    }


def _track(fit: TrackFit, track: Track | None) -> dict[str, Any]:
    station = track.station if track is not None else None
    points = [
        {
            "t_utc": _utc(t),
            "t_s": _num(fit.t_s[i]),
            "used": bool(fit.used[i]),
            "residual_arcsec": _num(fit.residual_arcsec[i]),
            "residual_m": _num(fit.residual_m[i]),
            "along_residual_m": _num(fit.along_residual_m[i]),
            "height_m": _num(fit.height_m[i]),
            "range_m": _num(fit.range_m[i]),
            "length_m": _num(fit.length_m[i]),
        }
        for i, t in enumerate(track.t_utc if track is not None else [])
    ]
    return {
        "label": fit.label,
        "station_id": fit.station_id,
        "lat_deg": station.lat_deg if station else None,
        "lon_deg": station.lon_deg if station else None,
        "elevation_m": station.elevation_m if station else None,
        "n_points": fit.n_points,
        "n_rejected_points": fit.n_rejected_points,
        "rejected": fit.rejected,
        "reason": fit.reason,
        "time_offset_s": fit.time_offset_s,
        "sigma_arcsec": fit.sigma_arcsec,
        "rms_arcsec": fit.rms_arcsec,
        "points": points,
    }


def _trajectory(s: TrajectorySolution) -> dict[str, Any]:
    decel = s.deceleration
    return {
        "t_ref_utc": _utc(s.t_ref_utc),
        "radiant_apparent": {
            "ra_of_date_deg": s.radiant_ra_of_date_deg,
            "dec_of_date_deg": s.radiant_dec_of_date_deg,
            "ra_j2000_deg": s.radiant_ra_j2000_deg,
            "dec_j2000_deg": s.radiant_dec_j2000_deg,
            "az_deg": s.radiant_az_deg,
            "alt_deg": s.radiant_alt_deg,
        },
        "v_init_m_s": s.v_init_m_s,
        "v_avg_m_s": s.v_avg_m_s,
        "v_init_n_points": s.v_init_n_points,
        "deceleration": None
        if decel is None
        else {
            "v_inf_m_s": decel.v_inf_m_s,
            "a_m": decel.a_m,
            "b_per_s": decel.b_per_s,
            "v_end_m_s": decel.v_end_m_s,
            "deceleration_end_m_s2": decel.deceleration_end_m_s2,
        },
        "state_eci_m": [float(v) for v in s.state_eci_m],
        "velocity_eci_m_s": [float(v) for v in s.velocity_eci_m_s],
        "begin": _point(s.begin),
        "end": _point(s.end),
        "convergence": [{"a": c.label_a, "b": c.label_b, "angle_deg": c.angle_deg} for c in s.convergence],
        "max_convergence_deg": s.max_convergence_deg,
        "best_pair": list(s.best_pair),
        "initial_radiant": {
            "ra_of_date_deg": s.initial_radiant_ra_of_date_deg,
            "dec_of_date_deg": s.initial_radiant_dec_of_date_deg,
        },
    }


def solution_to_json(
    solution: TrajectorySolution,
    tracks: list[Track] | tuple[Track, ...] | None = None,
    *,
    monte_carlo: MonteCarloResult | None = None,
    event_id: str | None = None,
    revision: str | None = None,
) -> dict[str, Any]:
    """The ``stationd.solution/1`` document of a solution (with the tracks it was solved from, for the
    per-point times and the stations' places; without them the observations carry no points)."""
    sources: list[Track | None] = list(tracks) if tracks is not None else [None] * len(solution.tracks)
    orbit = solution.orbit
    return {
        "schema": SOLUTION_SCHEMA,
        "event_id": event_id,
        "revision": revision,
        "observations": [_track(f, t) for f, t in zip(solution.tracks, sources, strict=True)],
        "trajectory": _trajectory(solution),
        "monte_carlo": None
        if monte_carlo is None
        else {
            "n_runs": monte_carlo.n_runs,
            "n_failed": monte_carlo.n_failed,
            "seed": monte_carlo.seed,
            "sigmas": dict(monte_carlo.sigmas),
        },
        "orbit": None if orbit is None else _orbit_json(orbit),
    }
