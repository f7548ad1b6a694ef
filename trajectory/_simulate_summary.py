"""The Global Meteor Network trajectory summary file (``traj_summary_*.txt``): one row per solved trajectory.

Format (as the GMN publishes it, e.g. ``traj_summary_20220304_solrange_344.0-345.0.txt``): comment lines
start with ``#`` (a time stamp, two header lines naming the columns and their units, a rule); each data row
has 86 fields separated by ``;`` and padded with spaces. Missing numbers are ``nan``, a missing shower code
``...``, and the last field lists the participating stations separated by commas. Columns, in order, are the
fields of :class:`GmnTrajectory` (angles in degrees, velocities in km/s, heights in km above mean sea
level, the radiants and orbits J2000; "app" radiants of date; each measured value followed by its 1-sigma
Monte Carlo spread). The field names carry our units; the GMN header's names are in the comments.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["GmnSummaryError", "GmnTrajectory", "read_gmn_summary"]

from trajectory.errors import TrajectoryError


class GmnSummaryError(TrajectoryError, ValueError):
    """A summary row that cannot be read: its line number, what was found and what was expected."""

    def __init__(self, line_number: int, problem: str) -> None:
        super().__init__(f"GMN summary line {line_number}: {problem}")
        self.line_number = line_number
        self.problem = problem


@dataclass(frozen=True)
class GmnTrajectory:
    """One row of a GMN trajectory summary file, field by field in the file's column order."""

    trajectory_id: str  # Unique trajectory identifier
    begin_jd: float  # Beginning Julian date
    begin_utc: datetime  # Beginning UTC Time
    iau_no: int  # IAU No (-1: sporadic)
    iau_code: str  # IAU code ("..." when none)
    sol_lon_deg: float  # Sol lon
    app_lst_deg: float  # App LST
    ra_geo_deg: float  # RAgeo
    ra_geo_sigma_deg: float
    dec_geo_deg: float  # DECgeo
    dec_geo_sigma_deg: float
    lambda_geo_deg: float  # LAMgeo
    lambda_geo_sigma_deg: float
    beta_geo_deg: float  # BETgeo
    beta_geo_sigma_deg: float
    v_geo_km_s: float  # Vgeo
    v_geo_sigma_km_s: float
    lambda_helio_deg: float  # LAMhel
    lambda_helio_sigma_deg: float
    beta_helio_deg: float  # BEThel
    beta_helio_sigma_deg: float
    v_helio_km_s: float  # Vhel
    v_helio_sigma_km_s: float
    a_au: float  # a
    a_sigma_au: float
    e: float  # e
    e_sigma: float
    i_deg: float  # i
    i_sigma_deg: float
    arg_perihelion_deg: float  # peri
    arg_perihelion_sigma_deg: float
    node_deg: float  # node
    node_sigma_deg: float
    perihelion_longitude_deg: float  # Pi
    perihelion_longitude_sigma_deg: float
    perihelion_latitude_deg: float  # b
    perihelion_latitude_sigma_deg: float
    q_au: float  # q
    q_sigma_au: float
    true_anomaly_deg: float  # f
    true_anomaly_sigma_deg: float
    mean_anomaly_deg: float  # M
    mean_anomaly_sigma_deg: float
    aphelion_au: float  # Q
    aphelion_sigma_au: float
    mean_motion_deg_day: float  # n
    mean_motion_sigma_deg_day: float
    period_yr: float  # T
    period_sigma_yr: float
    tisserand_jupiter: float  # TisserandJ
    tisserand_jupiter_sigma: float
    ra_apparent_deg: float  # RAapp (of date)
    ra_apparent_sigma_deg: float
    dec_apparent_deg: float  # DECapp (of date)
    dec_apparent_sigma_deg: float
    azimuth_deg: float  # Azim +E of N (of the radiant)
    azimuth_sigma_deg: float
    elevation_deg: float  # Elev (of the radiant)
    elevation_sigma_deg: float
    v_init_km_s: float  # Vinit
    v_init_sigma_km_s: float
    v_avg_km_s: float  # Vavg
    v_avg_sigma_km_s: float
    begin_lat_deg: float  # LatBeg (+N)
    begin_lat_sigma_deg: float
    begin_lon_deg: float  # LonBeg (+E)
    begin_lon_sigma_deg: float
    begin_ht_km: float  # HtBeg
    begin_ht_sigma_km: float
    end_lat_deg: float  # LatEnd
    end_lat_sigma_deg: float
    end_lon_deg: float  # LonEnd
    end_lon_sigma_deg: float
    end_ht_km: float  # HtEnd
    end_ht_sigma_km: float
    duration_s: float  # Duration
    peak_abs_mag: float  # Peak AbsMag
    peak_ht_km: float  # Peak Ht
    f_param: float  # F param
    mass_kg: float  # Mass kg (tau = 0.7 %)
    convergence_deg: float  # Qc
    median_fit_error_arcsec: float  # MedianFitErr
    begin_in_fov: bool  # Beg in FOV
    end_in_fov: bool  # End in FOV
    n_stations: int  # Num stat
    stations: tuple[str, ...]  # Participating stations


