"""The picture of a meteor: a stack of its frames with the detected track marked, as a JPEG.

:func:`track_image` draws on a grey stack (typically the max image of the meteor's frames) in colour,
without covering the trail itself:

- a thin yellow line parallel to the track, a few pixels to one side, with a short tick for every frame
  that has a centroid (where the head was in that frame);
- a green mark across the track at its begin and a red one at its end, each split so the trail shows
  through the gap.

The stack is contrast-stretched as :func:`detection.scan.stack.preview_jpeg` stretches it (0.5th..99.95th
percentile to 0..255), so a faint meteor on a dark sky is visible.

Example
-------
>>> jpeg = track_image(stack, detection)            # doctest: +SKIP
>>> Path("stack.jpg").write_bytes(jpeg)             # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np

from detection.scan.stack import _stretch

if TYPE_CHECKING:
    from detection.meteors.record import Detection

__all__ = ["track_image"]

#: Colours (BGR) of the marks.
_TRACK_BGR = (0, 220, 255)
_BEGIN_BGR = (0, 200, 0)
_END_BGR = (40, 40, 255)

#: Drawing with sub-pixel positions: coordinates are multiplied by 2**_SHIFT.
_SHIFT = 4


def track_image(
    image: np.ndarray,
    detection: Detection,
    *,
    quality: int = 90,
    max_width_px: int | None = None,
    stretch: bool = True,
) -> bytes:
    """A JPEG of ``image`` with the track of ``detection`` marked in colour.

    Parameters
    ----------
    image : np.ndarray
        uint8 (H, W) grey stack, in the pixel frame of the detection (0-based, pixel centres on
        integers, x right, y down).
    detection : Detection
        Its ``line`` (begin and end) and ``frames`` (per-frame centroids) are drawn.
    quality : int
        JPEG quality, 1..100.
    max_width_px : int, optional
        Reduce wider images to this width (area averaging) before drawing; None keeps the full size.
    stretch : bool
        Contrast-stretch the stack as :func:`detection.scan.stack.preview_jpeg` does.

    Returns
    -------
    bytes
        The JPEG file contents (3 channels).
    """
    if image.dtype != np.uint8 or image.ndim != 2 or 0 in image.shape:
        raise ValueError(f"image: got {image.dtype} {image.shape}, expected a non-empty uint8 (H, W)")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality: got {quality}, expected 1..100")
    if max_width_px is not None and max_width_px < 16:
        raise ValueError(f"max_width_px: got {max_width_px}, expected >= 16 or None")
    height, width = image.shape
    scale = 1.0
    if max_width_px is not None and width > max_width_px:
        scale = max_width_px / width
        size = (max_width_px, max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if stretch:
        image = _stretch(image)
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    _draw_track(canvas, detection, scale)
    ok, buf = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - imencode fails only on unsupported input, checked above
        raise RuntimeError("cv2.imencode failed to encode the track image")
    return bytes(buf.tobytes())


def _draw_track(canvas: np.ndarray, detection: Detection, scale: float) -> None:
    """Draw the marks; sizes grow slowly with the image so they stay visible on large frames."""
    line = detection.line
    begin = _to_canvas(line.x_begin_px, line.y_begin_px, scale)
    end = _to_canvas(line.x_end_px, line.y_end_px, scale)
    dx, dy = end[0] - begin[0], end[1] - begin[1]
    length = math.hypot(dx, dy)
    ux, uy = (dx / length, dy / length) if length > 1e-6 else (1.0, 0.0)
    nx, ny = -uy, ux  # the side the parallel line is drawn on
    unit = max(1.0, canvas.shape[1] / 640.0)
    gap, tick, thick = 5.0 * unit, 9.0 * unit, max(1, round(unit))

    def seg(p: tuple[float, float], a: float, b: float, bgr: tuple[int, int, int]) -> None:
        """Segment from p + a * normal to p + b * normal."""
        _line(canvas, (p[0] + a * nx, p[1] + a * ny), (p[0] + b * nx, p[1] + b * ny), bgr, thick)

    off = gap + 0.5 * tick
    _line(canvas, (begin[0] + off * nx, begin[1] + off * ny), (end[0] + off * nx, end[1] + off * ny),
          _TRACK_BGR, thick)  # fmt: skip
    for point in detection.frames:
        x, y = _to_canvas(point.x_px, point.y_px, scale)
        along = (x - begin[0]) * ux + (y - begin[1]) * uy  # the head's place along the fitted line
        seg((begin[0] + along * ux, begin[1] + along * uy), off, off + 0.5 * tick, _TRACK_BGR)
    for p, bgr in ((begin, _BEGIN_BGR), (end, _END_BGR)):
        seg(p, gap, gap + tick, bgr)
        seg(p, -gap, -gap - tick, bgr)


def _to_canvas(x_px: float, y_px: float, scale: float) -> tuple[float, float]:
    """Image pixel -> canvas pixel (pixel centres on integers in both)."""
    return (x_px + 0.5) * scale - 0.5, (y_px + 0.5) * scale - 0.5


def _line(
    canvas: np.ndarray, p: tuple[float, float], q: tuple[float, float], bgr: tuple[int, int, int], thick: int
) -> None:
    f = 1 << _SHIFT
    a = (round(p[0] * f), round(p[1] * f))
    b = (round(q[0] * f), round(q[1] * f))
    cv2.line(canvas, a, b, bgr, thick, cv2.LINE_AA, _SHIFT)
