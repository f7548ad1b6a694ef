"""Synthetic skies with known plates: Hipparcos stars through a camera with radial distortion, for a site
and a time, rendered as an FF average image (AVEPIXEL-like, uint8).

The truth is an RMS :class:`~calibration.platepar.Platepar` (:func:`synthetic_platepar`: a coarse
:class:`~calibration.camera.CameraModel` pointing with a ``radial3-odd`` or ``radial5-odd`` lens), so the
calibration's answer can be compared with it exactly. :func:`render_sky_image` draws every catalogue star
above the horizon and brighter than ``limit_mag`` at the pixel the truth puts it (the exact inverse of its
forward model, :meth:`~calibration.platepar.Platepar.sky_to_pixel_inverse`: the fit works on the forward
model, and the reverse polynomial agrees with it only to ~1 px at the edges), with a Gaussian PSF, flux
``10 ** (-0.4 (V + k (X - 1) - zp))`` (extinction ``k`` per airmass ``X``, Rozenberg 1966 as in
``detection.synth``), a sky background, and the ways a frame goes wrong: clouds (a smooth random
transmission that dims stars and lights the sky), ``n_false_stars`` point sources that are not on the sky
(planes' lights, hot pixels, reflections), and Gaussian noise. Everything is a pure function of the
arguments and ``seed``.

Example::

    >>> cam = CameraModel(640, 360, az_deg=180.0, alt_deg=50.0, rotation_deg=0.0, fov_h_deg=60.0)
    >>> t = datetime(2022, 9, 14, 22, 0, tzinfo=UTC)
    >>> truth = synthetic_platepar(cam, t, 51.9, -1.3, k3=0.05)
    >>> sky = render_sky_image(truth, t, load_hipparcos(7.0), SkyImageSettings(), seed=1)  # doctest: +SKIP
    >>> sky.image.shape, sky.image.dtype.name                                               # doctest: +SKIP
    ((360, 640), 'uint8')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime  # noqa: F401 - UTC is used in the module example

import cv2
import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from calibration.catalog import StarCatalog, julian_epoch, load_hipparcos  # noqa: F401 - load_hipparcos in the example
from calibration.fit import _fit_reverse, _radial_platepar, platepar_from_camera
from calibration.platepar import Platepar, _jd_of
from calibration.sky import radec_to_altaz

__all__ = ["SkyImage", "SkyImageSettings", "render_sky_image", "synthetic_platepar"]

FloatArray = NDArray[np.float64]
_STAMP = 4  # half-size of a star's stamp, px (4.5 sigma at the default PSF)


@dataclass(frozen=True)
class SkyImageSettings:
    """How a synthetic FF average image looks (module docstring)."""

    psf_sigma_px: float = 1.2
    background_dn: float = 30.0
    noise_dn: float = 1.5
    zero_point_mag: float = 10.75
    limit_mag: float = 7.0
    extinction_mag: float = 0.25
    cloud_cover: float = 0.0
    cloud_glow_dn: float = 40.0
    n_false_stars: int = 0
    false_star_mag: tuple[float, float] = (1.0, 6.5)

    def __post_init__(self) -> None:
        if not 0.0 <= self.cloud_cover <= 1.0:
            raise ValueError(f"SkyImageSettings.cloud_cover={self.cloud_cover!r}: expected [0, 1]")
        if self.psf_sigma_px <= 0 or self.noise_dn < 0 or self.n_false_stars < 0:
            raise ValueError(
                f"SkyImageSettings psf_sigma_px={self.psf_sigma_px!r}, noise_dn={self.noise_dn!r}, "
                f"n_false_stars={self.n_false_stars!r}: expected sigma > 0, noise >= 0, count >= 0"
            )


@dataclass(frozen=True)
class SkyImage:
    """A rendered frame and its truth: the plate, and the catalogue stars drawn (pixel, position at
    ``t_utc`` in the J2000 frame, V)."""

    image: NDArray[np.uint8]
    platepar: Platepar
    t_utc: datetime
    x_px: FloatArray = field(repr=False)
    y_px: FloatArray = field(repr=False)
    mag_v: FloatArray = field(repr=False)
    ra_deg: FloatArray = field(repr=False)
    dec_deg: FloatArray = field(repr=False)


def synthetic_platepar(
    camera: CameraModel,
    t_utc: datetime,
    lat_deg: float,
    lon_deg: float,
    elevation_m: float = 0.0,
    *,
    k3: float = 0.0,
    k5: float = 0.0,
) -> Platepar:
    """The plate of ``camera`` at ``t_utc`` with a radial lens: ``radial3-odd`` (``k3``) or, when ``k5`` is
    not 0, ``radial5-odd``; coefficients of the radius normalised to half the image width, as RMS's."""
    jd = float(np.asarray(_jd_of(t_utc)))
    pp = platepar_from_camera(camera, jd, lat_deg, lon_deg, elevation_m)
    if k5:
        pp = _radial_platepar(pp, "radial5-odd", np.array([0.0, 0.0, k3, k5]))
    else:
        pp = _radial_platepar(pp, "radial3-odd", np.array([0.0, 0.0, k3]))
    return _fit_reverse(pp)


