"""track_image: a JPEG of the stack with the track marked in colour, the trail itself left uncovered."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detection.meteors.checks import Check
from detection.meteors.record import Detection, FramePoint, LineFit
from detection.meteors.track_image import track_image

H, W = 240, 320


def stack_and_detection() -> tuple[np.ndarray, Detection]:
    """A dark noisy stack with a bright trail from (60, 50) to (260, 170), and its detection."""
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(30.0, 3.0, (H, W)), 0, 255).astype(np.uint8)
    points = []
    for i in range(21):
        x, y = 60.0 + 10.0 * i, 50.0 + 6.0 * i
        cv2.circle(image, (round(x), round(y)), 2, 200, -1)
        points.append(FramePoint(100 + i, x, y, 500.0, 12, 0))
    line = LineFit(60.0, 50.0, 260.0, 170.0, 100, 120, 11.66, 20.0, 233.2, 0.2)
    return image, Detection(tuple(points), line, (Check("frames", 21.0, ">= 4", True),), False)


def colour(img: np.ndarray) -> np.ndarray:
    """Per pixel, how far from grey (max - min over B, G, R)."""
    spread: np.ndarray = img.max(axis=2).astype(int) - img.min(axis=2).astype(int)
    return spread


def decode(jpeg: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def test_marks_are_coloured_and_the_trail_stays_visible() -> None:
    image, detection = stack_and_detection()
    img = decode(track_image(image, detection))
    assert img.shape == (H, W, 3)
    chroma = colour(img)
    # JPEG chroma subsampling blurs colours over 2 px; grey regions stay within a few levels of grey.
    assert np.percentile(chroma, 50) < 6
    g, r = img[..., 1].astype(int), img[..., 2].astype(int)
    near_begin = (slice(30, 71), slice(40, 81))
    near_end = (slice(150, 191), slice(240, 281))
    assert np.max((g - r)[near_begin]) > 60  # green begin mark
    assert np.max((r - g)[near_end]) > 60  # red end mark
    # The trail's own pixels (centroids) are not painted over: they stay bright and nearly grey.
    for x, y in ((60, 50), (160, 110), (260, 170)):
        assert img[y, x].min() > 150
        assert chroma[y, x] < 40


def test_reduced_width_and_quality() -> None:
    image, detection = stack_and_detection()
    small = decode(track_image(image, detection, max_width_px=160, quality=50))
    assert small.shape == (120, 160, 3)
    assert len(track_image(image, detection, quality=30)) < len(track_image(image, detection, quality=95))


def test_a_track_partly_outside_the_image_is_drawn_without_error() -> None:
    image, detection = stack_and_detection()
    line = LineFit(-50.0, 10.0, 400.0, 300.0, 0, 10, 50.0, 20.0, 535.0, 0.1)
    img = decode(track_image(image, Detection(detection.frames, line, detection.checks, False)))
    assert img.shape == (H, W, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image": np.zeros((H, W), np.float32)}, "image"),
        ({"image": np.zeros((H, W, 3), np.uint8)}, "image"),
        ({"quality": 0}, "quality"),
        ({"max_width_px": 4}, "max_width_px"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    image, detection = stack_and_detection()
    args: dict[str, object] = {"image": image, **kwargs}
    with pytest.raises(ValueError, match=match):
        track_image(args.pop("image"), detection, **args)  # type: ignore[arg-type]
