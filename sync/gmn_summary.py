"""Solved events as rows of the Global Meteor Network's trajectory summary (``traj_summary_*.txt``).

The format is the one ``trajectory.read_gmn_summary`` reads (its module docstring describes it): ``#``
comment lines, then one row per trajectory of 86 ``;``-separated fields padded with spaces, in the
column order and units of :class:`trajectory.GmnTrajectory` (angles deg, velocities km/s, heights km,
radiants and orbits J2000, "app" radiants of date, each value followed by its 1-sigma Monte Carlo
spread). Columns follow the published file's conventions for what we do not have:

- ``nan`` for a number we do not compute (peak magnitude and height, F parameter, mass) and for every
  sigma when the solution has no Monte Carlo (or no spread for that quantity);
- IAU number ``-1`` and code ``...`` (no shower association is made);
- ``Beg in FOV`` and ``End in FOV`` are ``False``: we do not test whether the track was cut by the edge
  of the field, and the format has no "unknown".

Derived orbital columns use the usual relations (e.g. Murray & Dermott 1999, *Solar System Dynamics*,
ch. 2): longitude of perihelion ``Pi = node + peri``; latitude of perihelion ``sin b = sin(peri) sin(i)``;
mean anomaly from the true one through the eccentric anomaly (``tan(E/2) = sqrt((1-e)/(1+e)) tan(f/2)``,
``M = E - e sin E``, ellipses only); mean motion ``n = k / a^1.5`` with Gauss's constant
``k = 0.01720209895`` rad/day. The apparent local sidereal time is that of the begin point.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from trajectory import sidereal_angle_rad

__all__ = ["GMN_HEADER", "summary_row", "summary_text"]

_K_DEG_DAY = math.degrees(0.01720209895)
_NAN = float("nan")

# (width, format) of the 86 columns, in the file's order (widths of the published file's rule line).
_COLUMNS: tuple[tuple[int, str], ...] = (
    (20, "s"), (21, ".12f"), (27, "s"), (6, "d"), (5, "s"), (11, ".6f"), (11, ".6f"),
    (10, ".5f"), (8, ".4f"), (10, "+.5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"), (10, "+.5f"), (8, ".4f"),
    (10, ".5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"), (10, "+.5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"),
    (12, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"), (11, ".6f"), (9, ".4f"),
    (11, ".6f"), (9, ".4f"), (11, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"),
    (11, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"), (12, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"),
    (11, ".6f"), (8, ".4f"), (11, ".6f"), (8, ".4f"), (10, ".5f"), (8, ".4f"), (10, "+.5f"), (8, ".4f"),
    (10, ".5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"), (10, ".5f"), (8, ".4f"),
    (13, ".6f"), (8, ".4f"), (13, ".6f"), (8, ".4f"), (9, ".4f"), (8, ".2f"), (13, ".6f"), (8, ".4f"),
    (13, ".6f"), (8, ".4f"), (9, ".4f"), (8, ".2f"), (9, ".2f"), (7, "+.2f"), (9, ".4f"), (6, ".3f"),
    (9, ".2e"), (6, ".2f"), (13, ".2f"), (7, "s"), (7, "s"), (5, "d"), (23, "s"),
)  # fmt: skip

GMN_HEADER = (
    "#  Unique trajectory;      Beginning      ;        Beginning          ;   IAU;  IAU;   Sol lon ;"
    "   App LST ;   RAgeo  ;   +/-  ;   DECgeo ;   +/-  ;  LAMgeo  ;   +/-  ;   BETgeo ;   +/-  ;"
    "    Vgeo  ;    +/- ;  LAMhel  ;   +/-  ;   BEThel ;   +/-  ;    Vhel  ;    +/- ;       a    ;"
    "   +/-  ;      e    ;   +/-  ;      i    ;   +/-  ;    peri   ;    +/-  ;    node   ;    +/-  ;"
    "     Pi    ;   +/-  ;      b    ;   +/-  ;      q    ;   +/-  ;      f    ;   +/-  ;      M    ;"
    "   +/-  ;       Q    ;   +/-  ;      n    ;   +/-  ;      T    ;   +/-  ; TisserandJ;   +/-  ;"
    "   RAapp  ;   +/-  ;   DECapp ;   +/-  ;  Azim +E ;   +/-  ;    Elev  ;   +/-  ;   Vinit  ;"
    "    +/- ;    Vavg  ;    +/- ;    LatBeg   ;   +/-  ;    LonBeg   ;   +/-  ;   HtBeg ;   +/-  ;"
    "    LatEnd   ;   +/-  ;    LonEnd   ;   +/-  ;   HtEnd ;   +/-  ; Duration;  Peak ;  Peak Ht;"
    "   F  ;  Mass kg;   Qc ; MedianFitErr; Beg in; End in;  Num;      Participating\n"
    "#      identifier   ;     Julian date     ;         UTC Time          ;    No; code;     deg   ;"
    "     deg   ;    deg   ;  sigma ;    deg   ;  sigma ;    deg   ;  sigma ;     deg  ;  sigma ;"
    "    km/s  ;   sigma;    deg   ;  sigma ;     deg  ;  sigma ;    km/s  ;   sigma;      AU    ;"
    "  sigma ;           ;  sigma ;    deg    ;  sigma ;     deg   ;   sigma ;     deg   ;   sigma ;"
    "    deg    ;  sigma ;    deg    ;  sigma ;     AU    ;  sigma ;    deg    ;  sigma ;     deg   ;"
    "  sigma ;      AU    ;  sigma ;   deg/day ;  sigma ;    years  ;  sigma ;           ;  sigma ;"
    "    deg   ;  sigma ;    deg   ;  sigma ; of N  deg;  sigma ;     deg  ;  sigma ;    km/s  ;"
    "   sigma;    km/s  ;   sigma;    +N deg   ;  sigma ;    +E deg   ;  sigma ;     km  ;  sigma ;"
    "    +N deg   ;  sigma ;    +E deg   ;  sigma ;     km  ;  sigma ;   sec   ; AbsMag;     km  ;"
    " param; tau=0.7%;  deg ;    arcsec   ;   FOV ;   FOV ; stat;         stations\n"
    "# " + "-" * (_COLUMNS[0][0] - 2) + ";" + ";".join(" " + "-" * (w - 1) for w, _ in _COLUMNS[1:]) + "\n"
)
"""The column names and units of the published file (three comment lines; the parser skips them)."""


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _f(value: Any, scale: float = 1.0) -> float:
    return float(value) * scale if isinstance(value, int | float) and not isinstance(value, bool) else _NAN


def _mean_anomaly_deg(e: float, f_deg: float) -> float:
    if not 0 <= e < 1 or not math.isfinite(f_deg):
        return _NAN
    ecc = 2 * math.atan(math.sqrt((1 - e) / (1 + e)) * math.tan(math.radians(f_deg) / 2))
    return math.degrees(ecc - e * math.sin(ecc)) % 360.0


def _orbit_columns(orbit: dict[str, Any], sigma: Any) -> list[float]:
    e, a = _f(orbit.get("e")), _f(orbit.get("a_au"))
    node, peri, inc = _f(orbit.get("node_deg")), _f(orbit.get("arg_perihelion_deg")), _f(orbit.get("i_deg"))
    lat_peri = math.degrees(math.asin(math.sin(math.radians(peri)) * math.sin(math.radians(inc))))
    n = _K_DEG_DAY / a**1.5 if a > 0 else _NAN
    pairs = [
        (_f(orbit.get("ra_geo_deg")), sigma("ra_geo_deg")),
        (_f(orbit.get("dec_geo_deg")), sigma("dec_geo_deg")),
        (_f(orbit.get("lambda_geo_deg")), sigma("lambda_geo_deg")),
        (_f(orbit.get("beta_geo_deg")), sigma("beta_geo_deg")),
        (_f(orbit.get("v_geo_m_s"), 1e-3), sigma("v_geo_m_s", 1e-3)),
        (_f(orbit.get("lambda_helio_deg")), sigma("lambda_helio_deg")),
        (_f(orbit.get("beta_helio_deg")), sigma("beta_helio_deg")),
        (_f(orbit.get("v_helio_m_s"), 1e-3), sigma("v_helio_m_s", 1e-3)),
        (a, sigma("a_au")), (e, sigma("e")), (inc, sigma("i_deg")), (peri, sigma("arg_perihelion_deg")),
        (node, sigma("node_deg")), ((node + peri) % 360.0, _NAN), (lat_peri, _NAN),
        (_f(orbit.get("q_au")), sigma("q_au")),
        (_f(orbit.get("true_anomaly_deg")), sigma("true_anomaly_deg")),
        (_mean_anomaly_deg(e, _f(orbit.get("true_anomaly_deg"))), _NAN),
        (_f(orbit.get("aphelion_au")), sigma("aphelion_au")), (n, _NAN),
        (_f(orbit.get("period_yr")), sigma("period_yr")),
        (_f(orbit.get("tisserand_jupiter")), sigma("tisserand_jupiter")),
    ]  # fmt: skip
    return [v for pair in pairs for v in pair]


def summary_row(solution: dict[str, Any]) -> str:
    """One row of the summary of a ``stationd.solution/1`` document (no line end)."""
    traj = solution["trajectory"]
    mc = solution.get("monte_carlo") or {}
    sigmas = mc.get("sigmas") or {}

    def sigma(name: str, scale: float = 1.0) -> float:
        return _f(sigmas.get(name), scale)

    begin, end = traj["begin"], traj["end"]
    t0, t1 = _utc(begin["t_utc"]), _utc(end["t_utc"])
    jd = t0.timestamp() / 86400.0 + 2440587.5
    gast_rad = float(sidereal_angle_rad(np.array([np.datetime64(t0.replace(tzinfo=None), "us")]))[0])
    lst = (math.degrees(gast_rad) + float(begin["lon_deg"])) % 360.0
    orbit = solution.get("orbit") or {}
    app = traj["radiant_apparent"]
    used = [o for o in solution["observations"] if not o.get("rejected")]
    stations = sorted({str(o["station_id"]) for o in used})
    fit = [float(o["rms_arcsec"]) for o in used if isinstance(o.get("rms_arcsec"), int | float)]
    values: list[Any] = [
        solution["event_id"], jd, t0.strftime("%Y-%m-%d %H:%M:%S.%f"), -1, "...",
        _f(orbit.get("sun_longitude_deg")), lst,
        *_orbit_columns(orbit, sigma),
        _f(app["ra_of_date_deg"]), sigma("radiant_ra_of_date_deg"),
        _f(app["dec_of_date_deg"]), sigma("radiant_dec_of_date_deg"),
        _f(app.get("az_deg")), _NAN, _f(app.get("alt_deg")), _NAN,
        _f(traj["v_init_m_s"], 1e-3), sigma("v_init_m_s", 1e-3),
        _f(traj["v_avg_m_s"], 1e-3), sigma("v_avg_m_s", 1e-3),
        _f(begin["lat_deg"]), sigma("begin_lat_deg"), _f(begin["lon_deg"]), sigma("begin_lon_deg"),
        _f(begin["height_m"], 1e-3), sigma("begin_height_m", 1e-3),
        _f(end["lat_deg"]), sigma("end_lat_deg"), _f(end["lon_deg"]), sigma("end_lon_deg"),
        _f(end["height_m"], 1e-3), sigma("end_height_m", 1e-3),
        (t1 - t0).total_seconds(), _NAN, _NAN, _NAN, _NAN,
        _f(traj.get("max_convergence_deg")), statistics.median(fit) if fit else _NAN,
        "False", "False", len(stations), ",".join(stations),
    ]  # fmt: skip
    return ";".join(_cell(v, w, fmt) for v, (w, fmt) in zip(values, _COLUMNS, strict=True))


def _cell(value: Any, width: int, fmt: str) -> str:
    if fmt != "s" and fmt != "d" and not math.isfinite(value):
        return "nan".rjust(width)
    return format(value, fmt).rjust(width)


def summary_text(solutions: Iterable[dict[str, Any]], generated_utc: datetime) -> str:
    """A whole summary file: the time stamp, the header, one row per solution in begin-time order."""
    rows = sorted((summary_row(s) for s in solutions), key=lambda r: (r.split(";")[1], r))
    stamp = f"# Summary generated on {generated_utc.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f} UTC\n"
    return stamp + GMN_HEADER + "".join(r + "\n" for r in rows)
