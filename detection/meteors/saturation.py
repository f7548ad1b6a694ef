"""A head clipped at the sensor's top: which pixels are saturated, and where the clipped core lies.

A fireball's head is brighter than an 8-bit camera records: its core is clipped at the top of the scale
(255) over several pixels. Two things follow.

- **What counts as saturated.** Lossy video (H.264, MPEG-4, the FLV1 of FRIPON's clips) codes a clipped
  plateau with an error of a few DN: in the real fireball of ``meteor5.flv`` (``../shared/data/video``,
  frame 96) the core reads 249-255 with 255 in about half its pixels, and the clipped cores of the
  saturated fireballs of ``bench/detection.py`` (H.264 at 1.5 Mbit/s) decode as 250-255. Counting only
  pixels at exactly 255 misses about half a clipped core; :data:`SATURATED_DN` (250) counts them in
  decoded frames. An RMS FF file holds the maxima of the camera's raw frames, where 250-254 is light
  below the clip: there the top is :data:`SENSOR_TOP_DN` (on the real FF files of
  ``../shared/data/rms/UK0006_20220914``, counting from 250 made two meteors of magnitude 0.1 and 0.3
  fireballs by their saturated pixels).
- **Where the head is.** Inside the clipped core every pixel reads the same: the image's shape there
  says nothing, and an intensity-weighted centroid of a corridor weights that flat top as if it were the
  head's light profile, with the bloom and the halo around it. The clipped core, though, has a shape: the
  set of pixels where the head's light exceeds the clip level, symmetric about the head's path and
  centred on it for a trail of steady light. :func:`core_centroid` takes the head's position from that
  shape, used only where the core is saturated: the centroid of the core with its outline found between
  pixels, each pixel of the core and its rim weighing by how far it rises from half-way between the sky
  and the clip level to the clip level (1 for every clipped pixel, 0 below half-way), so that neither
  the flat top's level nor the bloom and halo below half-way move it. This is the approach of
  saturated-star astrometry, which takes a saturated star's position from the outline of its saturated
  area and its unsaturated wings while giving the clipped pixels no profile (Stetson 1987, PASP 99, 191:
  DAOPHOT's "high good datum" above which pixels are not fitted; for trailed images, the trail's outline
  and wings: Veres et al. 2012, PASP 124, 1197).

  Measured against the generator's truth (the light-weighted centroid of the head's path in each frame,
  :func:`detection.synth.sky.random_saturated_fireball`, 8 fireballs at 640x360, their 91 saturated frame
  points): median error 0.025 px (90th percentile 0.068) against 0.072 (0.209) for the intensity-weighted
  centroid; through H.264 at 1.5 Mbit/s (6 fireballs, 46 points): 0.037 (0.088) against 0.130 (0.226).
  ``tests/detection/test_saturation.py`` checks it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["MIN_CORE_PX", "SATURATED_DN", "SENSOR_TOP_DN", "core_centroid", "saturated"]

#: The sensor's top in 8-bit data that no lossy codec touched (RMS's FF files).
SENSOR_TOP_DN = 255
#: The sensor's top less a codec's error on a clipped plateau, in decoded frames (see the module).
SATURATED_DN = 250
#: Fewest clipped pixels that make a saturated core (a core has an outline; one or two pixels at the top
#: are a star's peak, a codec spike or a head just reaching the clip level).
MIN_CORE_PX = 4

_EIGHT = np.ones((3, 3), bool)
_RIM_PX = 2  # the outline is sought this far around the clipped pixels


def saturated(pixels: np.ndarray, top_dn: int = SATURATED_DN) -> np.ndarray:
    """Where ``pixels`` (DN, 8-bit scale) are at the sensor's top: ``top_dn`` or above (decoded video:
    :data:`SATURATED_DN`; FF files of raw frames: :data:`SENSOR_TOP_DN`)."""
    return np.asarray(pixels >= top_dn)


def core_centroid(
    pixels: np.ndarray, region: np.ndarray, valid: np.ndarray, xx: np.ndarray, yy: np.ndarray
) -> tuple[float, float, int] | None:
    """The head's position from the shape of its clipped core, or None when the core is not saturated.

    Parameters
    ----------
    pixels : ndarray (h, w)
        The image around the head (DN).
    region : bool ndarray (h, w)
        Where the head is sought (its corridor); the core is the 8-connected set of clipped pixels with
        the most pixels in it.
    valid : bool ndarray (h, w)
        The pixels that take part: the core is followed over these beyond ``region`` (a corridor a few
        px wide cuts a wide core, and cuts it unevenly where the predicted path is off the head).
    xx, yy : ndarray (h, w)
        The pixels' coordinates (px).

    Returns
    -------
    (x, y, n) or None
        The mean position of the core's pixels and their number, when ``region`` holds at least
        :data:`MIN_CORE_PX` of them (None too when the sky around the core is itself clipped).
    """
    clipped = saturated(pixels) & valid
    if int((clipped & region).sum()) < MIN_CORE_PX:
        return None
    labels, n = ndimage.label(clipped, structure=_EIGHT)
    inside = np.bincount(labels[region & clipped], minlength=n + 1)
    inside[0] = 0
    k = int(np.argmax(inside))
    if inside[k] < MIN_CORE_PX:
        return None
    core = labels == k
    grown = ndimage.binary_dilation(core, structure=_EIGHT, iterations=_RIM_PX) & valid
    around = valid & ~grown
    if not around.any():  # no sky around the core: nothing it stands out of
        return None
    sky = float(np.median(pixels[around]))
    if sky >= SATURATED_DN - 1:  # the sky around is clipped too: no core stands out of it
        return None
    floor = 0.5 * (sky + SATURATED_DN)
    w = np.clip((pixels[grown].astype(np.float64) - floor) / (SATURATED_DN - floor), 0.0, 1.0)
    total = float(w.sum())
    if total <= 0.0:
        return None
    return float(np.dot(w, xx[grown]) / total), float(np.dot(w, yy[grown]) / total), int(core.sum())
