"""Pieces of a saturated head's glare (``detection.meteors.glare``): built detections of a fireball and
of pieces around it."""

from __future__ import annotations

from detection.meteors.checks import Check
from detection.meteors.glare import GLARE_PX, drop_glare, is_glare
from detection.meteors.record import Detection, FramePoint, LineFit


def _det(frames: range, x0: float, vx: float, intensity: float, sat: int, y: float = 100.0) -> Detection:
    points = tuple(FramePoint(f, x0 + vx * (f - frames[0]), y, intensity, 20, sat) for f in frames)
    line = LineFit(points[0].x_px, y, points[-1].x_px, y, frames[0], frames[-1], abs(vx), 10.0,
                   abs(vx) * (len(frames) - 1), 0.3)  # fmt: skip
    return Detection(points, line, (Check("frames", float(len(frames)), ">= 4", True),), fireball=sat > 0)


FIREBALL = _det(range(100, 140), 50.0, 5.0, 12000.0, 8)


def test_a_faint_piece_beside_a_saturated_head_in_its_frames_is_its_glare() -> None:
    piece = _det(range(110, 125), 50.0 + 5.0 * 10, 4.0, 900.0, 0, y=112.0)  # 12 px beside, slower
    assert is_glare(piece, FIREBALL)
    assert drop_glare([FIREBALL, piece]) == [FIREBALL]


def test_pieces_that_are_not_glare_are_kept() -> None:
    far = _det(range(110, 125), 100.0, 5.0, 900.0, 0, y=100.0 + GLARE_PX + 5.0)
    longer = _det(range(90, 125), 0.0, 5.0, 900.0, 0, y=108.0)  # begins before the fireball
    brighter = _det(range(110, 125), 100.0, 5.0, 20000.0, 0, y=108.0)
    unsaturated = _det(range(100, 140), 50.0, 5.0, 12000.0, 0)
    beside = _det(range(110, 125), 100.0, 5.0, 900.0, 0, y=108.0)
    for piece, head in ((far, FIREBALL), (longer, FIREBALL), (brighter, FIREBALL), (beside, unsaturated)):
        assert not is_glare(piece, head)
    assert is_glare(beside, FIREBALL)


def test_a_line_through_the_glare_with_noise_points_far_from_the_head_is_glare() -> None:
    # Its light lies in the glare; the points the finder added along the line far away carry none.
    piece = _det(range(105, 135), 75.0, 5.0, 10.0, 0, y=130.0)
    bright = tuple(p if not 115 <= p.frame <= 124 else FramePoint(p.frame, p.x_px, 110.0, 2000.0, 20, 0)
                   for p in piece.frames)  # fmt: skip
    lit = Detection(bright, piece.line, piece.checks, fireball=False)
    assert not is_glare(piece, FIREBALL) and is_glare(lit, FIREBALL)
