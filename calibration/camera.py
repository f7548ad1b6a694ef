"""A simple camera model: pointing, rotation, field of view and projection, without lens distortion.

It maps horizontal coordinates (azimuth east of north, altitude, degrees) to pixels and back. It is the
coarse pointing a station's configuration gives, and what the synthetic sky generator projects through; the
plate solution of the calibration stage (with distortion) is a different, fitted object.

Conventions
-----------
- Pixels: 0-based, pixel centres on integers, x to the right, y down; the optical axis falls on the image
  centre ``((width_px - 1) / 2, (height_px - 1) / 2)``.
- Without rotation, "up" on the image points towards the zenith (along the vertical circle through the
  optical axis) and east is to the right of a camera facing north, as on a photograph of the sky taken
  from the ground.
- ``rotation_deg`` is the angle, measured counterclockwise on the image as displayed, from the image's "up"
  direction (-y) to the direction of the zenith. With 90 degrees the zenith lies to the image's left.
- Camera pointing at the zenith (``alt_deg == 90``): "up" is the direction away from azimuth ``az_deg``
  (the limit of the vertical circle of azimuth ``az_deg`` as the altitude tends to 90).
- Projections (angle rho from the optical axis to radius r on the image, focal length f in pixels):
  ``"equidistant"`` r = f rho (fish-eye lenses, all-sky cameras) and ``"rectilinear"`` r = f tan(rho)
  (the pinhole camera). ``fov_h_deg`` is the angle across the image width through its centre, so
  f = width / fov (equidistant) or f = (width / 2) / tan(fov / 2) (rectilinear).

Example::

    >>> cam = CameraModel(1280, 720, az_deg=180.0, alt_deg=45.0, rotation_deg=0.0, fov_h_deg=88.0)
    >>> x, y = cam.altaz_to_pixel(180.0, 45.0)
    >>> float(x), float(y)
    (639.5, 359.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # platepar.py does not import this module; only the annotation needs it
    from calibration.platepar import Platepar, TimeLike

__all__ = ["CameraModel", "plate_scale_px_per_deg"]

Projection = Literal["equidistant", "rectilinear"]
FloatArray = NDArray[np.float64]


def plate_scale_px_per_deg(
    width_px: float, fov_h_deg: float, projection: Projection = "equidistant"
) -> float:
    """Plate scale at the image centre (px/deg) of a camera ``width_px`` wide seeing ``fov_h_deg`` across.

    The one plate scale of the project (speed limits, angular speeds, lengths): the focal length in pixels
    of the projection (see the module docstring) per degree. Equidistant: ``width / fov``; rectilinear:
    ``(width / 2) / tan(fov / 2)`` per radian, smaller at the centre than ``width / fov`` (the image
    stretches towards its edges).

    >>> plate_scale_px_per_deg(1280, 88.0)
    14.545454545454545
    >>> round(plate_scale_px_per_deg(1280, 60.0, "rectilinear"), 3)
    19.347
    """
    if not (width_px > 0 and 0.0 < fov_h_deg < (360.0 if projection == "equidistant" else 179.0)):
        raise ValueError(f"plate scale: width {width_px} px, fov {fov_h_deg} deg ({projection}) out of range")
    if projection == "equidistant":
        return float(width_px / fov_h_deg)  # r = f rho: the same scale everywhere along a radius
    focal_px = width_px / 2.0 / np.tan(np.radians(fov_h_deg) / 2.0)
    return float(focal_px * np.pi / 180.0)


@dataclass(frozen=True)
class CameraModel:
    """Pointing and optics of one camera (see the module docstring for the conventions)."""

    width_px: int
    height_px: int
    az_deg: float
    alt_deg: float
    rotation_deg: float
    fov_h_deg: float
    projection: Projection = "equidistant"

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 2:
                raise ValueError(f"CameraModel.{name}={value!r}: expected an integer >= 2")
        if not -90.0 <= self.alt_deg <= 90.0:
            raise ValueError(f"CameraModel.alt_deg={self.alt_deg!r}: expected an altitude in [-90, 90]")
        if self.projection not in ("equidistant", "rectilinear"):
            raise ValueError(
                f"CameraModel.projection={self.projection!r}: expected 'equidistant' or 'rectilinear'"
            )
        limit = 360.0 if self.projection == "equidistant" else 179.0
        if not 0.0 < self.fov_h_deg < limit:
            raise ValueError(
                f"CameraModel.fov_h_deg={self.fov_h_deg!r}: expected 0 < fov < {limit:g} for "
                f"the {self.projection} projection"
            )

    @property
    def focal_px(self) -> float:
        """Focal length in pixels (the radius per radian at the centre)."""
        half = np.radians(self.fov_h_deg) / 2.0
        if self.projection == "equidistant":
            return float(self.width_px / 2.0 / half)
        return float(self.width_px / 2.0 / np.tan(half))

    @property
    def scale_px_per_deg(self) -> float:
        """Plate scale at the image centre, pixels per degree (:func:`plate_scale_px_per_deg`)."""
        return plate_scale_px_per_deg(self.width_px, self.fov_h_deg, self.projection)

    def _basis(self) -> FloatArray:
        """Rows: right, up and forward unit vectors of the camera in east/north/zenith coordinates."""
        az, alt = np.radians(self.az_deg), np.radians(self.alt_deg)
        forward = np.array([np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)])
        up = np.array([-np.sin(alt) * np.sin(az), -np.sin(alt) * np.cos(az), np.cos(alt)])
        right = np.cross(forward, up)
        rot = np.radians(self.rotation_deg)
        c, s = np.cos(rot), np.sin(rot)
        # Turn the image axes so that the zenith direction (0, 1) lands at (-sin, cos): counterclockwise.
        img_right = c * right - s * up
        img_up = s * right + c * up
        return np.stack([img_right, img_up, forward])

    def altaz_to_pixel(self, az_deg: ArrayLike, alt_deg: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Pixel coordinates of directions; NaN for directions the projection cannot image.

        Parameters
        ----------
        az_deg, alt_deg : array_like
            Azimuth east of north and altitude, degrees.

        Returns
        -------
        x_px, y_px : ndarray
            Pixel coordinates (may lie outside the image; NaN behind a rectilinear camera).
        """
        az = np.radians(np.asarray(az_deg, dtype=np.float64))
        alt = np.radians(np.asarray(alt_deg, dtype=np.float64))
        az, alt = np.broadcast_arrays(az, alt)
        enu = np.stack([np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)])
        xi, eta, zeta = np.tensordot(self._basis(), enu, axes=1)
        f = self.focal_px
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.projection == "rectilinear":
                ok = zeta > 1e-12
                u = np.where(ok, f * xi / np.where(ok, zeta, 1.0), np.nan)
                v = np.where(ok, f * eta / np.where(ok, zeta, 1.0), np.nan)
            else:
                sin_rho = np.hypot(xi, eta)
                rho = np.arctan2(sin_rho, zeta)
                ratio = np.where(sin_rho > 1e-15, rho / np.where(sin_rho > 1e-15, sin_rho, 1.0), 1.0)
                u, v = f * xi * ratio, f * eta * ratio
        x = (self.width_px - 1) / 2.0 + u
        y = (self.height_px - 1) / 2.0 - v
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def pixel_to_altaz(self, x_px: ArrayLike, y_px: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Azimuth east of north in [0, 360) and altitude (degrees) seen at pixel coordinates."""
        x = np.asarray(x_px, dtype=np.float64)
        y = np.asarray(y_px, dtype=np.float64)
        x, y = np.broadcast_arrays(x, y)
        u = x - (self.width_px - 1) / 2.0
        v = (self.height_px - 1) / 2.0 - y
        r = np.hypot(u, v)
        f = self.focal_px
        rho = r / f if self.projection == "equidistant" else np.arctan(r / f)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(r > 1e-15, np.sin(rho) / np.where(r > 1e-15, r, 1.0), 1.0 / f)
        cam = np.stack([u * scale, v * scale, np.cos(rho)])
        east, north, zenith = np.tensordot(self._basis().T, cam, axes=1)
        az = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
        alt = np.degrees(np.arcsin(np.clip(zenith, -1.0, 1.0)))
        return np.asarray(az, dtype=np.float64), np.asarray(alt, dtype=np.float64)


def camera_of_platepar(platepar: Platepar, t_utc: TimeLike) -> CameraModel:
    """The coarse camera (pointing of the image centre, rotation, horizontal field) that a plate solution
    describes at ``t_utc``: what a station's config would hold for that camera (equidistant lens).

    The rotation is read from where the plate puts a point 30 px above the centre (``rotation_deg`` as the
    config's ``pointing``: the angle of the image's up direction from the sky's). The inverse, a plate from a
    camera, is :func:`calibration.fit.platepar_from_camera`.
    """
    cx, cy = (platepar.x_res_px - 1) / 2, (platepar.y_res_px - 1) / 2
    az, alt = (float(v) for v in platepar.pixel_to_altaz(cx, cy, t_utc))
    fov = platepar.x_res_px / platepar.f_scale_px_per_deg
    upright = CameraModel(platepar.x_res_px, platepar.y_res_px, az, alt, 0.0, fov)
    ux, uy = upright.altaz_to_pixel(*platepar.pixel_to_altaz(cx, cy - 30, t_utc))
    up_deg = math.degrees(math.atan2(-(float(uy) - cy), float(ux) - cx))
    return CameraModel(platepar.x_res_px, platepar.y_res_px, az, alt, 90.0 - up_deg, fov)