def _cloud_transmission(shape: tuple[int, int], cover: float, rng: np.random.Generator) -> FloatArray:
    """A smooth random sky transmission in [0, 1]: ``cover`` of the image under thick cloud, edges soft."""
    h, w = shape
    coarse = rng.normal(size=(max(h // 90, 3), max(w // 90, 3)))
    smooth = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    level = float(np.quantile(smooth, 1.0 - cover)) if cover < 1.0 else -np.inf
    # Thick (transmission ~0) above the level, clear a little below it: a cloud edge one unit wide.
    return np.asarray(np.clip((level - smooth) / 0.4, 0.0, 1.0), dtype=np.float64)


def _draw(image: FloatArray, x: FloatArray, y: FloatArray, flux: FloatArray, sigma: float) -> None:
    """Add Gaussian stars (total ``flux`` each, centres on integer pixel coordinates) to ``image``."""
    h, w = image.shape
    offs = np.arange(-_STAMP, _STAMP + 1)
    xi, yi = np.round(x).astype(np.int64), np.round(y).astype(np.int64)
    px = xi[:, None, None] + offs[None, None, :]
    py = yi[:, None, None] + offs[None, :, None]
    g = np.exp(-((px - x[:, None, None]) ** 2 + (py - y[:, None, None]) ** 2) / (2.0 * sigma * sigma))
    g *= (flux / (2.0 * math.pi * sigma * sigma))[:, None, None]
    px, py = np.broadcast_arrays(px, py)
    ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    np.add.at(image, (py[ok], px[ok]), g[ok])


def render_sky_image(
    platepar: Platepar, t_utc: datetime, catalog: StarCatalog, settings: SkyImageSettings, seed: int
) -> SkyImage:
    """Render the sky that ``platepar`` sees at ``t_utc`` (module docstring); ``seed`` fixes the noise,
    the clouds and the false stars."""
    s = settings
    rng = np.random.default_rng(seed)
    w, h = platepar.x_res_px, platepar.y_res_px
    jd = float(np.asarray(_jd_of(t_utc)))
    cat = catalog.at_epoch(julian_epoch(jd)).brighter_than(s.limit_mag)  # the stars where they are at t_utc
    _, alt = radec_to_altaz(cat.ra_deg, cat.dec_deg, jd, platepar.lat_deg, platepar.lon_deg)
    up = np.flatnonzero(alt > 2.0)
    # The field's own cone first: far-off stars can fold back into the image through the distortion.
    ra_c, dec_c = platepar.pixel_to_sky(w / 2.0, h / 2.0, t_utc)
    d1, d2 = np.radians(cat.dec_deg[up]), math.radians(float(dec_c))
    cos_sep = np.sin(d1) * math.sin(d2) + np.cos(d1) * math.cos(d2) * np.cos(
        np.radians(cat.ra_deg[up] - ra_c)
    )
    cone = math.hypot(w, h) / 2.0 / platepar.f_scale_px_per_deg * 1.3
    up = up[cos_sep > math.cos(math.radians(min(cone, 100.0)))]
    x, y = platepar.sky_to_pixel_inverse(cat.ra_deg[up], cat.dec_deg[up], t_utc)
    inside = np.isfinite(x) & (x > -5) & (x < w + 4) & (y > -5) & (y < h + 4)
    x, y, idx = x[inside], y[inside], up[inside]
    airmass = 1.0 / (np.sin(np.radians(alt[idx])) + 0.025 * np.exp(-11.0 * np.sin(np.radians(alt[idx]))))
    flux = 10.0 ** (-0.4 * (cat.mag_v[idx] + s.extinction_mag * (airmass - 1.0) - s.zero_point_mag))
    transmission = _cloud_transmission((h, w), s.cloud_cover, rng) if s.cloud_cover > 0 else None
    if transmission is not None:
        xi = np.clip(np.round(x).astype(np.int64), 0, w - 1)
        yi = np.clip(np.round(y).astype(np.int64), 0, h - 1)
        flux = flux * transmission[yi, xi]
    image = np.full((h, w), s.background_dn, np.float64)
    _draw(image, x, y, flux, s.psf_sigma_px)
    if s.n_false_stars:
        fx, fy = rng.uniform(5, w - 6, s.n_false_stars), rng.uniform(5, h - 6, s.n_false_stars)
        fmag = rng.uniform(*s.false_star_mag, s.n_false_stars)
        _draw(image, fx, fy, 10.0 ** (-0.4 * (fmag - s.zero_point_mag)), s.psf_sigma_px)
    if transmission is not None:
        image += s.cloud_glow_dn * (1.0 - transmission)
    image += rng.normal(0.0, s.noise_dn, image.shape)
    out = np.clip(np.round(image), 0, 255).astype(np.uint8)
    drawn = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    i = idx[drawn]
    return SkyImage(out, platepar, t_utc, x[drawn], y[drawn], cat.mag_v[i], cat.ra_deg[i], cat.dec_deg[i])
