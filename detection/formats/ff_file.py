"""FF files: FF blocks as RMS-compatible FITS.

Layout (as the Global Meteor Network's RMS software writes it, learned from real RMS files):

- file name ``FF_<STATION>_<YYYYMMDD>_<HHMMSS>_<mmm>_<NNNNNNN>.fits``: the station id, the UTC time of the
  block's first frame to the millisecond (truncated) and the frame counter of that frame;
- primary HDU without data, header ``NROWS``, ``NCOLS``, ``NBITS`` (8), ``NFRAMES``, ``FIRST``, ``CAMNO``,
  ``FPS``; stationd adds ``DATE-OBS`` (ISO 8601 UTC, microseconds) and ``STATION`` so a file read from a
  stream without its name still says when and where it was taken;
- four uint8 image HDUs (H, W) named ``MAXPIXEL``, ``MAXFRAME``, ``AVEPIXEL``, ``STDPIXEL``
  (see :mod:`detection.scan.ff` for their definition).

RMS writes ``FIRST`` = the name's frame counter + 256 and a station id string in ``CAMNO``; stationd writes
``FIRST`` = the name's frame counter and keeps both values of an RMS file (:attr:`FFFile.first_header`,
:attr:`FFFile.camno`) so that reading and writing one changes nothing RMS tools look at.

Example
-------
>>> from datetime import UTC, datetime
>>> ff_filename("UK0006", datetime(2022, 9, 14, 19, 49, 11, 205000, tzinfo=UTC), 79616)
'FF_UK0006_20220914_194911_205_0079616.fits'
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
from astropy.io import fits

from detection.errors import FFFormatError
from detection.scan.ff import FFPlanes

_PLANE_NAMES = ("MAXPIXEL", "MAXFRAME", "AVEPIXEL", "STDPIXEL")

_NAME_RE = re.compile(
    r"^FF_(?P<station>[A-Za-z0-9]+)_(?P<date>\d{8})_(?P<time>\d{6})_(?P<ms>\d{3})_(?P<frame>\d{7,})\.fits$"
)
_STATION_RE = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class FFFile:
    """One FF block with the facts its file carries.

    Attributes
    ----------
    planes : FFPlanes
    station : str
        Station id, letters and digits only (it is a field of the file name).
    start_utc : datetime
        Time of the block's first frame, timezone-aware (stored in UTC).
    first_frame : int
        Frame counter of the block's first frame (the ``NNNNNNN`` of the name).
    fps : float
        Frames per second.
    camno : int or str
        ``CAMNO`` header value (RMS stores the station id string there).
    first_header : int or None
        ``FIRST`` header value when it differs from ``first_frame`` (RMS files); None writes
        ``FIRST = first_frame``.
    """

    planes: FFPlanes
    station: str
    start_utc: datetime
    first_frame: int
    fps: float
    camno: int | str = 0
    first_header: int | None = None

    def __post_init__(self) -> None:
        if not _STATION_RE.match(self.station):
            raise ValueError(f"FFFile.station: got {self.station!r}, expected letters and digits only")
        if self.start_utc.tzinfo is None or self.start_utc.utcoffset() is None:
            raise ValueError(f"FFFile.start_utc: got naive {self.start_utc!r}, expected timezone-aware")
        object.__setattr__(self, "start_utc", self.start_utc.astimezone(UTC))
        if self.first_frame < 0:
            raise ValueError(f"FFFile.first_frame: got {self.first_frame}, expected >= 0")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"FFFile.fps: got {self.fps}, expected a finite number > 0")

    @property
    def filename(self) -> str:
        """The file name of this block."""
        return ff_filename(self.station, self.start_utc, self.first_frame)


def ff_filename(station: str, start_utc: datetime, first_frame: int) -> str:
    """``FF_<STATION>_<YYYYMMDD>_<HHMMSS>_<mmm>_<NNNNNNN>.fits`` for a block (milliseconds truncated)."""
    if not _STATION_RE.match(station):
        raise ValueError(f"station: got {station!r}, expected letters and digits only")
    if start_utc.tzinfo is None:
        raise ValueError(f"start_utc: got naive {start_utc!r}, expected a timezone-aware time")
    if first_frame < 0:
        raise ValueError(f"first_frame: got {first_frame}, expected >= 0")
    t = start_utc.astimezone(UTC)
    return f"FF_{station}_{t:%Y%m%d_%H%M%S}_{t.microsecond // 1000:03d}_{first_frame:07d}.fits"


def parse_ff_filename(name: str) -> tuple[str, datetime, int]:
    """Station, UTC start and first frame counter from an FF file name (a path is accepted).

    Raises ValueError when ``name`` does not follow the pattern.
    """
    base = Path(name).name
    m = _NAME_RE.match(base)
    if m is None:
        raise ValueError(
            f"not an FF file name: {base!r}, expected FF_<STATION>_<YYYYMMDD>_<HHMMSS>_<mmm>_<NNNNNNN>.fits"
        )
    try:
        start = datetime.strptime(m["date"] + m["time"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as err:
        raise ValueError(f"not an FF file name: {base!r} ({err})") from None
    return m["station"], start + timedelta(milliseconds=int(m["ms"])), int(m["frame"])


def write_ff(dest: str | Path | BinaryIO, ff: FFFile) -> None:
    """Write ``ff`` as FITS to a path (replaced if it exists) or a binary file object."""
    planes = ff.planes
    header = fits.Header()
    header["NROWS"] = planes.height
    header["NCOLS"] = planes.width
    header["NBITS"] = 8
    header["NFRAMES"] = planes.nframes
    header["FIRST"] = ff.first_frame if ff.first_header is None else ff.first_header
    header["CAMNO"] = ff.camno
    header["FPS"] = float(ff.fps)
    header["DATE-OBS"] = (ff.start_utc.strftime("%Y-%m-%dT%H:%M:%S.%f"), "UTC of the first frame")
    header["STATION"] = ff.station
    hdus: list[fits.PrimaryHDU | fits.ImageHDU] = [fits.PrimaryHDU(header=header)]
    for name in _PLANE_NAMES:
        data = np.ascontiguousarray(getattr(planes, name.lower()), dtype=np.uint8)
        hdus.append(fits.ImageHDU(data=data, name=name))
    fits.HDUList(hdus).writeto(dest, overwrite=isinstance(dest, str | Path))


def read_ff(src: str | Path | BinaryIO, name: str | None = None) -> FFFile:
    """Read an FF file (ours or RMS's) from a path or a binary file object.

    The station, start time and first frame come from the file name (``name``, else the path or the file
    object's ``name``); without a valid name, from the ``STATION``, ``DATE-OBS`` and ``FIRST`` headers.
    Raises :class:`~detection.errors.FFFormatError` naming the file and what is wrong.
    """
    label = str(src) if isinstance(src, str | Path) else str(name or getattr(src, "name", "<stream>"))
    # astropy warns (on stderr, through its logger) about a file cut short before it fails on it: record its
    # warnings so that the operator reads one message, ours.
    size: int | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # astropy closes a file object it was given; read the caller's stream into our own buffer.
            source = src if isinstance(src, str | Path) else io.BytesIO(src.read())
            size = Path(source).stat().st_size if isinstance(source, str | Path) else len(source.getbuffer())
            with fits.open(source, memmap=False, lazy_load_hdus=False) as hdul:
                header = hdul[0].header.copy()
                planes = _read_planes(hdul, header, label)
        except (FFFormatError, OSError, ValueError, TypeError) as err:
            if isinstance(err, FFFormatError):  # astropy read FITS headers: a short file lost the rest
                raise FFFormatError(label, _truncated(caught, size) or err.reason) from None
            reason = _truncated(caught, None) or f"not a readable FITS file ({err})"
            raise FFFormatError(label, reason) from None
    truncated = _truncated(caught, None)
    if truncated:
        # The planes were read, but the file is shorter than its headers say: it is not what was written.
        raise FFFormatError(label, truncated)
    station, start_utc, first_frame = _identity(name or label, header, label)
    first_header = header.get("FIRST")
    camno = header.get("CAMNO", 0)
    fps = header.get("FPS")
    if not isinstance(fps, int | float) or not fps > 0:
        raise FFFormatError(label, f"FPS header is {fps!r}, expected a number > 0")
    return FFFile(
        planes=planes,
        station=station,
        start_utc=start_utc,
        first_frame=first_frame,
        fps=float(fps),
        camno=camno.strip() if isinstance(camno, str) else int(camno),
        first_header=None if first_header in (None, first_frame) else int(first_header),
    )


_FITS_BLOCK = 2880  # a FITS file is made of 2880-byte blocks
_TRUNCATED_RE = re.compile(r"actual file length \((\d+)\) is smaller than the expected size \((\d+)\)")


def _truncated(caught: list[warnings.WarningMessage], size: int | None) -> str | None:
    """Why a file is cut short: astropy's "File may have been truncated" warning, or (given the size of a
    FITS file that lacks something) a size that is not whole 2880-byte FITS blocks; None when neither."""
    for w in caught:
        text = str(w.message)
        if "truncated" not in text:
            continue
        m = _TRUNCATED_RE.search(text)
        sizes = f": {m[1]} bytes where its FITS headers need at least {m[2]}" if m else ""
        return f"the file is cut short (truncated){sizes}"
    if size is not None and size % _FITS_BLOCK:
        return f"the file is cut short (truncated): {size} bytes, not whole {_FITS_BLOCK}-byte FITS blocks"
    return None


def _read_planes(hdul: fits.HDUList, header: fits.Header, label: str) -> FFPlanes:
    arrays = {}
    for name in _PLANE_NAMES:
        if name not in hdul:
            raise FFFormatError(label, f"no {name} image HDU")
        data = hdul[name].data
        if data is None or data.dtype != np.uint8 or data.ndim != 2:
            got = "no data" if data is None else f"{data.dtype.name} {data.shape}"
            raise FFFormatError(label, f"{name} is {got}, expected a 2-D uint8 image")
        arrays[name.lower()] = np.array(data, dtype=np.uint8, order="C")
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1:
        raise FFFormatError(label, f"planes differ in shape: {sorted(shapes)}")
    shape = shapes.pop()
    declared = (header.get("NROWS", shape[0]), header.get("NCOLS", shape[1]))
    if declared != shape:
        raise FFFormatError(label, f"NROWS x NCOLS = {declared}, planes are {shape}")
    nframes = header.get("NFRAMES")
    if not isinstance(nframes, int) or not 1 <= nframes <= 256:
        raise FFFormatError(label, f"NFRAMES is {nframes!r}, expected an integer 1..256")
    return FFPlanes(nframes=nframes, **arrays)


def _identity(name: str, header: fits.Header, label: str) -> tuple[str, datetime, int]:
    """Station, start and first frame: from the name (refined by DATE-OBS to the microsecond) or headers."""
    date_obs = header.get("DATE-OBS")
    t_header = None
    if isinstance(date_obs, str):
        try:
            t_header = datetime.fromisoformat(date_obs).replace(tzinfo=UTC)
        except ValueError:
            raise FFFormatError(label, f"DATE-OBS is {date_obs!r}, expected ISO 8601") from None
    try:
        station, start_utc, first_frame = parse_ff_filename(name)
    except ValueError:
        station_h, first_h = header.get("STATION"), header.get("FIRST")
        if t_header is None or not isinstance(station_h, str) or not isinstance(first_h, int):
            raise FFFormatError(
                label, "no FF file name and no STATION, DATE-OBS and FIRST headers to say what block it is"
            ) from None
        return station_h, t_header, first_h
    if t_header is not None and timedelta(0) <= t_header - start_utc < timedelta(milliseconds=1):
        start_utc = t_header
    return station, start_utc, first_frame
