"""The star field and sky background of a synthetic video.

Stars come from the catalogue through ``calibration.sky`` (J2000 -> alt/az of date) and the camera model.
Their positions are recomputed every ``epoch_s`` seconds (the sky turns 15 arcsec per second, a small
fraction of a pixel per epoch). Flux: ``flux_dn = 10 ** (-0.4 * (V + k (X - 1) - mag_1dn))`` summed over
the PSF, with extinction ``k`` per airmass ``X`` (Rozenberg 1966: X = 1 / (sin h + 0.025 exp(-11 sin h))).
Scintillation: each star's flux is multiplied in every frame by a log-normal factor of relative sigma
``twinkle * X ** 1.75`` (the airmass dependence of Young 1967, AJ 72, 747), independent between frames
(scintillation decorrelates within milliseconds, far shorter than a 40 ms frame). Only stars bright enough
for it to show (peak above the noise sigma) twinkle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.camera import CameraModel
from calibration.catalog import StarCatalog
from calibration.sky import radec_to_altaz
from detection.synth._kernels import gauss_hash_np
from detection.synth._render import stamp_indices

__all__ = ["StarField", "StarOptics", "sky_background"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class StarOptics:
    """How stars look: PSF, photometric zero point, extinction and twinkling."""

    psf_sigma_px: float
    mag_1dn: float
    extinction_mag: float
    twinkle: float
    noise_dn: float


def airmass(alt_deg: F64) -> F64:
    """Rozenberg (1966) airmass, finite down to the horizon."""
    s = np.sin(np.radians(np.maximum(alt_deg, 0.0)))
    return np.asarray(1.0 / (s + 0.025 * np.exp(-11.0 * s)))


@functools.lru_cache(maxsize=8)
def sky_background(camera: CameraModel, background_dn: float, horizon_glow_dn: float) -> F32:
    """Sky level per pixel: brighter towards the horizon (skyglow), darker below it (ground); read-only."""
    y, x = np.mgrid[0 : camera.height_px, 0 : camera.width_px]
    _, alt = camera.pixel_to_altaz(x.astype(np.float64), y.astype(np.float64))
    sky = background_dn + horizon_glow_dn * np.exp(-np.maximum(alt, 0.0) / 15.0)
    ground = 0.6 * background_dn
    level = np.where(alt >= 0.0, sky, ground).astype(np.float32)
    level.flags.writeable = False  # shared between videos through the cache
    return level


class StarField:
    """Stars of one video: a cached still image per epoch plus per-frame twinkling."""

    def __init__(
        self,
        catalog: StarCatalog,
        camera: CameraModel,
        site: tuple[float, float, float],
        optics: StarOptics,
        fps: float,
        twinkle_key: np.uint64,
        unit_table: NDArray[np.float32],
        epoch_s: float = 2.0,
    ) -> None:
        self.camera, self.optics, self.fps, self.epoch_s = camera, optics, fps, epoch_s
        self.lat_deg, self.lon_deg, self.jd0 = site
        self.key, self.unit_table = twinkle_key, unit_table
        x, y, _ = self._project(catalog.ra_deg, catalog.dec_deg, 0.0)
        margin = 10.0
        keep = (
            (x > -margin) & (x < camera.width_px + margin) & (y > -margin) & (y < camera.height_px + margin)
        )
        self.ra_deg, self.dec_deg = catalog.ra_deg[keep], catalog.dec_deg[keep]
        self.mag_v, self.ids = catalog.mag_v[keep], catalog.ids[keep]
        self._epoch: int | None = None
        self._image: F32 = np.zeros((camera.height_px, camera.width_px), np.float32)
        self._tw_idx: NDArray[np.intp] = np.zeros((0, 1), np.intp)
        self._tw_w: F32 = np.zeros((0, 1), np.float32)
        self._tw_sigma: F64 = np.zeros(0)

    def _project(self, ra: F64, dec: F64, t_s: float) -> tuple[F64, F64, F64]:
        az, alt = radec_to_altaz(ra, dec, self.jd0 + t_s / 86400.0, self.lat_deg, self.lon_deg)
        x, y = self.camera.altaz_to_pixel(az, alt)
        up = alt > 0.0
        return np.where(up, x, np.nan), np.where(up, y, np.nan), alt

    def stars_at(self, t_s: float) -> dict[str, Any]:
        """Stars inside the image at ``t_s``: ids, x_px, y_px, mag_v, flux_dn (JSON-able lists)."""
        x, y, alt = self._project(self.ra_deg, self.dec_deg, t_s)
        inside = (x >= 0) & (x <= self.camera.width_px - 1) & (y >= 0) & (y <= self.camera.height_px - 1)
        flux = self._flux(alt, self.mag_v)
        return {
            "id": self.ids[inside].tolist(),
            "x_px": np.round(x[inside], 3).tolist(),
            "y_px": np.round(y[inside], 3).tolist(),
            "mag_v": np.round(self.mag_v[inside], 3).tolist(),
            "flux_dn": np.round(flux[inside], 3).tolist(),
        }

    def _flux(self, alt: F64, mag_v: F64) -> F64:
        o = self.optics
        mag = mag_v + o.extinction_mag * (airmass(alt) - 1.0)
        return np.asarray(10.0 ** (-0.4 * (mag - o.mag_1dn)))

    def _prepare(self, epoch: int) -> None:
        t_s = (epoch + 0.5) * self.epoch_s
        x, y, alt = self._project(self.ra_deg, self.dec_deg, t_s)
        ok = np.isfinite(x)
        x, y, alt = x[ok], y[ok], alt[ok]
        flux = self._flux(alt, self.mag_v[ok])  # stars that set since the start are left out
        h, w = self.camera.height_px, self.camera.width_px
        idx, weights = stamp_indices(x, y, self.optics.psf_sigma_px, h, w)
        image = np.zeros(h * w, np.float32)
        np.add.at(image, idx.ravel(), (weights * flux[:, None].astype(np.float32)).ravel())
        self._image = image.reshape(h, w)
        peak = flux / (2.0 * np.pi * self.optics.psf_sigma_px**2)
        tw = peak > self.optics.noise_dn
        self._tw_idx = idx[tw]
        self._tw_w = (weights[tw] * flux[tw, None]).astype(np.float32)
        self._tw_sigma = np.minimum(self.optics.twinkle * airmass(alt[tw]) ** 1.75, 0.6)
        self._tw_ids = np.flatnonzero(ok)[tw].astype(np.uint64)
        self._epoch = epoch

    def epoch(self, frame: int) -> int:
        """Index of the epoch (star positions held still) holding ``frame``."""
        return int((frame / self.fps) // self.epoch_s)

    def image(self, frame: int) -> F32:
        """The still star image (float32, DN above background) of the epoch holding ``frame``."""
        epoch = self.epoch(frame)
        if epoch != self._epoch:
            self._prepare(epoch)
        return self._image

    def add_twinkle(self, image: F32, frame: int) -> None:
        """Add the scintillation of ``frame`` (flux times factor minus one) to ``image`` in place."""
        self.image(frame)
        if len(self._tw_sigma) == 0 or self.optics.twinkle <= 0:
            return
        counters = np.uint64(frame) * np.uint64(len(self.ra_deg)) + self._tw_ids
        g = gauss_hash_np(self.key, counters, self.unit_table).astype(np.float64)
        s = self._tw_sigma
        factor = np.exp(s * g - 0.5 * s * s) - 1.0
        np.add.at(
            image.reshape(-1), self._tw_idx.ravel(), (self._tw_w * factor[:, None].astype(np.float32)).ravel()
        )
