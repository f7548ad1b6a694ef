"""FTPdetectinfo: the per-night text list of meteor detections of CAMS and RMS (Global Meteor Network).

Layout (learned from real RMS files of 2022, 2024 and 2026; see ``../shared/data/rms`` and
``../shared/data/correlator``):

- 11 header lines: ``Meteor Count = 000043``, a rule of 53 dashes, ``Processed with ...``, a rule,
  ``FF  folder = ...``, ``CAL folder = ...``, a rule, ``FF  file processed``, ``CAL file processed``, the
  column names of the detection line (``Cam# Meteor# #Segments fps hnr mle bin Pix/fm Rho Phi``) and of the
  point lines (``Per segment:  Frame# Col Row ...``);
- per detection: a rule of 55 dashes, the FF file name, a calibration line (``Uncalibrated`` or e.g.
  ``Recalibrated with RMS on: <time> UTC``), the detection line (camera code, meteor number in that FF file,
  number of points, fps, three CAMS fields written as zero, the track's mean speed in px/frame from the first
  to the last point, and the track's line in Hough normal form: distance ``Rho`` (px) and angle ``Phi`` (deg)
  with the origin at the image centre and y up), then one line per point.
- point lines have 9 columns (``Frame# Col Row RA Dec Azim Elev Inten Mag``, RMS before 2024) or 12 (the
  same plus ``Bcknd SNR NSatPx``: background level, signal-to-noise ratio and number of saturated pixels).
  ``Frame#`` is fractional (the time of the point within the FF block, in frames); Col/Row are 0-based pixel
  coordinates, x right, y down; RA/Dec J2000, Azim (east of north) / Elev of date, in degrees.

The time of a point is the FF start (from the FF file name) + ``Frame# / fps`` (:func:`point_time_utc`).
RMS readers skip exactly 11 header lines and split entries on the 55-dash rule, so the writer keeps both.
Only the 12-column variant is written; missing sky values are written as zeros, as RMS does before
calibration.

Example
-------
>>> info = parse_ftpdetectinfo(format_ftpdetectinfo(FTPDetectInfo(detections=(FTPDetection(
...     ff_name="FF_XX0001_20260101_010203_004_0000256.fits", camera="XX0001", meteor_no=1, fps=25.0,
...     points=(FTPPoint(frame=10.0, x_px=100.0, y_px=50.0, intensity=1200.0),)),))))
>>> info.detections[0].points[0].ra_deg, info.n_columns
(0.0, 12)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from detection.errors import FTPDetectInfoError
from detection.formats.ff_file import parse_ff_filename
from detection.timing import VideoTime

_HEADER_RULE = "-" * 53
_ENTRY_RULE = "-" * 55
_COLUMNS_9 = "Frame# Col Row RA Dec Azim Elev Inten Mag"
_COLUMNS_12 = _COLUMNS_9 + " Bcknd SNR NSatPx"
_UNCALIBRATED = "Uncalibrated"
# The 12-column format gives SNR five characters and NSatPx six; larger values are written at the limit.
_SNR_MAX = 99.99
_NSAT_MAX = 999_999


@dataclass(frozen=True)
class FTPPoint:
    """One point of a detection (one frame, or a fraction of one, of the track).

    Attributes
    ----------
    frame : float
        Frame within the FF block, fractional (``Frame#``).
    x_px, y_px : float
        Centroid, 0-based pixels, x right, y down (``Col``, ``Row``).
    intensity : float
        Summed background-subtracted pixel level (``Inten``; written as an integer).
    ra_deg, dec_deg : float or None
        J2000 equatorial coordinates; None before calibration (written as 0).
    az_deg, alt_deg : float or None
        Azimuth east of north and elevation of date; None before calibration (written as 0).
    mag : float or None
        Apparent magnitude; None before calibration (written as 0).
    background : float or None
        Background level under the point (``Bcknd``, 12-column files only).
    snr : float or None
        Signal-to-noise ratio (``SNR``, 12-column files only).
    saturated_px : int or None
        Number of saturated pixels (``NSatPx``, 12-column files only).
    """

    frame: float
    x_px: float
    y_px: float
    intensity: float
    ra_deg: float | None = None
    dec_deg: float | None = None
    az_deg: float | None = None
    alt_deg: float | None = None
    mag: float | None = None
    background: float | None = None
    snr: float | None = None
    saturated_px: int | None = None

    def __post_init__(self) -> None:
        for name in ("frame", "x_px", "y_px", "intensity"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"FTPPoint.{name}: got {value!r}, expected a finite number")
        if self.saturated_px is not None and self.saturated_px < 0:
            raise ValueError(f"FTPPoint.saturated_px: got {self.saturated_px}, expected >= 0 or None")


@dataclass(frozen=True)
class FTPDetection:
    """One detection: a track in one FF block.

    Attributes
    ----------
    ff_name : str
        Name of the FF file of the block (``FF_<STATION>_<YYYYMMDD>_<HHMMSS>_<mmm>_<NNNNNNN>.fits``).
    camera : str
        Camera code (``Cam#``; RMS writes the station id), no spaces.
    meteor_no : int
        Number of the detection within its FF file, from 1.
    fps : float
        Frames per second.
    points : tuple of FTPPoint
    calibration : str
        The line under the FF name: ``"Uncalibrated"`` or what calibrated the sky columns.
    speed_px_frame : float
        Mean speed from the first to the last point (``Pix/fm``); see :func:`track_speed_px_frame`.
    rho_px, phi_deg : float
        The track's line in Hough normal form (``Rho``, ``Phi``); see :func:`hough_rho_phi`.
    hnr, mle, binning : float
        CAMS fields (``hnr``, ``mle``, ``bin``) that RMS writes as zero.
    """

    ff_name: str
    camera: str
    meteor_no: int
    fps: float
    points: tuple[FTPPoint, ...]
    calibration: str = _UNCALIBRATED
    speed_px_frame: float = 0.0
    rho_px: float = 0.0
    phi_deg: float = 0.0
    hnr: float = 0.0
    mle: float = 0.0
    binning: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple(self.points))
        for name in ("ff_name", "camera", "calibration"):
            value = getattr(self, name)
            if not value or value != value.strip() or "\n" in value or "\r" in value:
                raise ValueError(f"FTPDetection.{name}: got {value!r}, expected one non-empty trimmed line")
        if any(c.isspace() for c in self.camera):
            raise ValueError(f"FTPDetection.camera: got {self.camera!r}, expected no spaces")
        if self.meteor_no < 0:
            raise ValueError(f"FTPDetection.meteor_no: got {self.meteor_no}, expected >= 0")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"FTPDetection.fps: got {self.fps}, expected a finite number > 0")

    @property
    def n_segments(self) -> int:
        """Number of points (``#Segments``)."""
        return len(self.points)

    @property
    def calibrated(self) -> bool:
        """True when the sky columns were computed (the calibration line is not ``Uncalibrated``)."""
        return self.calibration != _UNCALIBRATED

    @property
    def start_utc(self) -> datetime:
        """UTC time of the block's first frame, from :attr:`ff_name` (ValueError if not an FF name)."""
        return parse_ff_filename(self.ff_name)[1]

    def time_utc(self, frame: float) -> datetime:
        """UTC time of a (fractional) frame of this detection: FF start + frame / fps."""
        return point_time_utc(self.start_utc, frame, self.fps)


@dataclass(frozen=True)
class FTPDetectInfo:
    """The contents of one FTPdetectinfo file.

    Attributes
    ----------
    detections : tuple of FTPDetection
    processed : str
        The third header line (what produced the file and when); RMS readers ignore it.
    ff_folder, cal_folder : str
        The ``FF  folder`` and ``CAL folder`` header values.
    n_columns : int
        Columns of the point lines as the header names them: 9 or 12 (the writer always writes 12).
    """

    detections: tuple[FTPDetection, ...]
    processed: str = "Processed with stationd"
    ff_folder: str = ""
    cal_folder: str = ""
    n_columns: int = 12

    def __post_init__(self) -> None:
        object.__setattr__(self, "detections", tuple(self.detections))
        if self.n_columns not in (9, 12):
            raise ValueError(f"FTPDetectInfo.n_columns: got {self.n_columns}, expected 9 or 12")
        for name in ("processed", "ff_folder", "cal_folder"):
            value = getattr(self, name)
            if "\n" in value or "\r" in value:
                raise ValueError(f"FTPDetectInfo.{name}: got {value!r}, expected one line of text")


def point_time_utc(ff_start_utc: datetime, frame: float, fps: float) -> datetime:
    """UTC time of a point: the FF block's start + ``frame / fps`` (``frame`` may be fractional).

    >>> point_time_utc(datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC), 59.0579, 25.0)
    datetime.datetime(2022, 9, 14, 19, 49, 13, 567316, tzinfo=datetime.timezone.utc)
    """
    if ff_start_utc.tzinfo is None:
        raise ValueError(f"ff_start_utc: got naive {ff_start_utc!r}, expected a timezone-aware time")
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: got {fps}, expected a finite number > 0")
    return VideoTime(ff_start_utc, fps).frame_utc(frame)


def track_speed_px_frame(points: Iterable[FTPPoint]) -> float:
    """Mean speed along a track, first to last point, in px/frame (the ``Pix/fm`` field; 0 for < 2 frames)."""
    pts = list(points)
    if len(pts) < 2 or pts[-1].frame == pts[0].frame:
        return 0.0
    distance_px = math.hypot(pts[-1].x_px - pts[0].x_px, pts[-1].y_px - pts[0].y_px)
    return distance_px / abs(pts[-1].frame - pts[0].frame)


def hough_rho_phi(
    x1_px: float, y1_px: float, x2_px: float, y2_px: float, width_px: int, height_px: int
) -> tuple[float, float]:
    """The line through two image points in the Hough normal form of FTPdetectinfo (``Rho``, ``Phi``).

    ``rho_px = x cos(phi) + y sin(phi)`` for every point of the line, with x, y measured from the image
    centre (``width_px / 2``, ``height_px / 2``), x right and **y up**; ``rho_px >= 0``, ``phi_deg`` in
    [-180, 180). Checked against the values RMS wrote for real tracks (median within about 2 px and 0.5 deg
    when computed from a track's first and last point).
    """
    ax, ay = x1_px - width_px / 2, height_px / 2 - y1_px
    bx, by = x2_px - width_px / 2, height_px / 2 - y2_px
    if (ax, ay) == (bx, by):
        raise ValueError(f"hough_rho_phi: the two points coincide at ({x1_px}, {y1_px})")
    phi = math.atan2(by - ay, bx - ax) + math.pi / 2  # the normal of the track's direction
    rho = ax * math.cos(phi) + ay * math.sin(phi)
    if rho < 0:
        rho, phi = -rho, phi + math.pi
    phi_deg = (math.degrees(phi) + 180.0) % 360.0 - 180.0
    return rho, phi_deg


def ftpdetectinfo_filename(station: str, night_start_utc: datetime) -> str:
    """``FTPdetectinfo_<STATION>_<YYYYMMDD>_<HHMMSS>_<uuuuuu>.txt``, named after the night's start (as RMS).

    >>> ftpdetectinfo_filename("UK0006", datetime(2022, 9, 14, 18, 55, 43, 87124, tzinfo=UTC))
    'FTPdetectinfo_UK0006_20220914_185543_087124.txt'
    """
    if not station.isalnum():
        raise ValueError(f"station: got {station!r}, expected letters and digits only")
    if night_start_utc.tzinfo is None:
        raise ValueError(f"night_start_utc: got naive {night_start_utc!r}, expected a timezone-aware time")
    return f"FTPdetectinfo_{station}_{night_start_utc.astimezone(UTC):%Y%m%d_%H%M%S_%f}.txt"


# --- reading ---------------------------------------------------------------------------------------------


def read_ftpdetectinfo(path: str | Path) -> FTPDetectInfo:
    """Read an FTPdetectinfo file from a path (see :func:`parse_ftpdetectinfo`)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse_ftpdetectinfo(f, source=str(path))


def parse_ftpdetectinfo(src: str | TextIO, *, source: str | None = None) -> FTPDetectInfo:
    """Parse an FTPdetectinfo text (a ``str`` holding the text, or a text file object).

    Both the 9- and the 12-column point lines are read; each line may have either. Values are kept as the
    file gives them (an uncalibrated file's zeros stay zeros). The ``Meteor Count`` and ``#Segments`` fields
    are not checked against the entries: RMS writes them from the entries and readers ignore them.
    Raises :class:`FTPDetectInfoError` naming the line that does not fit the layout.
    """
    label = source or ("<text>" if isinstance(src, str) else str(getattr(src, "name", "<stream>")))
    text = src if isinstance(src, str) else src.read()
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Meteor Count"):
        raise FTPDetectInfoError(label, 1, "not an FTPdetectinfo file: it does not start with 'Meteor Count'")
    starts = [i for i, line in enumerate(lines) if line.strip() == _ENTRY_RULE]
    header = _parse_header(lines[: starts[0] if starts else len(lines)], label)
    bounds = zip(starts, [*starts[1:], len(lines)][: len(starts)], strict=True)
    detections = tuple(_parse_entry(lines, begin + 1, end, label) for begin, end in bounds)
    return replace(header, detections=detections)


def _parse_header(lines: list[str], label: str) -> FTPDetectInfo:
    """The header's values, in an FTPDetectInfo without detections."""
    values = {"Processed with": "", "FF  folder =": "", "CAL folder =": ""}
    n_columns = 9  # files without a 'Per segment:' line predate the 12-column variant
    for i, line in enumerate(lines):
        for key in values:
            if line.startswith(key):
                values[key] = line.strip() if key == "Processed with" else line[len(key) :].strip()
        if line.startswith("Per segment:"):
            n_columns = len(line.split(":", 1)[1].split())
            if n_columns not in (9, 12):
                raise FTPDetectInfoError(label, i + 1, f"{n_columns} point columns named, expected 9 or 12")
    return FTPDetectInfo(
        detections=(),
        processed=values["Processed with"],
        ff_folder=values["FF  folder ="],
        cal_folder=values["CAL folder ="],
        n_columns=n_columns,
    )


def _parse_entry(lines: list[str], begin: int, end: int, label: str) -> FTPDetection:
    """One detection from ``lines[begin:end]`` (the lines after its rule); blank lines are skipped."""
    body = [(i, lines[i].strip()) for i in range(begin, end) if lines[i].strip()]
    if len(body) < 3:
        raise FTPDetectInfoError(
            label, begin + 1, "entry too short: expected FF name, calibration and detection lines"
        )
    (_, ff_name), (_, calibration), (i_det, det_line) = body[:3]
    fields = det_line.split()
    if len(fields) != 10:
        raise FTPDetectInfoError(
            label, i_det + 1, f"detection line has {len(fields)} fields, expected 10 (Cam# ... Phi)"
        )
    try:
        numbers = [float(x) for x in fields[1:]]
        points = tuple(_parse_point(line, label, i + 1) for i, line in body[3:])
        return FTPDetection(
            ff_name=ff_name,
            camera=fields[0],
            meteor_no=int(fields[1]),
            fps=numbers[2],
            points=points,
            calibration=calibration,
            speed_px_frame=numbers[6],
            rho_px=numbers[7],
            phi_deg=numbers[8],
            hnr=numbers[3],
            mle=numbers[4],
            binning=numbers[5],
        )
    except ValueError as err:
        raise FTPDetectInfoError(label, i_det + 1, f"bad detection: {err}") from None


def _parse_point(line: str, label: str, line_no: int) -> FTPPoint:
    fields = line.split()
    if len(fields) not in (9, 12):
        raise FTPDetectInfoError(label, line_no, f"point line has {len(fields)} fields, expected 9 or 12")
    try:
        v = [float(x) for x in fields]
        twelve = len(v) == 12
        return FTPPoint(
            frame=v[0], x_px=v[1], y_px=v[2], ra_deg=v[3], dec_deg=v[4], az_deg=v[5], alt_deg=v[6],
            intensity=v[7], mag=v[8],
            background=v[9] if twelve else None,
            snr=v[10] if twelve else None,
            saturated_px=int(fields[11]) if twelve else None,
        )  # fmt: skip
    except ValueError as err:
        raise FTPDetectInfoError(label, line_no, f"bad point line {line!r}: {err}") from None


# --- writing ---------------------------------------------------------------------------------------------


def write_ftpdetectinfo(dest: TextIO, info: FTPDetectInfo) -> None:
    """Write ``info`` in the 12-column layout to a text file object (the caller opens and closes it)."""
    for line in _lines(info):
        dest.write(line + "\n")


def format_ftpdetectinfo(info: FTPDetectInfo) -> str:
    """The 12-column FTPdetectinfo text of ``info`` (``\\n`` line ends)."""
    return "".join(line + "\n" for line in _lines(info))


def _lines(info: FTPDetectInfo) -> Iterator[str]:
    yield f"Meteor Count = {len(info.detections):06d}"
    yield _HEADER_RULE
    yield info.processed or "Processed with stationd"
    yield _HEADER_RULE
    yield f"FF  folder = {info.ff_folder}".rstrip()
    yield f"CAL folder = {info.cal_folder}".rstrip()
    yield _HEADER_RULE
    yield "FF  file processed"
    yield "CAL file processed"
    yield "Cam# Meteor# #Segments fps hnr mle bin Pix/fm Rho Phi"
    yield f"Per segment:  {_COLUMNS_12}"
    for det in info.detections:
        yield _ENTRY_RULE
        yield det.ff_name
        yield det.calibration
        yield (
            f"{det.camera:>4} {det.meteor_no:04d} {det.n_segments:04d} {det.fps:07.2f} "
            f"{det.hnr:05.1f} {det.mle:05.1f} {format(det.binning, '04.1f'):>5} {det.speed_px_frame:5.1f} "
            f"{det.rho_px:06.1f} {det.phi_deg:06.1f}"
        )
        yield from (_point_line(p) for p in det.points)


def _point_line(p: FTPPoint) -> str:
    def zero(value: float | None) -> float:
        return 0.0 if value is None else value

    snr = min(zero(p.snr), _SNR_MAX)
    nsat = min(p.saturated_px or 0, _NSAT_MAX)
    return (
        f"{p.frame:09.4f} {p.x_px:07.2f} {p.y_px:07.2f} {zero(p.ra_deg):010.6f} {zero(p.dec_deg):+010.6f} "
        f"{zero(p.az_deg):010.6f} {zero(p.alt_deg):+010.6f} {round(p.intensity):09d} {zero(p.mag):+06.2f} "
        f"{round(zero(p.background)):06d} {snr:05.2f} {nsat:06d}"
    )
