"""Station masks: which pixels detection ignores (trees, buildings, the camera housing, street lights).

A mask is an image of the camera's size: black (0) pixels are masked, everything else is sky. This is how
RMS stations keep theirs (``mask.bmp``), so an RMS mask works unchanged; any format OpenCV reads will do.
In memory a mask is a bool array (H, W), True where the pixel is ignored.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detection.errors import MaskError


def mask_from_image(image: np.ndarray) -> np.ndarray:
    """Bool (H, W), True where ``image`` (grey (H, W) or colour (H, W, 3)) is black."""
    grey = image if image.ndim == 2 else image.max(axis=2)
    return np.asarray(grey == 0)


def load_mask(path: str | Path, width_px: int | None = None, height_px: int | None = None) -> np.ndarray:
    """Read a mask image; with a size given it must match (a mask of another camera is an error).

    Examples
    --------
    >>> import tempfile, os
    >>> image = np.full((4, 6), 255, np.uint8); image[0, :] = 0
    >>> path = os.path.join(tempfile.mkdtemp(), "mask.png"); _ = cv2.imwrite(path, image)
    >>> int(load_mask(path, 6, 4).sum())
    6
    """
    data = np.fromfile(str(path), dtype=np.uint8) if Path(path).is_file() else None
    if data is None:
        raise MaskError(path, "no such file")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise MaskError(path, "not an image OpenCV can read")
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    h, w = image.shape[:2]
    if width_px is not None and height_px is not None and (w, h) != (width_px, height_px):
        raise MaskError(path, f"the mask is {w}x{h} px, the camera {width_px}x{height_px} px")
    return mask_from_image(image)
