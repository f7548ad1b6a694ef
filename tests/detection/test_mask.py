"""Station masks: black is masked; the real RMS mask of UK0006 masks about 2.9 % of the frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detection.errors import MaskError
from detection.formats.mask import load_mask


def _write(path: Path, image: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), image)
    return path


def test_black_pixels_are_masked(tmp_path: Path) -> None:
    image = np.full((10, 20), 255, np.uint8)
    image[2:4, 5:9] = 0
    mask = load_mask(_write(tmp_path / "m.png", image), 20, 10)
    assert mask.dtype == bool and mask.shape == (10, 20)
    assert mask.sum() == 8 and mask[2:4, 5:9].all()


def test_colour_mask_is_masked_where_every_channel_is_black(tmp_path: Path) -> None:
    image = np.full((4, 4, 3), 255, np.uint8)
    image[0, 0] = (0, 0, 0)
    image[1, 1] = (0, 0, 200)
    mask = load_mask(_write(tmp_path / "m.bmp", image))
    assert mask.sum() == 1 and mask[0, 0]


@pytest.mark.parametrize("content", [b"", b"not an image"])
def test_unreadable_mask_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.png"
    path.write_bytes(content)
    with pytest.raises(MaskError, match="not an image"):
        load_mask(path)


def test_missing_or_wrong_size_mask_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MaskError, match="no such file"):
        load_mask(tmp_path / "none.png")
    path = _write(tmp_path / "m.png", np.zeros((10, 20), np.uint8))
    with pytest.raises(MaskError, match="20x10 px, the camera 1280x720 px"):
        load_mask(path, 1280, 720)


@pytest.mark.realdata
def test_rms_mask_of_uk0006(shared_data: Path) -> None:
    mask = load_mask(shared_data / "rms/UK0006_20220914/mask.bmp", 1280, 720)
    # data/README.md: "mask.bmp ... (about 2.9 % masked)".
    assert mask.mean() == pytest.approx(0.029, abs=0.002)
