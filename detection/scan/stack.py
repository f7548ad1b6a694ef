"""Max-pixel stack of a minute and its small preview image.

The max-pixel stack keeps, for every pixel, the largest value it took during the minute: a meteor shows as
its whole trail, stars as dots (they move about 0.25 deg per minute), the background at its upper noise
level. :class:`MaxStack` builds it in a streaming way from chunks of frames or from the MAXPIXEL planes of
the minute's FF blocks (the max of maxima is the same image, and costs nothing more); :func:`preview_jpeg`
encodes a small, contrast-stretched JPEG of it for people to look at.

Example
-------
>>> import numpy as np
>>> stack = MaxStack(2, 3)
>>> stack.add_frames(np.array([[[1, 9, 3], [4, 5, 6]], [[7, 2, 3], [0, 5, 8]]], dtype=np.uint8))
>>> stack.image.tolist()
[[7, 9, 3], [4, 5, 8]]
"""

from __future__ import annotations

import cv2
import numpy as np


class MaxStack:
    """Per-pixel maximum over everything added, uint8 (H, W); zero before anything is added."""

    def __init__(self, height: int, width: int) -> None:
        if height < 1 or width < 1:
            raise ValueError(f"MaxStack: got height={height}, width={width}, expected both >= 1")
        self._image = np.zeros((int(height), int(width)), dtype=np.uint8)
        self._count = 0

    @property
    def image(self) -> np.ndarray:
        """The stack so far (a copy)."""
        return self._image.copy()

    @property
    def nframes(self) -> int:
        """Frames that went into the stack (an FF plane counts with its block's frames)."""
        return self._count

    def add_frames(self, frames: np.ndarray) -> None:
        """Add a (n, H, W) uint8 chunk of frames."""
        if frames.dtype != np.uint8 or frames.ndim != 3 or frames.shape[1:] != self._image.shape:
            raise ValueError(
                f"frames: got {frames.dtype} {frames.shape}, expected uint8 (n, {self._image.shape[0]}, "
                f"{self._image.shape[1]})"
            )
        if frames.shape[0]:
            np.maximum(self._image, frames.max(axis=0), out=self._image)
            self._count += frames.shape[0]

    def add_max_image(self, image: np.ndarray, nframes: int) -> None:
        """Add a max image of ``nframes`` frames, such as an FF block's MAXPIXEL plane."""
        if image.dtype != np.uint8 or image.shape != self._image.shape:
            raise ValueError(f"image: got {image.dtype} {image.shape}, expected uint8 {self._image.shape}")
        np.maximum(self._image, image, out=self._image)
        self._count += int(nframes)


def preview_jpeg(
    image: np.ndarray, *, max_width_px: int = 640, quality: int = 85, stretch: bool = True
) -> bytes:
    """A small JPEG of a uint8 (H, W) image, for people.

    Parameters
    ----------
    image : np.ndarray
        uint8 (H, W), e.g. :attr:`MaxStack.image`.
    max_width_px : int
        Images wider than this are reduced (area averaging) to this width, keeping the aspect ratio.
    quality : int
        JPEG quality, 1..100.
    stretch : bool
        Map the 0.5th..99.95th percentile levels to 0..255 (a dark sky becomes visible; bright meteors and
        stars saturate a little earlier).

    Returns
    -------
    bytes
        The JPEG file contents.
    """
    if image.dtype != np.uint8 or image.ndim != 2 or 0 in image.shape:
        raise ValueError(f"image: got {image.dtype} {image.shape}, expected a non-empty uint8 (H, W)")
    if max_width_px < 1:
        raise ValueError(f"max_width_px: got {max_width_px}, expected >= 1")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality: got {quality}, expected 1..100")
    height, width = image.shape
    if width > max_width_px:
        size = (max_width_px, max(1, round(height * max_width_px / width)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if stretch:
        image = _stretch(image)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - imencode fails only on unsupported input, checked above
        raise RuntimeError("cv2.imencode failed to encode the preview")
    return bytes(buf.tobytes())


def _stretch(image: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(image, [0.5, 99.95])
    if hi <= lo:
        return image
    scaled = (image.astype(np.float32) - np.float32(lo)) * np.float32(255.0 / (hi - lo))
    stretched: np.ndarray = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    return stretched
