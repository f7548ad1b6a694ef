"""``stationd calibrate FILE...`` without a station: a plate solution from the stars of FF files, minute
videos or stack images.

Each file's stars (extracted from its star image, the station mask out) are fitted from the coarse guess (a
:class:`~calibration.camera.CameraModel`, taken at each file's image size) or a starting plate (a
:class:`~calibration.platepar.Platepar`), each file on its own; the best solution (most matched stars) is the
command's. With no guess (``None``) each file is solved blind (:class:`~calibration.blind.BlindSolver`: star
patterns, then the same guided fit).

The star image of each kind of file, and the time its stars are dated at:

- **FF file** (``*.fits``): the average image, at the middle of the FF block, as RMS dates them.
- **Minute video** (any format :func:`~detection.open_video` reads): the mean of a run of
  ``video_run_frames`` (64) consecutive frames about the middle of the video, at the run's middle
  (frame ``f`` is exposed during ``[f, f + 1) / fps`` after the start). 64 frames at 25 fps are 2.6 s: the
  sky turns 38 arcsec, a fifth of a pixel for a 3.8 arcmin/px camera (UK0006), so the stars stay points,
  while the mean lowers the noise 8 times (about 2.3 magnitudes deeper than one frame). An FF block
  averages 256 frames, whose 2.6 arcmin trail is already most of a pixel there. The start time comes from
  the AllSkyCams name (``YYYY_MM_DD_HH_MM_SS_mmm_<camera>.mp4``,
  :data:`~stationd.disk.layout.DEFAULT_PATTERN`).
- **Stack image** (PNG, JPEG, BMP, TIFF; the scan stage's ``stacks/<stem>_stack.jpg``, a minute's max-pixel
  stack): the image's grey levels, at the middle of its minute (the start plus 30 s), as the calibrate
  stage dates a stack of a one-minute file; the start from the name with its ``_stack`` ending dropped.

A file whose name carries no time takes ``time_utc`` (the command's ``--time``: the UTC start of the
recording), and is refused with its reason when there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from calibration import (
    BlindSolver,
    CameraModel,
    PlateFit,
    PlateFitter,
    Platepar,
    StarFinder,
    StarList,
    load_hipparcos,
    zero_point_of_fit,
)
from detection import open_video, read_ff
from detection.errors import DetectionError
from stationd.disk.layout import DEFAULT_PATTERN, compile_pattern, parse_minute_name

__all__ = ["FilePlate", "StarImage", "UnreadableFile", "calibrate_files", "read_star_image"]


_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
_STACK_MINUTE_S = 60.0  # a stack is of one station minute: its stars are dated at its middle
_MINUTE_NAME = compile_pattern(DEFAULT_PATTERN)


class UnreadableFile(Exception):
    """A file that gives no star image; ``reason`` says why (the command prints it)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class StarImage:
    """A file's star image (H, W) and the UTC time its stars are seen at; ``source`` says how it was made."""

    image: NDArray[Any]  # uint8 (FF average, stack) or float32 (a video run's mean)
    t_utc: datetime
    source: str


def read_star_image(path: Path, time_utc: datetime | None = None, *, video_run_frames: int = 64) -> StarImage:
    """The star image of an FF file, a minute video or a stack image (module docstring).

    ``time_utc`` is the UTC start of the recording for files whose names carry no time. Raises
    :class:`UnreadableFile` with the reason.
    """
    if path.suffix.lower() == ".fits":
        try:
            ff = read_ff(path)
        except DetectionError as exc:
            raise UnreadableFile(path, f"cannot read: {getattr(exc, 'reason', exc)}") from None
        t = ff.start_utc + timedelta(seconds=ff.planes.nframes / 2 / ff.fps)
        return StarImage(ff.planes.avepixel, t, "FF average")
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise UnreadableFile(path, "cannot read: not an image OpenCV decodes")
        stem = path.stem.removesuffix("_stack")
        start = _start_of(path, stem + ".mp4", time_utc)
        return StarImage(image, start + timedelta(seconds=_STACK_MINUTE_S / 2), "stack image")
    start = _start_of(path, path.name, time_utc)
    return _video_run(path, start, video_run_frames)


def _start_of(path: Path, name: str, time_utc: datetime | None) -> datetime:
    """The recording's start from the AllSkyCams name, else ``time_utc``; UnreadableFile when neither."""
    match = _MINUTE_NAME.match(name)
    parsed = None if match is None else parse_minute_name(name, _MINUTE_NAME, match.group("camera"))
    if parsed is not None:
        return parsed.start_utc
    if time_utc is None:
        raise UnreadableFile(path, f"no time: the name is not {DEFAULT_PATTERN} (give --time)")
    return time_utc