def _parse_bool(text: str) -> bool:
    if text not in ("True", "False"):
        raise ValueError(f"expected True or False, found {text!r}")
    return text == "True"


def _parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _parse_stations(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "float": float,
    "int": int,
    "bool": _parse_bool,
    "datetime": _parse_utc,
    "tuple[str, ...]": _parse_stations,
}
_FIELDS = [(f.name, _PARSERS[str(f.type)]) for f in dataclasses.fields(GmnTrajectory)]
N_COLUMNS = len(_FIELDS)  # 86


def _parse_row(line: str, line_number: int) -> GmnTrajectory:
    texts = [t.strip() for t in line.split(";")]
    if len(texts) != N_COLUMNS:
        raise GmnSummaryError(line_number, f"{len(texts)} fields; expected {N_COLUMNS} separated by ';'")
    values: dict[str, Any] = {}
    for (name, parse), text in zip(_FIELDS, texts, strict=True):
        try:
            values[name] = parse(text)
        except ValueError as error:
            raise GmnSummaryError(line_number, f"column {name}={text!r}: {error}") from error
    row = GmnTrajectory(**values)
    if row.n_stations != len(row.stations):
        raise GmnSummaryError(line_number, f"n_stations={row.n_stations} but {len(row.stations)} stations")
    return row


def _lines(source: str | Path | IO[str]) -> Iterable[str]:
    if isinstance(source, str | Path):
        return io.StringIO(Path(source).read_text(encoding="utf-8"))
    return source


def read_gmn_summary(source: str | Path | IO[str]) -> list[GmnTrajectory]:
    """Read the rows of a Global Meteor Network trajectory summary file.

    Parameters
    ----------
    source : str, Path or text file object
        The ``traj_summary_*.txt`` file (86 ``;``-separated columns per row, ``#`` comment lines).

    Returns
    -------
    list of GmnTrajectory
        One per data row, in file order.

    Raises
    ------
    GmnSummaryError
        A row with the wrong number of fields or a field that does not parse (its line number and column).

    Examples
    --------
    >>> rows = read_gmn_summary(path)  # doctest: +SKIP
    >>> rows[0].v_init_km_s, rows[0].stations  # doctest: +SKIP
    (13.7385, ('UK000H', 'UK003C', 'UK003E'))
    """
    rows = []
    for line_number, line in enumerate(_lines(source), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append(_parse_row(line.rstrip("\n"), line_number))
    return rows


def is_finite_row(row: GmnTrajectory) -> bool:
    """Whether a row has the finite begin/end points, velocities and time that a simulation needs."""
    needed = (
        row.begin_lat_deg, row.begin_lon_deg, row.begin_ht_km, row.end_lat_deg, row.end_lon_deg,
        row.end_ht_km, row.v_init_km_s, row.v_avg_km_s,
    )  # fmt: skip
    return all(math.isfinite(x) for x in needed)