def _video_run(path: Path, start: datetime, run: int) -> StarImage:
    """The mean of ``run`` frames about the middle of a video, in one decoding pass.

    The frame count is known only at the end (containers need not announce it), so sums of
    ``run // 2``-frame blocks are kept (uint16: 32 frames of 255 fit), dropping those that lie before half
    the frames decoded so far (they cannot hold the middle): about a quarter of the video's bytes at most,
    46 MB for a 720p minute of 1,500 frames. The run is centred on the middle frame to within 16 frames;
    its time is that of the frames it holds.
    """
    half = min(max(run // 2, 1), 257)  # 257 x 255 still fits uint16
    blocks: dict[int, NDArray[np.uint16]] = {}
    n = 0
    try:
        with open_video(path) as video:
            fps = video.fps
            for chunk in video.chunks(half):
                blocks[n // half] = chunk.sum(axis=0, dtype=np.uint16)
                n += len(chunk)
                for k in [k for k in blocks if (k + 2) * half <= n // 2]:
                    del blocks[k]
    except DetectionError as exc:
        raise UnreadableFile(path, f"cannot read: {getattr(exc, 'reason', exc)}") from None
    if n == 0 or fps <= 0:
        raise UnreadableFile(path, "no frames" if n == 0 else "no frame rate in the container")
    b = min(max(round(n / 2 / half), 1), (n - 1) // half + 1)  # blocks b-1 and b centre the run on frame n/2
    first, last = (b - 1) * half, min((b + 1) * half, n)
    total = sum(blocks[k].astype(np.float64) for k in range(b - 1, min(b + 1, (n - 1) // half + 1)))
    mean = np.asarray(total, dtype=np.float32) / float(last - first)
    t = start + timedelta(seconds=(first + last) / 2.0 / fps)
    return StarImage(mean, t, f"mean of frames {first}-{last - 1} of {n}")


@dataclass(frozen=True)
class FilePlate:
    """The fit of one file (``fit`` None, with ``reason``, when the file cannot be read)."""

    path: Path
    fit: PlateFit | None
    n_stars: int
    reason: str
    az_deg: float | None = None
    alt_deg: float | None = None
    blind: str | None = None
    mag_lev: float | None = None  # the photometric zero point of the matched stars (None: too few)
    mag_scatter: float | None = None  # its scatter (mag)
    n_photometric: int = 0  # stars it rests on

    @property
    def solved(self) -> bool:
        """A solution was found for this file."""
        return self.fit is not None and self.fit.solved


def calibrate_files(
    paths: list[Path],
    guess: CameraModel | Platepar | None,
    *,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float,
    mask: np.ndarray | None = None,
    time_utc: datetime | None = None,
) -> list[FilePlate]:
    """Fit each file's stars from ``guess``, or blind when it is None (module docstring); unreadable
    files give ``fit=None`` and the reason; ``blind`` names the lens hypothesis of a blind solution.
    ``time_utc`` dates the files whose names carry no time (the recording's start)."""
    catalog = load_hipparcos(6.0)
    fitter = PlateFitter(catalog)
    solver = BlindSolver(catalog) if guess is None else None
    site = {"lat_deg": lat_deg, "lon_deg": lon_deg, "elevation_m": elevation_m}
    out = []
    for path in paths:
        try:
            star = read_star_image(path, time_utc)
        except UnreadableFile as exc:
            out.append(FilePlate(path, None, 0, exc.reason))
            continue
        h, w = star.image.shape
        if mask is not None and mask.shape != star.image.shape:
            out.append(FilePlate(path, None, 0, f"the mask is {mask.shape}, the image {star.image.shape}"))
            continue
        stars = StarFinder()(star.image, mask)
        t = star.t_utc
        hypothesis = None
        if solver is not None:
            found = solver(stars.x_px, stars.y_px, int(w), int(h), t, **site)
            fit, hypothesis = found.fit, found.hypothesis
        else:
            assert guess is not None
            start = guess
            if isinstance(guess, CameraModel) and (guess.width_px, guess.height_px) != (w, h):
                start = replace(guess, width_px=int(w), height_px=int(h))
            fit = fitter(stars.x_px, stars.y_px, t, start, **site)
        out.append(_file_plate(path, fit, stars, t, hypothesis))
    return out


def _file_plate(path: Path, fit: PlateFit, stars: StarList, t: datetime, hypothesis: str | None) -> FilePlate:
    """The file's result: the fit with its magnitude model, and the image centre's az/alt."""
    az = alt = None
    zp = None
    if fit.platepar is not None:
        zp = zero_point_of_fit(fit, stars, t)
        if zp.ok:  # the plate's magnitude model (RMS mag_lev) from the matched stars
            fit = replace(fit, platepar=zp.apply(fit.platepar))
        pp = fit.platepar
        assert pp is not None
        a, b = pp.pixel_to_altaz(pp.x_res_px / 2.0, pp.y_res_px / 2.0, t)
        az, alt = float(a), float(b)
    photometry = (zp.mag_lev, zp.scatter_mag, zp.n_used) if zp is not None and zp.ok else (None, None, 0)
    return FilePlate(path, fit, len(stars), fit.reason, az, alt, hypothesis, *photometry)
